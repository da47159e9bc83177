import Supervision
import Testing
import TestSupport
import ScalableLocks

/// Every wait a caller can be stuck in ends when the caller's task is cancelled (issue
/// 23, item 9): a start whose `initialize` hangs, a stop whose `terminate` hangs, a
/// `terminateChild` waiting for a restart attempt that waits for the caller, and one
/// waiting for a child that will not exit. Each hung (until the time limit) before.
@Suite("Cancellation ends every wait a caller can be stuck in", .timeLimit(.minutes(Slowdown.scaled(1))))
struct CancellationTests {
    let runtime = quietRuntime()

    @Test("a start whose initialize hangs ends with StartError.cancelled, and the half-started process is killed")
    func startEndsOnCancellation() async throws {
        let entered = Latch()
        let start = Task { try await Scripted.start(.init(script: .hang(entered)), runtime: runtime) }
        await entered.wait()
        start.cancel()
        await #expect(throws: StartError.cancelled) { try await start.value }
        #expect(runtime.liveProcessCount == 0)
    }

    @Test("a stop whose terminate hangs ends with CallError.cancelled; the server keeps stopping")
    func stopEndsOnCancellation() async throws {
        let hangs = Latch()
        let server = try await Scripted.start(.init(script: .trapExits, terminateHangs: hangs), runtime: runtime)
        let pid = try #require(server.pid)
        let stop = Task { try await server.stop(.normal) }
        await hangs.wait()
        stop.cancel()
        await #expect(throws: CallError.cancelled) { try await stop.value }
        #expect(pid.isAlive, "still in its terminate")
        Process.exit(pid, .kill)
    }

    @Test("terminateChild waiting for a restart attempt that waits for the caller ends on cancellation; the attempt goes on")
    func terminateChildOfARestartingChildEndsOnCancellation() async throws {
        let supervisor = try await DynamicSupervisor.start(options: .init(maxRestarts: 1_000, period: .seconds(3_600)), runtime: runtime)
        let attempts = Lock(0)
        let attempting = Latch()
        let gate = Latch()
        // Starts and crashes; its first restart fails; its second waits for the gate —
        // which the test opens only after terminateChild returned (OTP deadlocks here too).
        let spec = ChildSpec(id: "waits") {
            let attempt = attempts.withLock { $0 += 1; return $0 }
            switch attempt {
            case 1:
                let counter = try await Counter.startLink(0)
                counter.cast(.crash)
                return counter.pid!
            case 2:
                throw TestFailure("cannot start yet")
            default:
                attempting.fire()
                await gate.wait()
                return try await Counter.startLink(0).pid!
            }
        }
        let first = try #require(try await supervisor.startChild(spec).pid)
        await attempting.wait()
        let terminate = Task { try await supervisor.terminateChild(first) }
        // Whether it is already parked or not, cancellation ends it without a change.
        terminate.cancel()
        await #expect(throws: SupervisorError.callFailed(.cancelled)) { try await terminate.value }
        gate.fire()
        try await supervisor.sync()
        #expect(supervisor.whichChildren().map(\.state) == [.running], "the attempt went on and the child runs")
        try await supervisor.stop()
    }

    @Test("terminateChild of a child that never finishes its terminate (shutdown infinity) kills it when the caller gives up")
    func terminateChildOfAStuckChildKillsOnCancellation() async throws {
        let supervisor = try await DynamicSupervisor.start(runtime: runtime)
        let hangs = Latch()
        let spec = ChildSpec.worker(Scripted.self, arguments: .init(script: .trapExits, terminateHangs: hangs),
                                    id: "stuck", shutdown: .infinity)
        let child = try #require(try await supervisor.startChild(spec).pid)
        let terminate = Task { try await supervisor.terminateChild(child) }
        await hangs.wait()
        terminate.cancel()
        try await terminate.value
        #expect(!child.isAlive && supervisor.whichChildren().isEmpty)
        try await supervisor.stop()
    }
}
