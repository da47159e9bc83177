import Logging
import MetricsTestKit
import Supervision
import Testing
import TestSupport
import WorkerRegistry

/// What a service sees on its metrics board: every metric of the runtime, the pool's
/// supervisor, its registry and the pool moves as workers miss, start, crash, restart and
/// the supervisor gives up — read through swift-metrics' test backend, never bootstrapped.
@Suite("Metrics: the runtime, the supervisor, the registry and the pool report through swift-metrics", .timeLimit(.minutes(Slowdown.scaled(1))))
struct MetricsTests {
    let metrics = TestMetrics()

    func runtime() -> Runtime {
        Runtime(logger: Logger(label: "metrics", factory: { _ in SwiftLogNoOpLogHandler() }), label: "metrics", metrics: metrics)
    }

    func counter(_ label: String, _ dimensions: [(String, String)] = []) throws -> Int64 {
        try metrics.expectCounter(label, dimensions).totalValue
    }

    func meter(_ label: String, _ dimensions: [(String, String)]) throws -> Double {
        try metrics.expectMeter(label, dimensions).lastValue ?? 0
    }

    func exits(_ kind: ExitReasonKind) throws -> Int64 {
        try counter(SupervisionMetrics.processesExited, [(SupervisionMetrics.reasonDimension, kind.rawValue)])
    }

    let pool = [(WorkerRegistryMetrics.poolDimension, "sessions")]
    let supervisor = [(SupervisionMetrics.supervisorDimension, "sessions")]
    let registry = [(WorkerRegistryMetrics.registryDimension, "sessions")]
    var hit: [(String, String)] { pool + [(WorkerRegistryMetrics.resultDimension, "hit")] }
    var miss: [(String, String)] { pool + [(WorkerRegistryMetrics.resultDimension, "miss")] }

    @Test("a miss, a hit, a kill, a restart, a failed start and an escalation each move their metrics")
    func poolLifecycle() async throws {
        let runtime = runtime()
        let sessions = WorkerPool(
            PoolWorker.self, id: String.self, name: "sessions",
            options: .init(restart: .permanent, maxRestarts: 1, period: .seconds(3600)),
            metrics: metrics
        ) { _, arguments in arguments.value }
        try await sessions.start(runtime: runtime)
        #expect(try counter(SupervisionMetrics.processesStarted) == 1, "the pool's supervisor")
        #expect(try meter(SupervisionMetrics.activeChildren, supervisor) == 0)

        // A miss starts a worker: counted, timed, registered, supervised.
        let first = try await sessions.lookupOrStart("alice", arguments: .init(1))
        #expect(try counter(WorkerRegistryMetrics.lookupOrStart, miss) == 1)
        #expect(try counter(WorkerRegistryMetrics.lookupOrStart, hit) == 0)
        #expect(try metrics.expectTimer(WorkerRegistryMetrics.startDuration, pool).values.count == 1)
        #expect(try counter(SupervisionMetrics.processesStarted) == 2)
        #expect(try meter(WorkerRegistryMetrics.entries, registry) == 1)
        #expect(try meter(SupervisionMetrics.activeChildren, supervisor) == 1)

        // A hit starts nothing.
        #expect(try await sessions.lookupOrStart("alice", arguments: .init(1)) == first)
        #expect(try counter(WorkerRegistryMetrics.lookupOrStart, hit) == 1)
        #expect(try counter(WorkerRegistryMetrics.lookupOrStart, miss) == 1)
        #expect(try counter(SupervisionMetrics.processesStarted) == 2)

        // A kill: when it returns, the exit is counted and the entry and the child are gone.
        var watch = RestartWatch(runtime)
        Process.exit(first, .kill)
        #expect(try exits(.killed) == 1)

        // The restart: counted, the worker registered and supervised again.
        let second = try #require(await watch.restart(of: first))
        #expect(try counter(SupervisionMetrics.restarts, supervisor) == 1)
        #expect(try counter(SupervisionMetrics.processesStarted) == 3)
        #expect(sessions.lookup("alice") == second)
        #expect(try meter(WorkerRegistryMetrics.entries, registry) == 1)
        #expect(try meter(SupervisionMetrics.activeChildren, supervisor) == 1)

        // A start that throws: a miss and a failure, no duration, nothing registered.
        await #expect(throws: StartError.self) {
            try await sessions.lookupOrStart("mallory", arguments: .init(0, mode: .fail))
        }
        #expect(try counter(WorkerRegistryMetrics.lookupOrStart, miss) == 2)
        #expect(try counter(WorkerRegistryMetrics.startFailures, pool) == 1)
        #expect(try metrics.expectTimer(WorkerRegistryMetrics.startDuration, pool).values.count == 1)
        #expect(try meter(WorkerRegistryMetrics.entries, registry) == 1)
        #expect(try exits(.error) == 1, "the worker that failed in initialize")

