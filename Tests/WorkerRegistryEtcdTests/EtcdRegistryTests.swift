import EtcdClient
import EtcdTesting
import Logging
import Supervision
import Testing
import WorkerRegistry
import WorkerRegistryEtcd
import TestSupport
import ScalableLocks

/// A worker that answers who it is.
struct Session: GenServer {
    enum Request: Sendable { case name }
    typealias Reply = String
    typealias Arguments = String
    let name: String
    static func initialize(_ name: String) async throws -> InitResult<Session> { .ok(Session(name: name)) }
    mutating func handleCall(_ request: Request, from caller: Caller<String>) async throws -> CallResult<String> {
        .reply(name)
    }
}

/// What every node did, on one monotonic clock: the history a checker reads.
final class History: Sendable {
    struct Entry: Sendable {
        var node: String
        var event: EtcdRegistry.Event
        var at: ContinuousClock.Instant
    }
    private let entries = Lock<[Entry]>([])
    private let waiters = Lock<[(predicate: @Sendable (Entry) -> Bool, continuation: CheckedContinuation<Void, Never>)]>([])

    func record(_ node: String) -> @Sendable (EtcdRegistry.Event) -> Void {
        { event in
            let entry = Entry(node: node, event: event, at: .now)
            self.entries.withLock { $0.append(entry) }
            let ready = self.waiters.withLock { waiters -> [CheckedContinuation<Void, Never>] in
                let (done, rest) = (waiters.filter { $0.predicate(entry) }, waiters.filter { !$0.predicate(entry) })
                waiters = rest
                return done.map(\.continuation)
            }
            for continuation in ready { continuation.resume() }
        }
    }

    /// Waits until an entry `predicate` accepts has been recorded (or already was).
    func wait(for predicate: @escaping @Sendable (Entry) -> Bool) async {
        await withCheckedContinuation { continuation in
            let seen = entries.withLock { entries in
                entries.contains(where: predicate) ? true : { waiters.withLock { $0.append((predicate, continuation)) }; return false }()
            }
            if seen { continuation.resume() }
        }
    }
    var all: [Entry] { entries.withLock { $0 } }

    /// For each name, the holders' live intervals never overlap, and tokens only grow.
    /// An interval is held from the claim (no worker runs before it) to the worker's end,
    /// or to the claim given up without one. Returns what broke, if anything.
    func violations() -> [String] {
        var live: [String: (node: String, token: Int64)] = [:]
        var lastToken: [String: Int64] = [:]
        var problems: [String] = []
        for entry in all {
            switch entry.event {
            case .claimed(let name, let token):
                if let holder = live[name] { problems.append("\(name) claimed on \(entry.node) while \(holder.node) held it") }
                if let last = lastToken[name], token <= last { problems.append("\(name)'s token went from \(last) to \(token)") }
                live[name] = (entry.node, token)
                lastToken[name] = token
            case .started(let name, _, let token):
                if live[name]?.token != token || live[name]?.node != entry.node {
                    problems.append("\(name) started on \(entry.node) under token \(token), not its claim")
                }
            case .ended(let name, _, let token), .released(let name, let token):
                if live[name]?.token == token { live[name] = nil }
            default:
                break
            }
        }
        return problems
    }
}

/// One node: a runtime, a tree with the cluster registry and a pool supervisor.
struct Node: Sendable {
    let registry: EtcdRegistry
    let supervisor: DynamicSupervisor
    let root: Supervisor

    static func start(_ name: String, client: EtcdClient, prefix: String, ttl: Int64 = Slowdown.scaled(5), history: History) async throws -> Node {
        let runtime = Runtime(logger: Logger(label: name, factory: { _ in SwiftLogNoOpLogHandler() }), label: name)
        let registry = EtcdRegistry(client: client, prefix: prefix, node: ClusterNode(name: name, address: "\(name).local:7000"),
                                    ttl: ttl, runtime: runtime, onEvent: history.record(name))
        let root = try await Supervisor.start(children: [registry.childSpec(), DynamicSupervisor.childSpec(id: "sessions")],
                                              runtime: runtime)
        let sessions = try #require(try await root.whichChildren()[1].pid)
        let supervisor = try #require(DynamicSupervisor(pid: sessions))
        do {
            try await registry.start()
        } catch {
            try? await root.stop()
            throw error
        }
        return Node(registry: registry, supervisor: supervisor, root: root)
    }

