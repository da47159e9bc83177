import Logging
import Supervision
import Testing
import TestSupport

/// Supervisor and crash reports through the logger the runtime was given: OTP's reports
/// at sensible levels, with structured metadata under dotted keys.
@Suite("Logging: crash and supervisor reports", .timeLimit(.minutes(Slowdown.scaled(1))))
struct LoggingTests {
    @Test("a crash is an error with the pid; a restart is info with the child's id and both pids; intensity reached is an error with its limits")
    func supervisorReports() async throws {
        let captured = LogCapture()
        let runtime = Runtime(logger: captured.logger(), label: "logs")
        let log = Recorder<String>()
        let supervisor = try await Supervisor.start(children: [Tracked.spec("w", log: log)],
                                                    options: .init(maxRestarts: 1, period: .seconds(3_600)), runtime: runtime)
        let first = try #require(try await supervisor.whichChildren()[0].pid)

        var restarts = RestartWatch(runtime)
        ServerRef<Tracked>(pid: first).cast(.crash)
        let second = try #require(await restarts.restart(of: first))

        let crash = try #require(captured.records.first { $0.message.contains("crashed") })
        #expect(crash.level == .error)
        #expect(crash.metadata["process.pid"] == "\(first)")
        #expect(crash.metadata["process.parent"] == "\(supervisor.pid)")
        #expect(crash.metadata["error.reason"] == "crash of w")
        let restart = try #require(captured.records.first { $0.message == "child restarted" })
        #expect(restart.level == .info)
        #expect(restart.metadata["supervisor.pid"] == "\(supervisor.pid)")
        #expect(restart.metadata["supervisor.child_id"] == "w")
        #expect(restart.metadata["process.previous_pid"] == "\(first)")
        #expect(restart.metadata["process.pid"] == "\(second)")

        // A second crash within the period is one restart more than maxRestarts 1. (The
        // period is long: with the default 5 s, a run slowed by a sanitizer let the first
        // restart age out of the window, the supervisor restarted again, and the DOWN
        // awaited below never came.)
        let down = Process.watch(supervisor.pid)
        ServerRef<Tracked>(pid: second).cast(.crash)
        #expect(try await down.reason == .shutdown)
        let gaveUp = try #require(captured.records.first { $0.message.contains("maximum restart intensity") })
        #expect(gaveUp.level == .error)
        #expect(gaveUp.metadata["supervisor.pid"] == "\(supervisor.pid)")
        #expect(gaveUp.metadata["supervisor.max_restarts"] == "1")
        // Nothing above info for the orderly parts: only the two crashes, the intensity.
        let loud = captured.records.filter { $0.level > .info }
        #expect(loud.count == 3, "\(loud.map(\.message))")
    }
}
