import DequeModule
import ScalableLocks

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A task executor with one OS thread of its own (started through ``OSThread``): jobs run
/// one at a time, in the order they were enqueued. An idle executor sleeps on a condition
/// and costs no CPU. The package's one such executor: each inspector's thread, the thread
/// etcd test members are started from, and the tests' one-thread runtimes.
///
/// ``shutdown()`` ends the thread once the jobs queued so far have run; a job enqueued
/// after it runs on the global concurrent executor instead, so a task that prefers this
/// executor and outlives it (a session closing after its inspector stopped) still
/// finishes. Tasks keep the executors they prefer alive (`Task(executorPreference:)`
/// retains it).
package final class SingleThreadExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked: `jobs` and `stopped` are touched only under `mutex`; `condition` is
    // waited on with it; both are this object's own and live as long as it.
    private var jobs = Deque<UnownedJob>()
    private var stopped = false
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    /// Starts the thread; `purpose` names it if it cannot be created.
    package init(_ purpose: String) {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
        OSThread.detach(purpose) { [self] in
            while let job = next() { job.runSynchronously(on: asUnownedTaskExecutor()) }
        }
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    package func enqueue(_ job: consuming ExecutorJob) {
        pthread_mutex_lock(mutex)
        guard !stopped else {
            pthread_mutex_unlock(mutex)
            globalConcurrentExecutor.enqueue(job)
            return
        }
        jobs.append(UnownedJob(job))
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
    }

    /// Lets the thread end once its queue is empty; what is enqueued later runs on the
    /// global concurrent executor. Idempotent.
    package func shutdown() {
        pthread_mutex_lock(mutex)
        stopped = true
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
    }

    private func next() -> UnownedJob? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while jobs.isEmpty && !stopped { pthread_cond_wait(condition, mutex) }
        return jobs.popFirst()
    }
}