    func lookupOrStart(_ id: String) async throws(ClusterError) -> ClusterPlacement {
        try await registry.lookupOrStart(id, supervisor: supervisor) { name in
            .worker(Session.self, arguments: id, id: id, name: name, restart: .temporary)
        }
    }

    func stop() async {
        await registry.stop()
        try? await root.stop()
    }
}

@Suite("EtcdRegistry: one live holder per name across the cluster",
       .enabled(if: EtcdCluster.runs, "etcd is not on PATH: install Debian's etcd-server to run the etcd tests"),
       .timeLimit(.minutes(Slowdown.scaled(2))))
struct EtcdRegistryTests {
    @Test("three nodes racing lookupOrStart on 1,000 ids: exactly one holder per id, and every node points at it")
    func oneHolderPerID() async throws {
        let cluster = try await EtcdCluster.start()
        defer { cluster.stop() }
        let history = History()
        var nodes: [Node] = []
        for name in ["a", "b", "c"] { nodes.append(try await Node.start(name, client: cluster.client(), prefix: "race/", history: history)) }
        let ids = (0..<1_000).map { "id-\($0)" }
        let placements = try await withThrowingTaskGroup(of: (Int, [String: ClusterPlacement]).self) { group in
            for (index, node) in nodes.enumerated() {
                let nodeIDs = index % 2 == 0 ? ids : ids.reversed()
                group.addTask {
                    var seen: [String: ClusterPlacement] = [:]
                    for id in nodeIDs { seen[id] = try await node.lookupOrStart(id) }
                    return (index, seen)
                }
            }
            var all: [[String: ClusterPlacement]] = Array(repeating: [:], count: nodes.count)
            for try await (index, seen) in group { all[index] = seen }
            return all
        }
        for id in ids {
            let local = (0..<nodes.count).filter { if case .local = placements[$0][id]! { return true } else { return false } }
            #expect(local.count == 1, "\(id) is held by nodes \(local)")
            guard let holder = local.first else { continue }
            let token = placements[holder][id]!.token
            for other in 0..<nodes.count where other != holder {
                #expect(placements[other][id] == .remote(ClusterNode(name: ["a", "b", "c"][holder], address: "\(["a", "b", "c"][holder]).local:7000"), token: token))
            }
        }
        #expect(nodes.map { $0.registry.registry.count() }.reduce(0, +) == 1_000)
        #expect(history.violations().isEmpty, "\(history.violations())")
        for node in nodes { await node.stop() }
    }

    @Test("a name is released when its worker exits, and a node that stops frees all of its names; tokens grow")
    func releaseAndStop() async throws {
        let cluster = try await EtcdCluster.start()
        defer { cluster.stop() }
        let history = History()
        let a = try await Node.start("a", client: cluster.client(), prefix: "s/", history: history)
        let b = try await Node.start("b", client: cluster.client(), prefix: "s/", history: history)
        guard case .local(let pid, let first) = try await a.lookupOrStart("alice") else {
            Issue.record("a free name was not started here")
            return
        }
        #expect(try await ServerRef<Session>(pid: pid).call(.name) == "alice")
        #expect(a.registry.token(of: "alice") == first)
        // b sees it through its watch, or learns it from the claim it loses.
        #expect(try await b.lookupOrStart("alice") == .remote(ClusterNode(name: "a", address: "a.local:7000"), token: first))

        // The worker exits: the name is released, and b's view says so.
        await history.wait { $0.node == "b" && $0.event == .viewChanged("alice", holder: ClusterNode(name: "a", address: "a.local:7000")) }
        Process.exit(pid, .kill)
        await history.wait { $0.node == "b" && $0.event == .viewChanged("alice", holder: nil) }
        guard case .local(_, let second) = try await b.lookupOrStart("alice") else {
            Issue.record("a released name was not taken by another node")
            return
        }
        #expect(second > first)

        // b stops: its lease is revoked, every name of it is free (a's view follows).
        _ = try await b.lookupOrStart("bob")
        await b.stop()
        await history.wait { $0.node == "a" && $0.event == .viewChanged("bob", holder: nil) }
        await history.wait { $0.node == "a" && $0.event == .viewChanged("alice", holder: nil) }
        guard case .local(_, let third) = try await a.lookupOrStart("alice"), case .local = try await a.lookupOrStart("bob") else {
            Issue.record("a stopped node's names were not free")
            return
        }
        #expect(third > second)
        #expect(history.violations().isEmpty, "\(history.violations())")
        await a.stop()
    }

