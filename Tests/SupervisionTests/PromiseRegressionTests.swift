import Dispatch
@testable import Supervision
import Synchronization
import Testing
import TestSupport
import ScalableLocks

/// The runtime's promises where a race or a repeat broke them once (issue 23). Each test
/// widens its window with a seam or a hook that blocks, never with a sleep, and failed
/// before its fix.
@Suite("Promises under races and repeats", .timeLimit(.minutes(Slowdown.scaled(2))))
struct PromiseRegressionTests {
    let runtime = quietRuntime()

    @Test("kill returns only once the target is dead, even when its exit already runs on another thread")
    func killWaitsForAnExitRunningElsewhere() async throws {
        let pid = Process.spawn(runtime: runtime) { _ in await suspendUntilCancelled() }
        let hook = BlockingExitHook()
        #expect(Process.addExitHook(hook, to: pid))
        // Either the second kill starts waiting (the seam) or it returns: whichever comes first.
        let progress = DispatchSemaphore(value: 0)
        ProcessCore.exitWaitSeam.withLock { $0 = { if $0 == pid { progress.signal() } } }
        defer { ProcessCore.exitWaitSeam.withLock { $0 = nil } }
        let aliveAfterKill = Lock<Bool?>(nil)
        let done = await OSThread.run("the test's threads") { () -> Bool in
            // Thread 1 starts the exit and stays in the hook.
            let first = OSThread.start("first kill") { Process.exit(pid, .kill) }
            hook.entered.wait()
            // Thread 2 kills the exiting process.
            let second = OSThread.start("second kill") {
                Process.exit(pid, .kill)
                aliveAfterKill.withLock { $0 = pid.isAlive }
                progress.signal()
            }
            progress.wait()
            hook.release.signal()
            first.join()
            second.join()
            return true
        }
        #expect(done)
        #expect(aliveAfterKill.withLock { $0 } == false, "the second kill returned while the target was still alive")
        #expect(!pid.isAlive)
    }

    @Test("an exit hook that kills its own process again returns at once instead of waiting for itself")
    func killFromItsOwnExitHookDoesNotWait() async throws {
        final class Rekill: ProcessExitHook {
            let calls = Lock(0)
            func processExiting(_ pid: PID, reason: ExitReason) {
                calls.withLock { $0 += 1 }
                Process.exit(pid, .kill)
            }
        }
        let pid = Process.spawn(runtime: runtime) { _ in await suspendUntilCancelled() }
        let hook = Rekill()
        #expect(Process.addExitHook(hook, to: pid))
        Process.exit(pid, .kill)
        #expect(!pid.isAlive && hook.calls.withLock { $0 } == 1)
    }

    // MARK: deferred calls

    /// Answers `.hold` later (never, here) and `.ping` at once; says when it deferred a hold.
    struct LongPoll: GenServer {
        enum Request: Sendable { case hold, ping }
        typealias Reply = Int
        typealias Arguments = AsyncStream<Void>.Continuation
        let held: AsyncStream<Void>.Continuation
        static func initialize(_ held: Arguments) async throws -> InitResult<LongPoll> { .ok(LongPoll(held: held)) }
        mutating func handleCall(_ request: Request, from caller: Caller<Int>) async throws -> CallResult<Int> {
            switch request {
            case .hold:
                held.yield()
                return .noreply
            case .ping: return .reply(1)
            }
        }
    }

    static func deferredCount(_ pid: PID) -> Int {
        pid.core?.state.withLock { $0.rare?.deferred.count ?? 0 } ?? -1
    }

