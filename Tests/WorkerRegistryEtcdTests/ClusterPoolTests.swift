import EtcdTesting
import Logging
import MetricsTestKit
import Supervision
import TestSupport
import Testing
import WorkerRegistry
import WorkerRegistryEtcd

/// A `WorkerPool` over etcd: the pool's verbs where a worker may live on another node.
/// (The adapter conformance checks run on cluster pools too, in EtcdRegistrationTests.)
@Suite("ClusterPool: a pool whose workers are held once across nodes",
       .enabled(if: EtcdCluster.runs, "etcd is not on PATH: install Debian's etcd-server to run the etcd tests"),
       .sharedEtcd(members: 1), .timeLimit(.minutes(Slowdown.scaled(2))))
struct ClusterPoolTests {
    /// One node: a pool over its adapter, under a root of its own, in a runtime of its own;
    /// what its registry reports, to wait on.
    struct Node {
        let pool: ClusterPool<Session>
        let root: Supervisor
        let events = ClusterEvents()

        init(_ name: String, prefix: String, metrics: TestMetrics? = nil) async throws {
            let plain = try SharedEtcdCluster.adapter(prefix: prefix, node: name)
            let sink = events.sink
            let adapter = EtcdRegistration(client: plain.client, prefix: prefix, node: plain.node, ttl: plain.ttl) { sink.yield($0) }
            pool = if let metrics {
                ClusterPool(Session.self, name: "rooms", adapter: adapter, metrics: metrics)
            } else {
                ClusterPool(Session.self, name: "rooms", adapter: adapter)
            }
            let runtime = Runtime(logger: Logger(label: name, factory: { _ in SwiftLogNoOpLogHandler() }), label: name)
            root = try await Supervisor.start(children: [pool.registrationSpec, pool.childSpec()],
                                              options: .init(strategy: .restForOne), runtime: runtime)
        }

        func stop() async { try? await root.stop() }
    }

    @Test("an id held on another node: start says where it lives, stop here is notFound and the worker runs on; count and toList are this node's")
    func heldElsewhere() async throws {
        let prefix = SharedEtcdCluster.freshPrefix()
        let a = try await Node("a", prefix: prefix)
        let b = try await Node("b", prefix: prefix)
        let held = try await a.pool.lookupOrStart("room-1", arguments: "room-1")
        let pid = try #require(held.localPID)
        do {
            _ = try await b.pool.start("room-1", arguments: "room-1")
            Issue.record("b started a second holder")
        } catch {
            #expect(error.code == .alreadyStarted && error.holder?.token == held.token && error.holder?.localPID == nil, "\(error)")
        }
        do {
            _ = try await a.pool.start("room-1", arguments: "room-1")
            Issue.record("a started a second holder")
        } catch {
            #expect(error.code == .alreadyStarted && error.holder == held, "\(error)")
        }
        #expect(await b.pool.stop("room-1") == .notFound)
        #expect(pid.isAlive && a.pool.lookup("room-1") == held)
        #expect(a.pool.count() == 1 && b.pool.count() == 0)
        #expect(a.pool.toList().map(\.id) == ["room-1"] && b.pool.toList().isEmpty)
        #expect(a.pool.whereis("room-1") == pid && b.pool.whereis("room-1") == nil)
        // Its own node stops it: dead, unregistered, and the id is free for the other node,
        // under a larger token.
        #expect(await a.pool.stop("room-1") == .stopped)
        #expect(!pid.isAlive && a.pool.count() == 0)
        // Once b's watch has seen the release, b's view is free and its lookupOrStart claims.
        #expect(await b.events.wait { $0 == .viewChanged("room-1", holder: nil) })
        let taken = try await b.pool.lookupOrStart("room-1", arguments: "room-1")
        #expect(taken.localPID != nil && taken.token > held.token, "\(taken)")
        #expect(try await ServerRef<Session>(name: b.pool.via("room-1")).call(.name) == "room-1")
        await a.stop()
        await b.stop()
    }

