#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The wall-clock ``SupervisionClock``: the monotonic clock of the OS, and one timer
/// thread shared by every runtime that uses it.
///
/// The timer thread sleeps until the earliest unsettled deadline, rounded up to a
/// millisecond so that dense streams of deadlines (one per call) wake it at most a
/// thousand times a second; with no armed timers it sleeps until one is armed. Arming a
/// timer later than the one the thread already sleeps for does not wake it, which is
/// the common case (every call arms "now + timeout").
///
/// ``shutdown()`` (which ``Runtime/shutdown()`` calls) ends the thread once no armed timer
/// needs it; the next timer armed starts a new one.
public final class SystemClock: SupervisionClock, @unchecked Sendable {
    /// The process-wide system clock.
    public static let shared = SystemClock()

    private static let granularity: UInt64 = 1_000_000

    // All mutable state below is guarded by `mutex`.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private var queue = TimerQueue()
    private var wakeAt: UInt64 = .max
    private var threadStarted = false
    /// Counts timer threads started, so a shutdown waits only for the thread it stopped.
    private var threadGeneration: UInt64 = 0
    /// Set by ``shutdown()``: the thread ends as soon as it has no unsettled timer.
    private var stopWhenIdle = false

    /// Creates a clock with its own timer thread, started on first use.
    public init() {
        mutex = .allocate(capacity: 1)
        condition = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        #if os(Linux)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
        #else
        pthread_cond_init(condition, nil)
        #endif
    }

    deinit {
        // Only reached for clocks whose thread is not running: a running thread keeps
        // the clock alive.
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// The OS monotonic clock (`CLOCK_MONOTONIC`).
    public func now() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Timestamp(nanoseconds: UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec))
    }

    /// Fires `timer` on the clock's timer thread at `deadline` (rounded up to the clock's granularity). O(log timers).
    public func schedule(_ timer: any ScheduledTimer, at deadline: Timestamp) {
        let target = Self.roundUp(deadline.nanoseconds)
        pthread_mutex_lock(mutex)
        queue.insert(timer, deadline: deadline)
        // A pending shutdown is withdrawn: its waiter must hear of it.
        let withdrew = stopWhenIdle
        stopWhenIdle = false
        if !threadStarted {
            threadStarted = true
            threadGeneration &+= 1
            startThread()
        }
        let wake = target < wakeAt
        if wake { wakeAt = target }
        pthread_mutex_unlock(mutex)
        // Broadcast: `shutdown()` may be waiting on the same condition.
        if wake || withdrew { pthread_cond_broadcast(condition) }
    }

    private static func roundUp(_ nanoseconds: UInt64) -> UInt64 {
        let (sum, overflow) = nanoseconds.addingReportingOverflow(granularity - 1)
        return overflow ? .max : sum / granularity * granularity
    }

    /// Whether the timer thread is running (it starts with the first timer armed).
    public var isThreadRunning: Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return threadStarted
    }

    /// Ends the timer thread once no unsettled timer is armed: at once (returning when it
    /// has ended) if none is, else when the last one fires or settles — timers armed by
    /// other runtimes sharing the clock still fire. A timer armed afterwards starts a new
    /// thread.
    ///
    /// - Returns: whether the thread has ended (or was not running).
    @discardableResult
    public func shutdown() -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        guard threadStarted else { return true }
        stopWhenIdle = true
        queue.sweep()
        guard queue.liveCount == 0 else { return false }
        pthread_cond_broadcast(condition)
        let stopping = threadGeneration
        if let seam {
            pthread_mutex_unlock(mutex)
            seam()
            pthread_mutex_lock(mutex)
        }
        // Until that thread ended — or a timer armed meanwhile (by another runtime)
        // withdrew the request: the thread then serves it, and this returns at once.
        while threadStarted && threadGeneration == stopping && stopWhenIdle {
            pthread_cond_wait(condition, mutex)
        }
        return !(threadStarted && threadGeneration == stopping)
    }

    /// Test seam: runs inside ``shutdown()`` after the request, with the lock released.
    package var shutdownSeam: (@Sendable () -> Void)? {
        get {
            pthread_mutex_lock(mutex)
            defer { pthread_mutex_unlock(mutex) }
            return seam
        }
        set {
            pthread_mutex_lock(mutex)
            seam = newValue
            pthread_mutex_unlock(mutex)
        }
    }
    private var seam: (@Sendable () -> Void)?

    private func startThread() {
        // The thread holds the clock until it ends (see `deinit`).
        OSThread.detach("the system clock's timer thread") { [self] in run() }
    }

    private func run() {
        var due: [any ScheduledTimer] = []
        pthread_mutex_lock(mutex)
        while true {
            if stopWhenIdle {
                queue.sweep()
                if queue.liveCount == 0 {
                    threadStarted = false
                    stopWhenIdle = false
                    wakeAt = .max
                    pthread_cond_broadcast(condition)  // to `shutdown()`
                    pthread_mutex_unlock(mutex)
                    return
                }
            }
            let current = now()
            while let expired = queue.popExpired(now: current) {
                due.append(expired.timer)
            }
            if !due.isEmpty {
                wakeAt = 0  // firing: new timers need no signal to be seen
                pthread_mutex_unlock(mutex)
                for timer in due where !timer.isSettled { timer.fire() }
                due.removeAll(keepingCapacity: true)
                pthread_mutex_lock(mutex)
                continue
            }
            if let next = queue.nextDeadline() {
                wakeAt = Self.roundUp(next.nanoseconds)
                var spec = timespec(tv_sec: Int(wakeAt / 1_000_000_000), tv_nsec: Int(wakeAt % 1_000_000_000))
                #if os(Linux)
                pthread_cond_timedwait(condition, mutex, &spec)
                #else
                let delay = wakeAt > current.nanoseconds ? wakeAt - current.nanoseconds : 0
                spec = timespec(tv_sec: Int(delay / 1_000_000_000), tv_nsec: Int(delay % 1_000_000_000))
                pthread_cond_timedwait_relative_np(condition, mutex, &spec)
                #endif
            } else {
                if stopWhenIdle { continue }  // nothing armed: end (at the top)
                wakeAt = .max
                pthread_cond_wait(condition, mutex)
            }
        }
    }
}