    @Test("a node cut off from etcd's majority fences its holders before its lease can expire; the name moves; healed, the node claims again; nothing is held twice")
    func minorityFences() async throws {
        let cluster = try await EtcdCluster.start(members: 3)
        defer { cluster.stop() }
        let history = History()
        // a talks to member 0 only; b to the other two.
        let a = try await Node.start("a", client: EtcdClient(endpoints: [cluster.endpoints[0]], requestTimeout: Slowdown.scaled(.milliseconds(500))),
                                     prefix: "f/", ttl: Slowdown.scaled(3), history: history)
        let b = try await Node.start("b", client: EtcdClient(endpoints: Array(cluster.endpoints[1...]), requestTimeout: Slowdown.scaled(.milliseconds(500))),
                                     prefix: "f/", ttl: Slowdown.scaled(3), history: history)
        guard case .local(let pid, _) = try await a.lookupOrStart("carol") else {
            Issue.record("a free name was not started on a")
            return
        }
        let exited = Process.watch(pid)

        cluster.pause(0)  // a's member answers nothing: a cannot renew
        _ = try await exited.reason  // a fences: its holder is killed
        let fencedAt = ContinuousClock.now
        // The majority expires a's lease on its own clock; the key goes, and b's view says so.
        await history.wait { $0.node == "b" && $0.event == .viewChanged("carol", holder: nil) }
        let freedAt = ContinuousClock.now
        #expect(fencedAt < freedAt)
        guard case .local = try await b.lookupOrStart("carol") else {
            Issue.record("the name did not move to the majority side")
            return
        }
        do {
            _ = try await a.lookupOrStart("dave")
            Issue.record("a fenced node claimed a name")
        } catch {
            #expect(error.code == .fenced, "\(error)")
        }
        let firstLease = history.all.compactMap { entry -> Int64? in
            guard entry.node == "a", case .leased(let lease) = entry.event else { return nil }
            return lease
        }.first
        cluster.resume(0)
        // Back in touch, a revokes its old lease, takes a new one and claims again; carol
        // stays b's.
        await history.wait { entry in
            guard entry.node == "a", case .leased(let lease) = entry.event else { return false }
            return lease != firstLease
        }
        guard case .local = try await a.lookupOrStart("erin") else {
            Issue.record("a did not claim again after the partition healed")
            return
        }
        // Unless b fenced meanwhile (its renewals can be late on a loaded machine: it then
        // stops its holders, safely), carol is still b's, and a says so.
        if case .local(_, let token)? = b.registry.lookup("carol") {
            let seen = try await a.lookupOrStart("carol")
            if case .local = b.registry.lookup("carol") {
                #expect(seen == .remote(ClusterNode(name: "b", address: "b.local:7000"), token: token))
            }
        }
        #expect(history.violations().isEmpty, "\(history.violations()): \(history.all.map { "\($0.node) \($0.event)" })")
        let fenced = history.all.firstIndex { $0.node == "a" && $0.event == .fenced }
        let claimedOnB = history.all.firstIndex { if case .claimed("carol", _) = $0.event { return $0.node == "b" } else { return false } }
        #expect(fenced != nil && claimedOnB != nil && fenced! < claimedOnB!, "a fenced before b claimed")
        await b.stop()
        await a.stop()
    }

