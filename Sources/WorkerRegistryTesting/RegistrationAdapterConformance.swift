import Logging
import Supervision
import Testing
import WorkerRegistry

/// The conformance suite of `RegistrationAdapter`: what every adapter — the local one,
/// a distributed one — must do, as Commanded's shared registry test case.
///
/// Run every check from a parameterized test:
///
/// ```swift
/// @Test(arguments: RegistrationAdapterConformance.checks(for: { LocalRegistration<String>() }))
/// func conformance(_ check: RegistrationAdapterConformance.Check) async throws {
///     try await check.run()
/// }
/// ```
///
/// Each check builds its own tree in its own runtime: a root supervisor with the
/// adapter's child spec and a dynamic supervisor for the registered processes. An adapter
/// whose names are shared between nodes also runs `checks(forPeers:)`: several
/// adapters, each in a runtime of its own, sharing one namespace.
public enum RegistrationAdapterConformance {
    /// One named check.
    public struct Check: Sendable, CustomTestStringConvertible {
        /// What the check asserts, as the test's name.
        public let name: String
        let body: @Sendable () async throws -> Void

        /// The check's name.
        public var testDescription: String { name }

        /// Runs the check; failures are recorded as issues of the running test.
        public func run() async throws { try await body() }
    }

    /// Every check of one node, for adapters whose names are strings. `makeAdapter` is
    /// called once per check: each check needs a namespace of its own.
    public static func checks<Adapter: RegistrationAdapter>(
        for makeAdapter: @escaping @Sendable () async throws -> Adapter
    ) -> [Check] where Adapter.Name == String {
        nodeChecks { label in try await AdapterNode(adapter: makeAdapter(), label: label) }
    }

    /// Every check of one node, run on a pool over the adapter: the same checks as
    /// ``checks(for:)``, with the pool's `lookupOrStart`, `lookup`, `whereis` and `via` in
    /// place of the adapter's calls. `makeAdapter` is called once per check.
    public static func checks<Adapter: PoolRegistration>(
        forPools makeAdapter: @escaping @Sendable () async throws -> Adapter
    ) -> [Check] where Adapter.Name == String, Adapter.Registered == Void {
        nodeChecks { label in try await PoolNode(adapter: makeAdapter(), label: label) }
    }

    /// The checks of holders on other nodes (``checks(forPeers:propagation:)``), run on
    /// one pool per node over the adapters `makePeers` returns.
    public static func checks<Adapter: PoolRegistration>(
        forPoolPeers makePeers: @escaping @Sendable () async throws -> [Adapter], propagation: Duration = .seconds(15)
    ) -> [Check] where Adapter.Name == String, Adapter.Registered == Void {
        peerChecks(propagation: propagation, adapters: makePeers) { adapter, label in try await PoolNode(adapter: adapter, label: label) }
    }

