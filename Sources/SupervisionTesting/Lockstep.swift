import Logging
import ScalableLocks
import Supervision

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a supervision tree under a seeded, replayable scheduler.
///
/// Every job of every process of the run's runtime is queued on one executor and run one
/// at a time on the calling thread, in an order a seeded ``SchedulingStrategy`` decides.
/// Time is virtual (a `ManualClock`): when no job can run, the clock jumps to the next
/// timer, so receive timeouts, call and shutdown timeouts and restart-intensity windows
/// all follow the schedule, not the wall clock. The same seed gives the same run, and the
/// same ``LockstepRun/digest``, on every machine.
///
/// ```swift
/// let run = Lockstep.run(seed: 42, steps: 5_000, invariants: [...]) { context in
///     let pool = WorkerPool(MyWorker.self, id: Int.self, name: "pool")
///     try await pool.start()
///     ...
/// }
/// #expect(run.violation == nil)
/// ```
public enum Lockstep {
    /// Runs `scenario` once.
    ///
    /// - Parameters:
    ///   - seed: decides every interleaving and the scenario's own random choices.
    ///   - strategy: how the next job is picked.
    ///   - steps: the step budget: once spent, ``LockstepContext/shouldStop`` turns true
    ///     and the scenario should wind down; the run still goes on until it quiesces
    ///     (at most `steps × 20 + 100 000` steps in all).
    ///   - invariants: checked after every step (scenarios may add more).
    ///   - scenario: the code under test, run as the root process of a fresh runtime.
    /// - Returns: what happened, with the first violation if one occurred.
    /// - Complexity: O(steps × (runnable jobs + cost of the invariants)).
    public static func run(
        seed: UInt64, strategy: SchedulingStrategy = .random, steps: Int = 10_000,
        invariants: [Invariant] = [],
        scenario: @escaping @Sendable (LockstepContext) async throws -> Void
    ) -> LockstepRun {
        let executor = LockstepExecutor()  // made here: this thread drives the run
        let clock = ManualClock()
        var logger = Logger(label: "lockstep")
        logger.logLevel = .critical
        let runtime = Runtime(clock: clock, executor: executor, logger: logger, label: "lockstep seed \(seed)")
        let trace = Trace()
        runtime.events.observe { event in
            trace.event(event.kind, at: event.time)
        }
        let context = LockstepContext(runtime: runtime, clock: clock, seed: seed, trace: trace)
        let outcome = Lock<Result<Void, any Error>?>(nil)
        Task.detached(executorPreference: executor) {
            do {
                try await runtime.run { try await scenario(context) }
                outcome.withLock { $0 = .success(()) }
            } catch {
                outcome.withLock { $0 = .failure(error) }
            }
        }

        var scheduler = Scheduler(seed: seed, strategy: strategy, horizon: steps)
        var decisions: [Int] = []
        var step = 0
        var idleAdvances = 0
        let limit = steps * 20 + 100_000
        var violation: LockstepViolation?
        func violated(_ invariant: String, _ message: String) {
            violation = LockstepViolation(seed: seed, strategy: strategy, steps: steps, step: step,
                                          invariant: invariant, message: trace.relabel(message), recent: trace.recent, command: nil)
        }
        let builtins = invariants
        func firstBroken(_ invariants: [Invariant]) -> (String, String)? {
            for invariant in invariants {
                if let message = invariant.check() { return (invariant.name, message) }
            }
            return nil
        }

        while true {
            if let escape = executor.escape {
                violated("deterministic schedule", escape)
                break
            }
            let runnable = executor.runnable
            if runnable == 0 {
                if outcome.withLock({ $0 != nil }) { break }
                if clock.advanceToNextTimer() {
                    idleAdvances += 1
                    if idleAdvances > limit {
                        violated("progress", "virtual time ran on for \(limit) timers without any job to run")
                        break
                    }
                    continue
                }
                // Nothing can run and nothing is due, yet the scenario is not done:
                // work escaped (a real sleep, a plain task) or the tree is deadlocked.
                if let escape = awaitEscape(executor) {
                    violated("deterministic schedule", escape)
                } else {
                    violated("progress", "the scenario is blocked: no job can run and no timer is pending (a deadlock, or work waiting outside the scheduler)")
                }
                break
            }
            let index = scheduler.pick(step: step, count: runnable)
            trace.decision(index, of: runnable)
            decisions.append(index)
            executor.run(executor.take(index))
            step += 1
            context.stepTaken()
            if step == steps { context.requestStop() }
            if let failure = context.failure {
                violated(failure.invariant, failure.message)
                break
            }
            if let (name, message) = firstBroken(builtins) ?? firstBroken(context.invariants) {
                violated(name, message)
                break
            }
            if step >= limit {
                violated("progress", "the scenario did not finish within \(limit) steps")
                break
            }
        }

        if violation == nil, case .failure(let thrown) = outcome.withLock({ $0 }) {
            violated("scenario", "the scenario threw: \(thrown)")
        }
        if violation == nil {
            for invariant in builtins + context.invariants {
                if let final = invariant.final, let message = final() {
                    violated(invariant.name, message)
                    break
                }
            }
        }
        let abandoned = executor.abandon()
        return LockstepRun(seed: seed, strategy: strategy, steps: step, virtualTime: clock.now() - .zero,
                           digest: trace.digest, events: trace.eventCount, restartsFailed: trace.restartsFailed,
                           facts: trace.factCount,
                           liveProcesses: runtime.liveProcessCount, abandonedJobs: abandoned, violation: violation,
                           decisions: decisions)
    }

    /// Waits briefly (real time) for work arriving from outside the scheduler, to tell an
    /// escape from a deadlock. Only blocked runs pay for it.
    private static func awaitEscape(_ executor: LockstepExecutor) -> String? {
        for _ in 0..<200 {
            if let escape = executor.escape { return escape }
            if executor.runnable > 0 {
                return executor.escape ?? "a job arrived from outside the lockstep scheduler while the run was blocked"
            }
            var pause = timespec(tv_sec: 0, tv_nsec: 5_000_000)
            nanosleep(&pause, nil)
        }
        return nil
    }
}