    @Test("metrics: a claim is a miss, a view's answer a hit (here or elsewhere); a refused start is no failure")
    func metrics() async throws {
        let prefix = SharedEtcdCluster.freshPrefix()
        let metrics = TestMetrics()
        let a = try await Node("a", prefix: prefix)
        let b = try await Node("b", prefix: prefix, metrics: metrics)
        let pool = [(WorkerRegistryMetrics.poolDimension, "rooms")]
        func count(_ result: String) throws -> Int64 {
            try metrics.expectCounter(WorkerRegistryMetrics.lookupOrStart, pool + [(WorkerRegistryMetrics.resultDimension, result)]).totalValue
        }
        _ = try await b.pool.lookupOrStart("mine", arguments: "mine")
        #expect(try count("miss") == 1)
        _ = try await b.pool.lookupOrStart("mine", arguments: "mine")
        #expect(try count("hit") == 1)
        // Held on a: once b's view has it, b's lookupOrStart is a hit that answers a.
        let theirs = try await a.pool.lookupOrStart("theirs", arguments: "theirs")
        let nodeA = ClusterNode(name: "a", address: "a.local:7000")
        #expect(await b.events.wait { $0 == .viewChanged("theirs", holder: nodeA) })
        #expect(try await b.pool.lookupOrStart("theirs", arguments: "theirs") == .remote(nodeA, token: theirs.token))
        #expect(try count("hit") == 2 && count("miss") == 1)
        do {
            _ = try await b.pool.start("theirs", arguments: "theirs")
            Issue.record("b started a second holder")
        } catch {
            #expect(error.code == .alreadyStarted, "\(error)")
        }
        #expect(try metrics.expectCounter(WorkerRegistryMetrics.startFailures, pool).totalValue == 0, "a refusal is no failed start")
        await a.stop()
        await b.stop()
    }

    @Test("lookupOrStart checking etcd does not trust a view that still names a gone holder")
    func checkingStore() async throws {
        let prefix = SharedEtcdCluster.freshPrefix()
        let a = try await Node("a", prefix: prefix)
        let b = try await Node("b", prefix: prefix)
        let held = try await a.pool.lookupOrStart("room", arguments: "room")
        #expect(await b.events.wait { $0 == .viewChanged("room", holder: ClusterNode(name: "a", address: "a.local:7000")) })
        // a's node dies as a crash would: nothing is released; b's view names a until the
        // lease expires, and etcd still holds a's key meanwhile.
        a.pool.meta.crash()
        #expect(b.pool.lookup("room")?.localPID == nil)
        let answer = try await b.pool.lookupOrStart("room", arguments: "room", checkingStore: true)
        #expect(answer.localPID == nil && answer.token == held.token, "etcd still holds a's claim: the claim answers it, \(answer)")
        // Once a's lease has expired, the claim checking etcd takes the name at once.
        #expect(await b.events.wait { $0 == .viewChanged("room", holder: nil) })
        let taken = try await b.pool.lookupOrStart("room", arguments: "room", checkingStore: true)
        #expect(taken.localPID != nil && taken.token > held.token, "\(taken)")
        await a.stop()
        await b.stop()
    }
}

extension ClusterPoolTests {
    @Test("a node restarted under its name within the TTL sees its earlier incarnation's names as held, then free when that lease expires, with the events")
    func earlierIncarnation() async throws {
        let prefix = SharedEtcdCluster.freshPrefix()
        let first = try await Node("b", prefix: prefix)
        let held = try await first.pool.lookupOrStart("room", arguments: "room")
        first.pool.meta.crash()
        // b again (systemd restarting it at once), under a new lease.
        let again = try await Node("b", prefix: prefix)
        let earlier = ClusterNode(name: "b", address: "b.local:7000")
        // Its start read the names held: the view has the earlier incarnation's, and said so.
        let seen = try #require(again.pool.lookup("room"), "the earlier incarnation's name is not in the view")
        #expect(seen == .remote(earlier, token: held.token))
        #expect(await again.events.wait { $0 == .viewChanged("room", holder: earlier) })
        // Its lease expires: the name is free, said so, and taken here under a new token.
        #expect(await again.events.wait { $0 == .viewChanged("room", holder: nil) })
        #expect(again.pool.lookup("room") == nil)
        let taken = try await again.pool.lookupOrStart("room", arguments: "room")
        #expect(taken.localPID != nil && taken.token > held.token, "\(taken)")
        await first.stop()
        await again.stop()
    }
}

/// What a node's registry reports, for a test to wait on instead of polling.
final class ClusterEvents: @unchecked Sendable {
    // Unchecked: `iterator` is advanced by the one test task that waits, one wait at a
    // time; events arrive through the stream, buffered until waited for.
    private var iterator: AsyncStream<EtcdRegistry.Event>.Iterator
    let sink: AsyncStream<EtcdRegistry.Event>.Continuation

    init() {
        let (stream, sink) = AsyncStream.makeStream(of: EtcdRegistry.Event.self)
        iterator = stream.makeAsyncIterator()
        self.sink = sink
    }

    /// Waits for an event matching `predicate`, passing over the ones before it; `false`
    /// if the stream ended first. (The suite's time limit bounds the wait.)
    func wait(for predicate: (EtcdRegistry.Event) -> Bool) async -> Bool {
        while let event = await iterator.next() {
            if predicate(event) { return true }
        }
        return false
    }
}