        // A second crash within the hour exceeds 1 restart: the supervisor escalates and
        // stops its last child.
        let events = runtime.events.subscribe()
        let supervisorPID = try #require(sessions.supervisor?.pid)
        Process.exit(second, .kill)
        for await event in events {
            if case .exited(let pid, _, _) = event.kind, pid == supervisorPID { break }
        }
        #expect(try counter(SupervisionMetrics.escalations, supervisor) == 1)
        #expect(try counter(SupervisionMetrics.restarts, supervisor) == 1)
        #expect(try meter(SupervisionMetrics.activeChildren, supervisor) == 0)
        #expect(try meter(WorkerRegistryMetrics.entries, registry) == 0)
        #expect(try exits(.killed) == 2)
        #expect(try exits(.shutdown) == 1, "the supervisor gave up with shutdown")
    }

    @Test("dimensions stay bounded: a thousand ids make no new metric")
    func boundedDimensions() async throws {
        let runtime = runtime()
        let sessions = WorkerPool(PoolWorker.self, id: String.self, name: "sessions", metrics: metrics) { _, arguments in
            arguments.value
        }
        try await sessions.start(runtime: runtime)
        _ = try await sessions.lookupOrStart("warm-up", arguments: .init(0))
        let before = (metrics.counters.count, metrics.meters.count, metrics.timers.count)
        for index in 0..<1_000 {
            let pid = try await sessions.lookupOrStart("id-\(index)", arguments: .init(index))
            if index.isMultiple(of: 2) { Process.exit(pid, .kill) } else { await sessions.stop("id-\(index)") }
        }
        #expect((metrics.counters.count, metrics.meters.count, metrics.timers.count) == before)
        #expect(try counter(WorkerRegistryMetrics.lookupOrStart, miss) == 1_001)
        #expect(try meter(WorkerRegistryMetrics.entries, registry) == 1)
        #expect(try meter(SupervisionMetrics.activeChildren, supervisor) == 1)
        let values = Set(metrics.counters.flatMap(\.dimensions).map(\.1))
        #expect(values.isSubset(of: Set(["sessions", "hit", "miss"] + ExitReasonKind.allCases.map(\.rawValue))), "\(values)")
    }

    @Test("a registry on its own reports its entries as keys come and go, and as their process exits")
    func registryEntries() async throws {
        let runtime = runtime()
        let names = Registry<String, Int>(keys: .duplicate, name: "topics", metrics: metrics)
        let entries = [(WorkerRegistryMetrics.registryDimension, "topics")]
        let holder = await Holder(runtime: runtime)
        try await holder.run {
            try names.register("news", value: 1, for: holder.pid)
            try names.register("news", value: 2, for: holder.pid)
            try names.register("sport", value: 3, for: holder.pid)
        }
        #expect(try meter(WorkerRegistryMetrics.entries, entries) == 3)
        names.unregister("news", for: holder.pid)
        #expect(try meter(WorkerRegistryMetrics.entries, entries) == 1)
        Process.exit(holder.pid, .kill)
        #expect(try meter(WorkerRegistryMetrics.entries, entries) == 0)
    }
}
