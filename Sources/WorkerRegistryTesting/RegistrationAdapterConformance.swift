import Logging
import Supervision
import Synchronization
import Testing
import WorkerRegistry

/// The conformance suite of ``RegistrationAdapter``: what every adapter — the local one,
/// a future distributed one — must do, as Commanded's shared registry test case.
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
/// adapter's child spec and a dynamic supervisor for the registered processes.
public enum RegistrationAdapterConformance {
    /// One named check.
    public struct Check: Sendable, CustomTestStringConvertible {
        public let name: String
        let body: @Sendable () async throws -> Void

        public var testDescription: String { name }

        /// Runs the check; failures are recorded as issues of the running test.
        public func run() async throws { try await body() }
    }

    /// Every check, for adapters whose names are strings.
    public static func checks<Adapter: RegistrationAdapter>(
        for makeAdapter: @escaping @Sendable () -> Adapter
    ) -> [Check] where Adapter.Name == String {
        func check(_ name: String, _ body: @escaping @Sendable (Fixture<Adapter>) async throws -> Void) -> Check {
            Check(name: name) {
                let fixture = try await Fixture(adapter: makeAdapter())
                do {
                    try await body(fixture)
                } catch {
                    await fixture.tearDown()
                    throw error
                }
                await fixture.tearDown()
            }
        }
        return [
            check("whereis of an unknown name is nil") { fixture in
                #expect(fixture.whereis("nobody") == nil)
            },
            check("startChild starts one process registered under the name") { fixture in
                let pid = try await fixture.start("a", label: "first")
                #expect(fixture.whereis("a") == pid)
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
                let first = try await fixture.start("a", label: "first")
                Process.exit(first, .kill)
                #expect(fixture.whereis("a") == nil)
                let second = try await fixture.start("a", label: "second")
                #expect(second != first)
                #expect(fixture.whereis("a") == second)
            },
            check("a start that fails registers nothing and reports why") { fixture in
                await #expect(throws: StartError.initFailed(.error(ConformanceFailure.refused))) {
                    try await fixture.start("a", label: "bad", failInit: true)
                }
                #expect(fixture.whereis("a") == nil)
                _ = try await fixture.start("a", label: "good")
                #expect(try await fixture.call("a") == "good")
            },
            check("concurrent starts of one name start exactly one process and all get it") { fixture in
                let before = fixture.runtime.liveProcessCount
                let pids = try await withThrowingTaskGroup(of: PID.self) { group in
                    for i in 0..<16 { group.addTask { try await fixture.start("shared", label: "\(i)") } }
                    return try await group.reduce(into: Set<PID>()) { $0.insert($1) }
                }
                #expect(pids.count == 1)
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
}

/// A failure the conformance worker can be asked to produce.
public enum ConformanceFailure: Error, Equatable, Sendable {
    case refused
}

/// The worker the conformance checks start: it holds a label.
public struct ConformanceWorker: GenServer {
    public struct Arguments: Sendable {
        var label: String
        var failInit: Bool
    }
    public enum Request: Sendable { case label }
    public typealias Reply = String
    public enum Message: Sendable { case append(String) }
    public typealias Info = String

    var label: String

    public static func initialize(_ arguments: Arguments) async throws -> InitResult<ConformanceWorker> {
        if arguments.failInit { throw ConformanceFailure.refused }
        return .ok(ConformanceWorker(label: arguments.label))
    }

    public mutating func handleCall(_ request: Request, from caller: Caller<String>) async throws -> CallResult<String> {
        .reply(label)
    }

    public mutating func handleCast(_ message: Message) async throws -> HandleResult {
        if case .append(let suffix) = message { label += suffix }
        return .noreply
    }

    public mutating func handleInfo(_ message: String) async throws -> HandleResult {
        label += message
        return .noreply
    }
}

/// A tree for one check: root supervisor → adapter child + dynamic supervisor.
struct Fixture<Adapter: RegistrationAdapter>: Sendable where Adapter.Name == String {
    let adapter: Adapter
    let meta: Adapter.Meta
    let runtime: Runtime
    let root: Supervisor
    let workers: DynamicSupervisor

    init(adapter: Adapter) async throws {
        self.adapter = adapter
        let (spec, meta) = adapter.childSpec()
        self.meta = meta
        runtime = Runtime(logger: Logger(label: "conformance", factory: { _ in SwiftLogNoOpLogHandler() }),
                          label: "conformance")
        root = try await Supervisor.start(
            children: [spec, DynamicSupervisor.childSpec(id: "workers")],
            options: .init(strategy: .restForOne), runtime: runtime)
        let workersPID = try #require(try await root.whichChildren().first { $0.id == "workers" }?.pid)
        workers = try #require(DynamicSupervisor(pid: workersPID))
    }

    func start(_ name: String, label: String, failInit: Bool = false) async throws -> PID {
        try await adapter.startChild(meta: meta, name: name, supervisor: workers) { processName in
            .worker(ConformanceWorker.self, arguments: .init(label: label, failInit: failInit),
                    id: name, name: processName, restart: .temporary)
        }
    }

    func whereis(_ name: String) -> PID? { adapter.whereis(meta: meta, name: name) }

    func via(_ name: String) -> any ProcessName { adapter.via(meta: meta, name: name) }

    func call(_ name: String) async throws -> String {
        try await ServerRef<ConformanceWorker>(name: via(name)).call(.label)
    }

    func tearDown() async {
        try? await root.stop()
    }
}