    /// The checks of one node, on the nodes `makeNode` builds (one per check).
    static func nodeChecks<Node: ConformanceNode>(
        _ makeNode: @escaping @Sendable (String) async throws -> Node
    ) -> [Check] {
        func check(_ name: String, _ body: @escaping @Sendable (Node) async throws -> Void) -> Check {
            Check(name: name) {
                let node = try await makeNode("conformance")
                do {
                    try await body(node)
                } catch {
                    await node.tearDown()
                    throw error
                }
                await node.tearDown()
            }
        }
        return [
            check("whereis and lookup of an unknown name are nil") { fixture in
                let found = try await fixture.lookup("nobody")
                #expect(fixture.whereis("nobody") == nil)
                #expect(found == nil)
            },
            check("startChild starts one process registered under the name, here") { fixture in
                let placement = try await fixture.start("a", label: "first")
                let pid = try #require(placement.localPID)
                #expect(fixture.whereis("a") == pid)
                #expect(try await fixture.lookup("a") == placement)
                #expect(try await fixture.call("a") == "first")
            },
            check("startChild with a taken name returns the running process and starts nothing") { fixture in
                let first = try await fixture.start("a", label: "first")
                let live = fixture.runtime.liveProcessCount
                let second = try await fixture.start("a", label: "second")
                #expect(second == first)
                #expect(fixture.runtime.liveProcessCount == live)
                #expect(try await fixture.call("a") == "first")
            },
            check("the via name reaches the process with calls, casts and sends") { fixture in
                _ = try await fixture.start("a", label: "x")
                let ref = ServerRef<ConformanceWorker>(name: fixture.via("a"))
                ref.cast(.append("y"))
                Process.send(fixture.via("a"), "z")
                #expect(try await ref.call(.label) == "xyz")
            },
            check("a dead process's name is free at once and can be reused") { fixture in
                let first = try #require(try await fixture.start("a", label: "first").localPID)
                Process.exit(first, .kill)
                #expect(fixture.whereis("a") == nil)
                #expect(try await fixture.lookup("a") == nil)
                let second = try #require(try await fixture.start("a", label: "second").localPID)
                #expect(second != first)
                #expect(fixture.whereis("a") == second)
                #expect(try await fixture.call("a") == "second")
            },
            check("a start that fails registers nothing and reports why") { fixture in
                do throws(Node.Failure) {
                    let placement = try await fixture.start("a", label: "bad", failInit: true)
                    Issue.record("a failing start answered \(placement)")
                } catch {
                    #expect(error.startError == .initFailed(.error(ConformanceFailure.refused)), "\(error)")
                }
                #expect(fixture.whereis("a") == nil)
                #expect(try await fixture.lookup("a") == nil)
                _ = try await fixture.start("a", label: "good")
                #expect(try await fixture.call("a") == "good")
            },
            check("concurrent starts of one name start exactly one process and all get it") { fixture in
                let before = fixture.runtime.liveProcessCount
                let placements = try await withThrowingTaskGroup(of: Node.Placement.self) { group in
                    for i in 0..<16 { group.addTask { try await fixture.start("shared", label: "\(i)") } }
                    return try await group.reduce(into: Set<Node.Placement>()) { $0.insert($1) }
                }
                #expect(placements.count == 1)
                #expect(placements.first?.localPID != nil)
                #expect(fixture.runtime.liveProcessCount == before + 1)
            },
            check("different names are different processes") { fixture in
                let a = try await fixture.start("a", label: "A")
                let b = try await fixture.start("b", label: "B")
                #expect(a != b)
                #expect(try await fixture.call("a") == "A")
                #expect(try await fixture.call("b") == "B")
            },
        ]
    }

    /// The checks of holders on other nodes, for adapters that share names between
    /// nodes. `makePeers` is called once per check and returns at least two adapters,
    /// one per node, sharing a namespace no other check uses; each runs in a runtime of
    /// its own.
    ///
    /// A change on one node reaches the others through the adapter's own propagation
    /// (etcd's watch, say): where a check needs it to have arrived, it waits for the
    /// other node to see it, up to `propagation` (a bound for a failure, not a guess at
    /// how long it takes: the wait ends as soon as the change is seen).
    public static func checks<Adapter: RegistrationAdapter>(
        forPeers makePeers: @escaping @Sendable () async throws -> [Adapter], propagation: Duration = .seconds(15)
    ) -> [Check] where Adapter.Name == String {
        peerChecks(propagation: propagation, adapters: makePeers) { adapter, label in try await AdapterNode(adapter: adapter, label: label) }
    }

