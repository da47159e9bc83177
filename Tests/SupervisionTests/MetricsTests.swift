import CoreMetrics
import Logging
import MetricsTestKit
import Supervision
import Testing
import TestSupport

/// A static supervisor's metrics, through swift-metrics' test backend: what a Grafana
/// board of a service shows when a child crashes, is restarted with its siblings, and
/// the supervisor gives up.
@Suite("Metrics of the runtime and a static supervisor", .timeLimit(.minutes(Slowdown.scaled(1))))
struct SupervisorMetricsTests {
    let metrics = TestMetrics()
    let root = [(SupervisionMetrics.supervisorDimension, "root")]

    func counter(_ label: String, _ dimensions: [(String, String)] = []) throws -> Int64 {
        try metrics.expectCounter(label, dimensions).totalValue
    }

    func exits(_ kind: ExitReasonKind) throws -> Int64 {
        try counter(SupervisionMetrics.processesExited, [(SupervisionMetrics.reasonDimension, kind.rawValue)])
    }

    func activeChildren() throws -> Double {
        try metrics.expectMeter(SupervisionMetrics.activeChildren, root).lastValue ?? 0
    }

    @Test("one_for_all: a crash restarts both children (two restarts), a second one escalates and stops them all")
    func oneForAll() async throws {
        let runtime = Runtime(logger: Logger(label: "metrics", factory: { _ in SwiftLogNoOpLogHandler() }), metrics: metrics)
        let log = Recorder<String>()
        let supervisor = try await Supervisor.start(
            children: [Tracked.spec("a", log: log), Tracked.spec("b", log: log)],
            options: .init(strategy: .oneForAll, maxRestarts: 1, period: .seconds(3600), metricsName: "root"),
            runtime: runtime)
        #expect(try counter(SupervisionMetrics.processesStarted) == 3)
        #expect(try activeChildren() == 2)
        #expect(try counter(SupervisionMetrics.restarts, root) == 0)

        var events = EventLog(runtime)
        let a = try #require(try await supervisor.whichChildren()[0].pid)
        Process.exit(a, .kill)
        #expect(try exits(.killed) == 1, "counted as the kill returns")
        _ = await events.restart(of: a)
        _ = try await supervisor.whichChildren()  // the exit is fully handled
        #expect(try counter(SupervisionMetrics.restarts, root) == 2, "a, and b with it")
        #expect(try exits(.shutdown) == 1, "b, stopped to restart with a")
        #expect(try counter(SupervisionMetrics.processesStarted) == 5)
        #expect(try activeChildren() == 2)
        #expect(try counter(SupervisionMetrics.escalations, root) == 0)

        let b = try #require(try await supervisor.whichChildren()[1].pid)
        Process.exit(b, .kill)
        #expect(await events.exit(of: supervisor.pid) == .shutdown)
        #expect(try counter(SupervisionMetrics.escalations, root) == 1)
        #expect(try counter(SupervisionMetrics.restarts, root) == 2)
        #expect(try activeChildren() == 0)
        #expect(try exits(.killed) == 2)
        #expect(try exits(.shutdown) == 3, "b once more, a, and the supervisor")
        #expect(try exits(.error) == 0)
        #expect(runtime.liveProcessCount == 0)
    }

    @Test("a runtime without a factory bootstrapped records nothing and runs the same")
    func noBackend() async throws {
        let runtime = quietRuntime()
        #expect(runtime.metricsFactory is NOOPMetricsHandler)
        let supervisor = try await Supervisor.start(children: [Tracked.spec("a", log: Recorder())], runtime: runtime)
        try await supervisor.stop()
        #expect(runtime.liveProcessCount == 0)
    }
}
