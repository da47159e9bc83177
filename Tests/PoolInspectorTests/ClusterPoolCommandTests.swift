import EtcdClient
import EtcdTesting
import InspectorProtocol
@testable import PoolInspector
import Supervision
import Testing
import TestSupport
import WorkerRegistry
import WorkerRegistryEtcd

/// A chat room: a worker that must run on exactly one node.
struct Room: GenServer {
    enum Request: Sendable { case topic }
    typealias Reply = String
    typealias Arguments = String
    let topic: String
    static func initialize(_ topic: String) async throws -> InitResult<Room> { .ok(Room(topic: topic)) }
    mutating func handleCall(_ request: Request, from caller: Caller<String>) async throws -> CallResult<String> { .reply(topic) }
}

/// The dashboard over a `ClusterPool`: its rows are this node's workers with their
/// tokens, and stop and kill act on the pid the person saw — then the name is free for
/// every node.
@Suite("Commands on a cluster pool: the dashboard stops and kills a worker held once across nodes",
       .enabled(if: EtcdCluster.runs, "etcd is not on PATH: install Debian's etcd-server to run the etcd tests"),
       .timeLimit(.minutes(Slowdown.scaled(2))))
struct ClusterPoolCommandTests {
    /// A node: a cluster pool under a root of its own, in a runtime of its own.
    struct Node {
        let runtime: Runtime
        let pool: ClusterPool<Room>
        let root: Supervisor
        /// What the node's registry reports, in order, for the test to wait on.
        let events: AsyncStream<EtcdRegistry.Event>

        init(_ name: String, etcd: EtcdCluster, prefix: String) async throws {
            runtime = quietRuntime(label: name)
            let (events, sink) = AsyncStream.makeStream(of: EtcdRegistry.Event.self)
            self.events = events
            let adapter = EtcdRegistration(client: etcd.client(), prefix: prefix, node: ClusterNode(name: name, address: "\(name):7000"),
                                           ttl: Slowdown.scaled(5)) { sink.yield($0) }
            pool = ClusterPool(Room.self, name: "rooms", adapter: adapter)
            root = try await Supervisor.start(children: [pool.registrationSpec, pool.childSpec()],
                                              options: .init(strategy: .restForOne), runtime: runtime)
        }

        /// Starts `id` here or answers where it lives.
        func lookupOrStart(_ id: String) async throws -> ClusterPlacement {
            try await runtime.run { try await pool.lookupOrStart(id, arguments: "topic \(id)") }
        }
    }

    func row(_ client: LineClient, _ id: String) async throws -> WireRow {
        try #require(try await client.rows(RowsQuery(pool: "rooms", filter: id)).rows.first { $0.id == id })
    }

    /// Waits until `node`'s registry reports `event` (those before it are passed over).
    func wait(_ node: Node, for event: EtcdRegistry.Event) async throws {
        for await seen in node.events where seen == event { return }
        throw TestFailure("\(node.pool.adapter.node)'s events ended before \(event)")
    }

    @Test("rows are this node's workers with their tokens; kill and stop act on the pid shown, and the id is then free on every node")
    func stopAndKill() async throws {
        let etcd = try await EtcdCluster.start(members: 1)
        defer { etcd.stop() }
        let prefix = "rooms-\(UInt64.random(in: 0..<UInt64.max))/"
        let a = try await Node("a", etcd: etcd, prefix: prefix)
        let b = try await Node("b", etcd: etcd, prefix: prefix)
        let inspector = Inspector(name: "chat", runtime: a.runtime, options: .init(commands: .all, logger: quiet))
        let client = LineClient(inspector)
        var failure: (any Error)?
        do {
            try inspector.watch(a.pool, newWorker: { "topic \($0)" })
            try await scenario(a, b, client)
        } catch {
            failure = error
        }
        // Whatever happened, the nodes stop before their etcd does.
        client.close()
        await inspector.stop()
        try? await a.root.stop()
        try? await b.root.stop()
        if let failure { throw failure }
    }

    func scenario(_ a: Node, _ b: Node, _ client: LineClient) async throws {
        let hello = try await client.hello()
        #expect(hello.pools.map(\.name) == ["rooms"] && hello.pools[0].commands.contains(.stop) && hello.pools[0].commands.contains(.kill))

        let one = try await a.lookupOrStart("room-1")
        let two = try await a.lookupOrStart("room-2")
        let remote = try await b.lookupOrStart("room-3")
        let shown = try await row(client, "room-1")
        #expect(shown.pid == one.localPID?.description && shown.value == "\(one.token)")
        let rows = try await client.rows(RowsQuery(pool: "rooms")).rows
        #expect(rows.map(\.id).sorted() == ["room-1", "room-2"], "only this node's workers")

        // Kill: dead when the command returns, and the name moves to b under a new token.
        guard case .command(let killed) = try await client.ask(.command(CommandRequest(pool: "rooms", .kill(WorkerTarget(ref: shown.ref, pid: shown.pid))))) else {
            throw TestFailure("no command reply")
        }
        #expect(killed.outcome.contains("gone from the registry"), "\(killed.outcome)")
        #expect(one.localPID?.isAlive == false && a.pool.whereis("room-1") == nil)
        try await wait(b, for: .viewChanged("room-1", holder: nil))
        let moved = try await b.lookupOrStart("room-1")
        #expect(moved.localPID != nil && moved.token > one.token)

        // Stop: through the supervisor, dead and unregistered, not restarted here.
        let second = try await row(client, "room-2")
        guard case .command(let stopped) = try await client.ask(.command(CommandRequest(pool: "rooms", .stop(WorkerTarget(ref: second.ref, pid: second.pid))))) else {
            throw TestFailure("no command reply")
        }
        #expect(stopped.outcome == "stop room-2 returned: \(second.pid) dead and unregistered", "\(stopped.outcome)")
        #expect(two.localPID?.isAlive == false && a.pool.count() == 0)
        try await wait(b, for: .viewChanged("room-2", holder: nil))
        let second2 = try await b.lookupOrStart("room-2")
        #expect(second2.localPID != nil && second2.token > two.token)

        // lookupOrStart from the dashboard of an id held on b: it says where, from a's view
        // (a hit), and starts nothing.
        let live = a.runtime.liveProcessCount
        try await wait(a, for: .viewChanged("room-3", holder: ClusterNode(name: "b", address: "b:7000")))
        guard case .command(let found) = try await client.ask(.command(CommandRequest(pool: "rooms", .lookupOrStart(id: "room-3")))) else {
            throw TestFailure("no command reply")
        }
        #expect(found.pid == nil && found.outcome.contains("b:7000") && found.outcome.contains("\(remote.token)"), "\(found.outcome)")
        #expect(a.runtime.liveProcessCount == live)
    }
}
