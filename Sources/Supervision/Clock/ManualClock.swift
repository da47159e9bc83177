import ScalableLocks

/// A ``SupervisionClock`` that only moves when a test says so.
///
/// Run a runtime on a manual clock to test timeouts, shutdown escalation and
/// restart-intensity windows without sleeping: wait until the code under test has armed
/// its timer (``waitForTimers(atLeast:)``, an event, not a sleep), then ``advance(by:)``.
/// Timers fire synchronously inside `advance`, in deadline order, with ``now()`` set to
/// each timer's deadline as it fires.
public final class ManualClock: SupervisionClock {
    private struct State {
        var now: Timestamp
        var queue = TimerQueue()
        var waiters: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state: Lock<State>

    /// Creates a clock that reads `start` until advanced.
    public init(start: Timestamp = .zero) {
        state = Lock(State(now: start))
    }

    /// The current virtual time: only ``advance(by:)`` moves it.
    public func now() -> Timestamp {
        state.withLock { $0.now }
    }

    /// Fires `timer` when ``advance(by:)`` reaches `deadline` (at once on the next advance if it has passed).
    public func schedule(_ timer: any ScheduledTimer, at deadline: Timestamp) {
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.queue.insert(timer, deadline: deadline)
            guard !state.waiters.isEmpty else { return [] }
            let live = state.queue.liveCount
            var ready: [CheckedContinuation<Void, Never>] = []
            state.waiters.removeAll { waiter in
                guard live >= waiter.count else { return false }
                ready.append(waiter.continuation)
                return true
            }
            return ready
        }
        for continuation in ready { continuation.resume() }
    }

    /// The number of armed timers that have not fired and are not settled. O(n).
    public var pendingTimerCount: Int {
        state.withLock { $0.queue.liveCount }
    }

    /// The deadline of the earliest pending timer, if any.
    public var nextDeadline: Timestamp? {
        state.withLock { $0.queue.nextDeadline() }
    }

    /// Suspends until at least `count` timers are pending.
    ///
    /// This waits on the event of a timer being armed; it never polls or sleeps.
    public func waitForTimers(atLeast count: Int = 1) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state -> Bool in
                if state.queue.liveCount >= count { return true }
                state.waiters.append((count, continuation))
                return false
            }
            if ready { continuation.resume() }
        }
    }

    /// Moves time forward by `duration`, firing every timer that falls due on the way.
    public func advance(by duration: Duration) {
        advance(to: now() + duration)
    }

    /// Moves time forward to `deadline` (never backward), firing every timer that falls
    /// due on the way, in deadline order. Timers armed by fired timers are honoured if
    /// they fall due before `deadline` too.
    public func advance(to deadline: Timestamp) {
        while true {
            let next = state.withLock { state -> (any ScheduledTimer)? in
                if let expired = state.queue.popExpired(now: deadline) {
                    if expired.deadline > state.now { state.now = expired.deadline }
                    return expired.timer
                }
                if deadline > state.now { state.now = deadline }
                return nil
            }
            guard let timer = next else { return }
            if !timer.isSettled { timer.fire() }
        }
    }

    /// Fires the earliest pending timer, moving time to its deadline. Returns `false`
    /// when no timer is pending.
    @discardableResult
    public func advanceToNextTimer() -> Bool {
        guard let deadline = nextDeadline else { return false }
        advance(to: deadline)
        return true
    }
}
