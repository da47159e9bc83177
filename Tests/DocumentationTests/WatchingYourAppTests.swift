import Foundation
import InspectorProtocol
import Logging
import MetricsTestKit
import PoolInspector
import ServiceLifecycle
import Supervision
import Testing
import TestSupport
import WorkerRegistry

/// The code of the "Watching your app" article, run: with a capturing logger and
/// swift-metrics' test backend in place of the app's.
@Suite("Article: Watching your app", .timeLimit(.minutes(Slowdown.scaled(1))))
struct WatchingYourAppTests {
    struct Session: GenServer {
        static func initialize(_ user: String) async throws -> InitResult<Session> { .ok(Session()) }
    }

    @Test("the inspector serves in a group, the pool's metrics count, the logs go to the app's logger")
    func watch() async throws {
        let captured = LogCapture()
        let logger = captured.logger(label: "billing")
        let metrics = TestMetrics()

        let runtime = Runtime(logger: logger, metrics: metrics)
        let sessions = WorkerPool(Session.self, id: String.self, name: "sessions", metrics: metrics)
        try await sessions.start(runtime: runtime)

        let inspector = Inspector(name: "billing", runtime: runtime, options: .init(commands: [.stop, .kill]))
        try inspector.watch(sessions)
        let group = ServiceGroup(configuration: .init(
            services: [InspectorLifecycleService(inspector)], gracefulShutdownSignals: [.sigterm], logger: logger))

        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let pid = try await sessions.lookupOrStart("alice", arguments: "alice")
            #expect(try metrics.expectCounter("pool_lookup_or_start_total", [("pool", "sessions"), ("result", "miss")]).totalValue == 1)
            #expect(try metrics.expectMeter("registry_entries", [("registry", "sessions")]).lastValue == 1)
            Process.exit(pid, .kill)
            #expect(try metrics.expectCounter("supervision_processes_exited_total", [("reason", "killed")]).totalValue == 1)
            await group.triggerGracefulShutdown()
            try await tasks.next()
        }
        await sessions.stopPool()
        #expect(runtime.logger.label == "billing")
    }
}
