import ScalableLocks
import Supervision

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The executor of a lockstep run: it runs nothing by itself. Every job of every process
/// of the simulated runtime is queued here, and the ``Lockstep`` driver picks which one
/// runs next, one at a time, on the driver's own thread.
///
/// Work that reaches the runtime from any other thread — a plain `Task {}` inside the
/// tree, a real `Task.sleep`, a thread of one's own — is recorded as an escape: the run
/// fails with a clear message instead of silently becoming nondeterministic.
// @unchecked: all mutable state is in `state` (a Lock); `driver` (a pthread_t, a pointer
// on Darwin) is set once in init and only compared.
final class LockstepExecutor: ConfiningExecutor, @unchecked Sendable {
    private struct State {
        var jobs: [UnownedJob] = []
        var escape: String?
    }

    private let state = Lock(State())
    /// The thread the driver runs on: the one that made the executor, and the only
    /// thread allowed to touch the runtime.
    private let driver = pthread_self()

    private var onDriverThread: Bool { pthread_equal(driver, pthread_self()) != 0 }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let foreign = !onDriverThread
        state.withLock { state in
            state.jobs.append(job)
            if foreign, state.escape == nil {
                state.escape = "a job was scheduled from outside the lockstep scheduler (a real sleep or a timer of another clock resumed a task of the tree)"
            }
        }
    }

    func checkConfinement(_ operation: StaticString) {
        guard !onDriverThread else { return }
        state.withLock { state in
            if state.escape == nil {
                state.escape = "work escaped the lockstep scheduler: a process \(operation) happened on another thread (a plain Task {}, Task.detached or a thread of its own inside the simulated tree)"
            }
        }
    }

    /// The number of runnable jobs.
    var runnable: Int { state.withLock { $0.jobs.count } }

    /// The first escape seen, if any.
    var escape: String? { state.withLock { $0.escape } }

    /// Removes and returns the runnable job at `index` (in the order they were queued).
    func take(_ index: Int) -> UnownedJob {
        state.withLock { $0.jobs.remove(at: index) }
    }

    /// Runs one job to its next suspension, on the calling (driver) thread.
    func run(_ job: UnownedJob) {
        job.runSynchronously(on: asUnownedTaskExecutor())
    }

    /// Drops the jobs that never ran (the run is over): their tasks stay suspended.
    func abandon() -> Int {
        state.withLock { state in
            defer { state.jobs = [] }
            return state.jobs.count
        }
    }
}