    @Test("one node: concurrent lookupOrStart of a name start one worker; after it exits, the name is claimed again under a larger token")
    func oneNodeConcurrentAndAgain() async throws {
        let cluster = try await EtcdCluster.start()
        defer { cluster.stop() }
        let history = History()
        let a = try await Node.start("a", client: cluster.client(), prefix: "c/", history: history)
        let placements = try await withThrowingTaskGroup(of: ClusterPlacement.self) { group in
            for _ in 0..<16 { group.addTask { try await a.lookupOrStart("x") } }
            return try await group.reduce(into: Set<ClusterPlacement>()) { $0.insert($1) }
        }
        #expect(placements.count == 1, "\(placements)")
        guard case .local(let first, let token)? = placements.first else {
            Issue.record("x is not held here")
            return
        }
        for round in 0..<5 {
            // The worker exits and is asked for again at once: the old claim's release may
            // still be on its way, and must not be mistaken for the new claim.
            let pid = try #require(a.registry.registry.whereis("x"))
            Process.exit(pid, .kill)
            guard case .local(let again, let newer) = try await a.lookupOrStart("x") else {
                Issue.record("round \(round): x did not start here again")
                return
            }
            #expect(again != first && newer > token)
            let stored = try #require(try await cluster.client().get("c/x"))
            #expect(stored.createRevision == newer, "round \(round): the key etcd holds is the new claim's")
        }
        #expect(history.violations().isEmpty, "\(history.violations())")
        await a.stop()
    }

    @Test("a worker that begins exiting right after its start is released, never recorded as a running holder")
    func workerExitingWhileItsClaimStartsIsReleased() async throws {
        let cluster = try await EtcdCluster.start()
        defer { cluster.stop() }
        let history = History()
        let a = try await Node.start("a", client: cluster.client(), prefix: "e/", history: history)
        let hook = BlockingExitHook()
        let killer = Lock<OSThread.Joinable?>(nil)
        // The worker starts exiting before its claim is recorded, and stays exiting (still
        // `isAlive`) past that point: its registry entry is gone while the claim starts.
        let placement = try await EtcdRegistry.$startedSeam.withValue({ pid in
            #expect(Process.addExitHook(hook, to: pid))
            killer.withLock { $0 = OSThread.start("the worker's killer") { Process.exit(pid, .kill) } }
            hook.entered.wait()
        }) {
            try await a.lookupOrStart("eve")
        }
        hook.release.signal()
        killer.withLock { $0 }?.join()
        guard case .local(let dead, let first) = placement else {
            Issue.record("eve was not started here: \(placement)")
            return
        }
        #expect(!dead.isAlive)
        await history.wait { $0.node == "a" && $0.event == .ended("eve", dead, token: first) }
        // The name is free again: the next lookupOrStart starts a live worker under a newer claim.
        guard case .local(let again, let second) = try await a.lookupOrStart("eve") else {
            Issue.record("eve did not start here again")
            return
        }
        #expect(again != dead && again.isAlive && second > first)
        #expect(history.violations().isEmpty, "\(history.violations())")
        await a.stop()
    }

    @Test("ClusterState reads each node with its lease's time left and every name with its holder and token, from etcd alone")
    func clusterState() async throws {
        let cluster = try await EtcdCluster.start()
        defer { cluster.stop() }
        let history = History()
        let a = try await Node.start("a", client: cluster.client(), prefix: "v/", history: history)
        let b = try await Node.start("b", client: cluster.client(), prefix: "v/", history: history)
        for id in ["x", "y"] { _ = try await a.lookupOrStart(id) }
        _ = try await b.lookupOrStart("z")
        let state = try await ClusterState.read(client: cluster.client(), prefix: "v/")
        #expect(state.nodes.map(\.node.name) == ["a", "b"] && state.nodes.map(\.names) == [2, 1])
        #expect(state.nodes.allSatisfy { ($0.secondsLeft ?? 0) > 0 && $0.node.address.hasSuffix(":7000") })
        #expect(state.holders.map(\.name) == ["x", "y", "z"] && state.holders.map(\.node) == ["a", "a", "b"])
        #expect(state.holders.map(\.token) == ["x", "y", "z"].map { a.registry.token(of: $0) ?? b.registry.token(of: $0) ?? -1 })
        await b.stop()
        #expect(try await ClusterState.read(client: cluster.client(), prefix: "v/").holders.map(\.name) == ["x", "y"])
        await a.stop()
    }
}