    /// The checks of holders on other nodes, on one node per adapter `makeAdapters` makes
    /// (once per check), each built by `makeNode`.
    static func peerChecks<Adapter, Node: ConformanceNode>(
        propagation: Duration,
        adapters makeAdapters: @escaping @Sendable () async throws -> [Adapter],
        node makeNode: @escaping @Sendable (Adapter, String) async throws -> Node
    ) -> [Check] {
        func check(_ name: String, _ body: @escaping @Sendable ([Node]) async throws -> Void) -> Check {
            Check(name: name) {
                let adapters = try await makeAdapters()
                var nodes: [Node] = []
                do {
                    for (index, adapter) in adapters.enumerated() { nodes.append(try await makeNode(adapter, "node \(index)")) }
                    guard nodes.count >= 2 else {
                        throw ConformanceSetupError("the checks of peers need at least two nodes; \(nodes.count) were made")
                    }
                } catch {
                    for node in nodes { await node.tearDown() }
                    throw error
                }
                do {
                    try await body(nodes)
                } catch {
                    for node in nodes { await node.tearDown() }
                    throw error
                }
                for node in nodes { await node.tearDown() }
            }
        }
        return [
            check("a name held on another node: startChild here starts nothing and answers where it lives") { nodes in
                let (a, b) = (nodes[0], nodes[1])
                let held = try await a.start("x", label: "on a")
                #expect(held.localPID != nil)
                let live = b.runtime.liveProcessCount
                let answer = try await b.start("x", label: "on b")
                #expect(answer.localPID == nil, "a second holder started: \(answer)")
                #expect(b.runtime.liveProcessCount == live)
                #expect(b.whereis("x") == nil)
                #expect(try await b.start("x", label: "on b") == answer)
                // Once b's view has caught up, its lookup answers the same, and a's is a's own.
                #expect(try await b.eventually(within: propagation) { try await b.lookup("x") == answer })
                #expect(try await a.lookup("x") == held)
                #expect(try await a.call("x") == "on a")
            },
            check("when the holder on another node exits, the name is free here and a start takes it") { nodes in
                let (a, b) = (nodes[0], nodes[1])
                let pid = try #require(try await a.start("x", label: "on a").localPID)
                #expect(try await b.start("x", label: "on b").localPID == nil)
                // b's view has the holder (a view may not have caught up yet: empty is not free).
                #expect(try await b.eventually(within: propagation) { try await b.lookup("x") != nil })
                Process.exit(pid, .kill)
                #expect(try await b.eventually(within: propagation) { try await b.lookup("x") == nil })
                let moved = try await b.start("x", label: "on b")
                #expect(moved.localPID != nil)
                #expect(try await b.call("x") == "on b")
                #expect(try await a.eventually(within: propagation) { try await a.lookup("x") != nil })
                let seen = try await a.lookup("x")
                let again = try await a.start("x", label: "on a")
                #expect(again == seen && again.localPID == nil)
                #expect(a.whereis("x") == nil)
            },
            check("concurrent starts of one name on every node start exactly one process, and every node names it") { nodes in
                let before = nodes.map { $0.runtime.liveProcessCount }
                let answers = try await withThrowingTaskGroup(of: (Int, Node.Placement).self) { group in
                    for (index, node) in nodes.enumerated() {
                        for i in 0..<8 { group.addTask { (index, try await node.start("shared", label: "\(index).\(i)")) } }
                    }
                    return try await group.reduce(into: [Int: Set<Node.Placement>]()) { $0[$1.0, default: []].insert($1.1) }
                }
                let holders = nodes.indices.filter { answers[$0]?.contains { $0.localPID != nil } ?? false }
                #expect(holders.count == 1, "held on nodes \(holders)")
                for index in nodes.indices {
                    #expect(answers[index]?.count == 1, "node \(index) got different answers: \(answers[index] ?? [])")
                }
                let started = zip(nodes, before).map { $0.runtime.liveProcessCount - $1 }
                #expect(started.reduce(0, +) == 1, "processes started per node: \(started)")
            },
            check("a node that stops frees its names for the others") { nodes in
                let (a, b) = (nodes[0], nodes[1])
                _ = try await a.start("x", label: "on a")
                _ = try await a.start("y", label: "on a")
                #expect(try await b.start("x", label: "on b").localPID == nil)
                await a.tearDown()
                #expect(try await b.eventually(within: propagation) {
                    let (x, y) = (try await b.lookup("x"), try await b.lookup("y"))
                    return x == nil && y == nil
                })
                #expect(try await b.start("x", label: "on b").localPID != nil)
                #expect(try await b.start("y", label: "on b").localPID != nil)
            },
        ]
    }
}

/// A conformance check's setup went wrong (not the adapter under test).
struct ConformanceSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A failure the conformance worker can be asked to produce.
public enum ConformanceFailure: Error, Equatable, Sendable {
    /// The worker refuses to start.
    case refused
}

/// The worker the conformance checks start: it holds a label.
public struct ConformanceWorker: GenServer {
    /// The worker's label, and whether its start fails.
    public struct Arguments: Sendable {
        var label: String
        var failInit: Bool
    }
    /// Asks for the label.
    public enum Request: Sendable {
        /// The label.
        case label
    }
    /// The label.
    public typealias Reply = String
    /// Appends to the label.
    public enum Cast: Sendable {
        /// Appends the text.
        case append(String)
    }
    /// Appends to the label, sent as a plain message.
    public typealias Info = String

    var label: String

    /// Fails with ``ConformanceFailure/refused`` if asked to; else holds the label.
    public static func initialize(_ arguments: Arguments) async throws -> InitResult<ConformanceWorker> {
        if arguments.failInit { throw ConformanceFailure.refused }
        return .ok(ConformanceWorker(label: arguments.label))
    }

    /// Answers the label.
    public mutating func handleCall(_ request: Request, from caller: Caller<String>) async throws -> CallResult<String> {
        .reply(label)
    }