    @Test("a deferred call whose caller timed out, was cancelled or died leaves the server's table")
    func deferredCallsLeaveWhenSettledElsewhere() async throws {
        let clock = ManualClock()
        let runtime = quietRuntime(clock: clock)
        let (held, holding) = AsyncStream<Void>.makeStream()
        var holds = held.makeAsyncIterator()
        let server = try await LongPoll.start(holding, runtime: runtime)
        let pid = try #require(server.pid)

        // Timed out: a hundred long polls, then their deadline passes.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<100 {
                group.addTask {
                    await #expect(throws: CallError.timeout(.seconds(1))) { try await server.call(.hold, timeout: .seconds(1)) }
                }
            }
            for _ in 0..<100 { await holds.next() }
            // A ping is handled after the hold before it returned: all hundred are kept by now.
            _ = try await server.call(.ping, timeout: .infinity)
            #expect(Self.deferredCount(pid) == 100)
            await clock.waitForTimers(atLeast: 100)
            clock.advance(by: .seconds(2))
            try await group.waitForAll()
        }
        #expect(Self.deferredCount(pid) == 0)

        // Cancelled: deferred first, then the caller gives up.
        let poll = Task { try await server.call(.hold, timeout: .infinity) }
        await holds.next()
        _ = try await server.call(.ping, timeout: .infinity)
        #expect(Self.deferredCount(pid) == 1)
        poll.cancel()
        await #expect(throws: CallError.cancelled) { try await poll.value }
        #expect(Self.deferredCount(pid) == 0)

        // Died: a calling process killed while its call waits.
        let caller = Process.spawn(runtime: runtime) { _ in
            _ = try await server.call(.hold, timeout: .infinity)
        }
        await holds.next()
        _ = try await server.call(.ping, timeout: .infinity)
        #expect(Self.deferredCount(pid) == 1)
        Process.exit(caller, .kill)
        #expect(Self.deferredCount(pid) == 0)
        #expect(pid.isAlive)
        Process.exit(pid, .kill)
    }

    // MARK: describing a spawned process

    @Test("asking a spawned process for its state again and again leaves nothing in its mailbox")
    func describingASpawnedProcessLeavesNoMail() async throws {
        let started = Latch()
        let pid = Process.spawn(runtime: runtime) { inbox in
            started.fire()
            // A selective receive that nothing matches: it scans the mailbox on every wake-up.
            _ = try await inbox.receive(String.self)
        }
        await started.wait()
        for _ in 0..<200 {
            #expect(try await Process.describeState(of: pid, timeout: .seconds(5)) == nil)
        }
        #expect(Process.info(pid)?.mailboxLength == 0)
        // What reaches the mailbox anyway (a describe or a call sent to it directly) is
        // answered and taken out by the next receive.
        let direct = ReplySlot<String?>(caller: nil, timeout: .infinity)
        #expect(try #require(pid.core).deliver(.describe(direct)))
        #expect(await direct.wait() == .success(nil))
        Process.send(pid, 1)
        let drained = Process.watch(pid)
        Process.send(pid, "end")
        #expect(try await drained.reason == .normal)
    }

    // MARK: starts and shutdowns

    @Test("a dynamic supervisor that dies right after acknowledging its start is a start error, not a crash")
    func dynamicSupervisorDyingAfterItsStartThrows() async throws {
        await #expect(throws: StartError.initFailed(.noproc)) {
            try await DynamicSupervisor.$startedSeam.withValue({ Process.exit($0, .kill) }) {
                try await DynamicSupervisor.start(runtime: runtime)
            }
        }
    }

    /// A timer that is settled when told, or when it fires.
    final class TestTimer: ScheduledTimer {
        private let settled = Atomic(false)
        var isSettled: Bool { settled.load(ordering: .acquiring) }
        func fire() { settle() }
        func settle() { settled.store(true, ordering: .releasing) }
    }

    @Test("a clock shutdown withdrawn by a timer another runtime arms meanwhile returns instead of waiting forever")
    func clockShutdownWithdrawnByATimerReturns() async throws {
        let clock = SystemClock()
        // Its thread runs, with no live timer.
        let first = TestTimer()
        clock.schedule(first, after: .seconds(3_600))
        first.settle()
        #expect(clock.isThreadRunning)
        // Between the request and the thread's wake-up, another runtime arms a timer.
        let late = TestTimer()
        clock.shutdownSeam = { clock.schedule(late, after: .seconds(3_600)) }
        let ended = await OSThread.run("shutdown") { clock.shutdown() }
        clock.shutdownSeam = nil
        // Whether the thread it stopped ended first (and the late timer started another)
        // or serves the late timer, the shutdown returned: before, it waited forever.
        #expect(clock.isThreadRunning, "a thread serves the late timer (ended: \(ended))")
        late.settle()
        #expect(clock.shutdown())
        #expect(!clock.isThreadRunning)
    }

    // MARK: a failed start and its name

    /// A server whose `initialize` fails after a suspension (so it runs off the starter's thread).
    struct FailsAfterAYield: GenServer {
        static func initialize(_ arguments: Void) async throws -> InitResult<FailsAfterAYield> {
            await Task.yield()
            throw TestFailure("cannot start")
        }
    }

    @Test("a start that fails is reported once its process is dead: a start at once under the same name finds the name free")
    func failedStartFreesItsNameBeforeItIsReported() async throws {
        let names = NameTable()
        // The window was a few instructions wide: two thousand rounds found it in about
        // one run of three before the fix (an alreadyStarted from the dying holder).
        for round in 0..<2_000 {
            let name = names.name("once")
            await #expect(throws: StartError.self) {
                try await FailsAfterAYield.start(name: name, runtime: runtime)
            }
            let again = try await Counter.start(round, name: name, runtime: runtime)
            #expect(name.whereis() == again.pid)
            Process.exit(try #require(again.pid), .kill)
        }
    }
}
