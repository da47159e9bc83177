import Supervision
import Testing
import TestSupport

/// A server that describes its state: how many messages it has counted.
struct Described: GenServer, StateDescribing {
    enum Cast: Sendable { case bump }
    var count = 0
    static func initialize(_ arguments: Void) async throws -> InitResult<Described> { .ok(Described()) }
    mutating func handleCast(_ message: Cast) async throws -> HandleResult {
        count += 1
        return .noreply
    }
    func describeState() -> String { "count \(count)\nsecond line" }
}

@Suite("Inspection: what tools can ask of a runtime", .timeLimit(.minutes(Slowdown.scaled(2))))
struct InspectionTests {
    @Test("a server that adopts StateDescribing describes its state, after the messages already in its mailbox")
    func describes() async throws {
        let runtime = quietRuntime()
        let server = try await runtime.run { try await Described.start(()) }
        for _ in 0..<3 { server.cast(.bump) }
        let description = try await Process.describeState(of: server.pid!, timeout: .infinity)
        #expect(description == "count 3\nsecond line", "the casts sent before are handled first, as OTP's system messages are")
        try await server.stop()
    }

    @Test("a server that keeps its state to itself, a supervisor and a spawned process answer nothing")
    func notDescribed() async throws {
        let runtime = quietRuntime()
        let counter = try await runtime.run { try await Counter.start(1) }
        #expect(try await Process.describeState(of: counter.pid!, timeout: .infinity) == nil)
        let supervisor = try await DynamicSupervisor.start(runtime: runtime)
        #expect(try await Process.describeState(of: supervisor.pid, timeout: .infinity) == nil)
        let spawned = Process.spawn(runtime: runtime) { inbox in _ = try await inbox.receive() }
        #expect(try await Process.describeState(of: spawned, timeout: .infinity) == nil)
        Process.exit(spawned, .kill)
        try await supervisor.stop()
        try await counter.stop()
    }

    @Test("a busy server does not answer; the timeout ends the wait, on the runtime's clock, and the server runs on")
    func busyTimesOut() async throws {
        let clock = ManualClock()
        let runtime = quietRuntime(clock: clock)
        let entered = Latch()
        let blocker = try await runtime.run { try await Blocker.start(entered) }
        let busy = Task { try await blocker.call(.block, timeout: .infinity) }
        await entered.wait()
        let asking = Task { try await Process.describeState(of: blocker.pid!, timeout: .milliseconds(500)) }
        await clock.waitForTimers(atLeast: 1)
        clock.advance(by: .milliseconds(499))
        #expect(clock.pendingTimerCount == 1, "not yet")
        clock.advance(by: .milliseconds(1))
        await #expect(throws: CallError.timeout(.milliseconds(500))) { try await asking.value }
        #expect(blocker.pid!.isAlive, "a tool's question never hurts the process")
        Process.exit(blocker.pid!, .kill)
        _ = try? await busy.value
    }

    @Test("asking a dead pid fails at once; a server that dies before answering fails the question")
    func deadProcess() async throws {
        let clock = ManualClock()
        let runtime = quietRuntime(clock: clock)
        let entered = Latch()
        let blocker = try await runtime.run { try await Blocker.start(entered) }
        let pid = blocker.pid!
        let busy = Task { try await blocker.call(.block, timeout: .infinity) }
        await entered.wait()
        let asking = Task { try await Process.describeState(of: pid, timeout: .seconds(60)) }
        await clock.waitForTimers(atLeast: 1)  // the question is in the mailbox: its timeout is armed
        Process.exit(pid, .kill)
        await #expect(throws: CallError.exited(.killed)) { try await asking.value }
        await #expect(throws: CallError.noProcess(target: pid.description)) { try await Process.describeState(of: pid) }
        _ = try? await busy.value
    }

    @Test("the runtime lists its live supervisors; the roots are those no supervisor of it started")
    func roster() async throws {
        let runtime = quietRuntime()
        let root = try await Supervisor.start(children: [
            DynamicSupervisor.childSpec(id: "pool"),
            Supervisor.childSpec(id: "inner", children: [DynamicSupervisor.childSpec(id: "nested")]),
        ], runtime: runtime)
        let other = try await DynamicSupervisor.start(runtime: runtime)
        let supervisors = runtime.supervisors()
        #expect(supervisors.count == 5)
        #expect(supervisors == supervisors.sorted(), "oldest first")
        #expect(runtime.rootSupervisors() == [root.pid, other.pid])
        #expect(Supervisor(running: root.pid) != nil)
        #expect(Supervisor(running: other.pid) == nil, "a dynamic supervisor is not a Supervisor")
        try await other.stop()
        #expect(runtime.rootSupervisors() == [root.pid], "a supervisor that stopped is gone from the list")
        try await root.stop()
        #expect(runtime.supervisors().isEmpty)
        #expect(Supervisor(running: root.pid) == nil, "nor is a dead one")
    }

    @Test("snapshot(timeout:) gives up on a supervisor busy starting a child, on the runtime's clock")
    func snapshotTimeout() async throws {
        let clock = ManualClock()
        let runtime = quietRuntime(clock: clock)
        let root = try await Supervisor.start(children: [], runtime: runtime)
        let entered = Latch()
        let starting = Task {
            try await root.startChild(.worker(Scripted.self, arguments: .init(script: .hang(entered)), id: "slow",
                                              startTimeout: .seconds(10)))
        }
        await entered.wait()
        await clock.waitForTimers(atLeast: 1)  // the start's own timeout
        let asking = Task { try await root.snapshot(timeout: .seconds(1)) }
        await clock.waitForTimers(atLeast: 2)
        clock.advance(by: .seconds(1))
        await #expect(throws: CallError.timeout(.seconds(1))) { try await asking.value }
        clock.advance(by: .seconds(9))
        await #expect(throws: SupervisorError.self) { try await starting.value }
        #expect(try await root.snapshot(timeout: .seconds(1)).children.isEmpty, "answers again once it is free")
        try await root.stop()
    }

    @Test("a process's start time is read without its lock, and is nil once it has exited")
    func startTime() async throws {
        let clock = ManualClock(start: Timestamp(nanoseconds: 5_000))
        let runtime = quietRuntime(clock: clock)
        let pid = Process.spawn(runtime: runtime) { inbox in _ = try await inbox.receive() }
        #expect(Process.startTime(of: pid) == Timestamp(nanoseconds: 5_000))
        Process.exit(pid, .kill)
        #expect(Process.startTime(of: pid) == nil)
    }
}