    /// Appends the cast's text.
    public mutating func handleCast(_ message: Cast) async throws -> HandleResult {
        if case .append(let suffix) = message { label += suffix }
        return .noreply
    }

    /// Appends the message's text.
    public mutating func handleInfo(_ message: String) async throws -> HandleResult {
        label += message
        return .noreply
    }
}

/// One node of a check, as the checks drive it: an adapter with a supervisor of its
/// own, or a pool over an adapter.
protocol ConformanceNode: Sendable {
    associatedtype Placement: RegistrationPlacement
    associatedtype Failure: RegistrationFailure
    /// The node's runtime (a runtime of its own per node).
    var runtime: Runtime { get }
    func start(_ name: String, label: String, failInit: Bool) async throws(Failure) -> Placement
    func whereis(_ name: String) -> PID?
    func lookup(_ name: String) async throws(Failure) -> Placement?
    func via(_ name: String) -> any ProcessName
    func tearDown() async
}

extension ConformanceNode {
    func start(_ name: String, label: String) async throws(Failure) -> Placement {
        try await start(name, label: label, failInit: false)
    }

    func call(_ name: String) async throws -> String {
        try await ServerRef<ConformanceWorker>(name: via(name)).call(.label)
    }

    /// Whether `condition` holds within `limit`, looking again every millisecond: for a
    /// change that reaches this node through the adapter's own propagation.
    func eventually(within limit: Duration, _ condition: @Sendable () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(1))
        }
        return try await condition()
    }

    static func quietRuntime(_ label: String) -> Runtime {
        Runtime(logger: Logger(label: label, factory: { _ in SwiftLogNoOpLogHandler() }), label: label)
    }
}

/// A node of an adapter check: root supervisor → adapter child + dynamic supervisor.
struct AdapterNode<Adapter: RegistrationAdapter>: ConformanceNode where Adapter.Name == String {
    let adapter: Adapter
    let meta: Adapter.Meta
    let runtime: Runtime
    let root: Supervisor
    let workers: DynamicSupervisor

    init(adapter: Adapter, label: String) async throws {
        self.adapter = adapter
        let (spec, meta) = adapter.childSpec()
        self.meta = meta
        runtime = Self.quietRuntime(label)
        root = try await Supervisor.start(
            children: [spec, DynamicSupervisor.childSpec(id: "workers")],
            options: .init(strategy: .restForOne), runtime: runtime)
        let workersPID = try #require(try await root.whichChildren().first { $0.id == "workers" }?.pid)
        workers = try #require(DynamicSupervisor(pid: workersPID))
    }

    func start(_ name: String, label: String, failInit: Bool) async throws(Adapter.Failure) -> Adapter.Placement {
        try await adapter.startChild(meta: meta, name: name, supervisor: workers) { processName in
            .worker(ConformanceWorker.self, arguments: .init(label: label, failInit: failInit),
                    id: name, name: processName, restart: .temporary)
        }
    }

    func whereis(_ name: String) -> PID? { adapter.whereis(meta: meta, name: name) }

    func lookup(_ name: String) async throws(Adapter.Failure) -> Adapter.Placement? {
        try await adapter.lookup(meta: meta, name: name)
    }

    func via(_ name: String) -> any ProcessName { adapter.via(meta: meta, name: name) }

    func tearDown() async {
        try? await root.stop()
    }
}

/// A node of a pool check: root supervisor → the pool's registration + the pool.
struct PoolNode<Adapter: PoolRegistration>: ConformanceNode where Adapter.Name == String, Adapter.Registered == Void {
    let pool: RegistrationPool<ConformanceWorker, Adapter>
    let runtime: Runtime
    let root: Supervisor

    init(adapter: Adapter, label: String) async throws {
        pool = RegistrationPool(ConformanceWorker.self, name: label, adapter: adapter)
        runtime = Self.quietRuntime(label)
        root = try await Supervisor.start(
            children: [pool.registrationSpec, pool.childSpec()], options: .init(strategy: .restForOne), runtime: runtime)
    }

    func start(_ name: String, label: String, failInit: Bool) async throws(Adapter.Failure) -> Adapter.Placement {
        try await pool.lookupOrStart(name, arguments: .init(label: label, failInit: failInit))
    }

    func whereis(_ name: String) -> PID? { pool.whereis(name) }

    func lookup(_ name: String) async throws(Adapter.Failure) -> Adapter.Placement? { pool.lookup(name) }

    func via(_ name: String) -> any ProcessName { pool.via(name) }

    func tearDown() async {
        try? await root.stop()
    }
}
