import Logging
import Supervision
import Testing
import TestSupport

/// A timer for the clock tests: fires a latch.
private final class LatchTimer: ScheduledTimer {
    let fired = Latch()
    func fire() { fired.fire() }
    var isSettled: Bool { fired.isFired }
}

/// A runtime's end: what is left is killed, and its clock's timer thread ends — at once
/// when nothing is armed, after the last armed timer when something is — and comes back
/// for the next timer. And the library's logger is the caller's, never one of its own.
@Suite("Runtime: shutdown, the clock's thread, the default logger", .timeLimit(.minutes(Slowdown.scaled(1))))
struct RuntimeShutdownTests {
    @Test("shutdown kills the processes left, returns once they are gone, and ends the clock's thread")
    func shutdownStopsEverything() async throws {
        let clock = SystemClock()
        let runtime = Runtime(clock: clock, logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }))
        let supervisor = try await Supervisor.start(children: [Tracked.spec("a", log: Recorder())], runtime: runtime)
        let loner = Process.spawn(runtime: runtime) { _ in await suspendUntilCancelled() }
        // A timer fired: the clock's thread runs, and stays.
        let timer = LatchTimer()
        clock.schedule(timer, at: clock.now())
        await timer.fired.wait()
        #expect(clock.isThreadRunning)
        #expect(runtime.liveProcessCount == 3)

        await runtime.shutdown()
        #expect(runtime.liveProcessCount == 0)
        #expect(!supervisor.pid.isAlive && !loner.isAlive)
        #expect(!clock.isThreadRunning, "no timer was left armed")

        // The runtime goes on: the next timer starts the thread again.
        _ = try await Supervisor.start(children: [], runtime: runtime)
        let next = LatchTimer()
        clock.schedule(next, at: clock.now())
        await next.fired.wait()
        #expect(clock.isThreadRunning)
        await runtime.shutdown()
        #expect(!clock.isThreadRunning)
    }

    @Test("a timer still armed keeps the thread until it fires; then the thread ends")
    func armedTimerOutlivesShutdown() async throws {
        let clock = SystemClock()
        let timer = LatchTimer()
        clock.schedule(timer, at: clock.now() + .milliseconds(20))
        #expect(clock.shutdown() == false, "another user's timer is armed")
        await timer.fired.wait()
        #expect(clock.shutdown() == true)
        #expect(!clock.isThreadRunning)
    }

    @Test("a clock whose thread never started shuts down at once")
    func idleClock() {
        let clock = SystemClock()
        #expect(clock.shutdown())
        #expect(!clock.isThreadRunning)
    }

    @Test("by default a runtime logs to the task-local logger of where it was made")
    func taskLocalLogger() async throws {
        let captured = LogCapture()
        let runtime = withLogger(captured.logger(label: "service")) { _ in Runtime(label: "scoped") }
        #expect(runtime.logger.label == "service")
        let crasher = Process.spawn(runtime: runtime) { _ in throw TestFailure("boom") }
        _ = try await Process.watch(crasher).reason
        #expect(captured.records.contains { $0.level == .error && $0.metadata["process.pid"] == "\(crasher)" })
        await runtime.shutdown()
    }
}
