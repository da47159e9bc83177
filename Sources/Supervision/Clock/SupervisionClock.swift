/// A timer armed on a ``SupervisionClock``.
///
/// The runtime arms one for every deadline it keeps: call timeouts, start timeouts,
/// shutdown timeouts, `sendAfter` messages, receive timeouts. A timer is usually
/// *settled* long before its deadline (the call was answered), so clocks never remove
/// timers eagerly: they ask ``isSettled`` and drop settled timers in bulk. That keeps
/// arming a timer to one heap insertion and cancelling it to one atomic store.
public protocol ScheduledTimer: AnyObject, Sendable {
    /// Called once, on the clock's thread, when the deadline has passed — unless the
    /// clock saw ``isSettled`` first. Must be quick and must not block.
    func fire()

    /// Whether the timer no longer needs to fire (its work completed or was cancelled).
    /// A clock may drop a settled timer at any time without calling ``fire()``.
    var isSettled: Bool { get }
}

/// The source of time for a runtime: the current instant and timers.
///
/// Everything in `Supervision` that depends on time — call and start timeouts, shutdown
/// timeouts, restart-intensity windows, `sendAfter` — reads this clock, so tests can run
/// the whole runtime under a ``ManualClock`` and never sleep on the wall clock.
public protocol SupervisionClock: Sendable {
    /// The current instant on this clock's monotonic time line.
    func now() -> Timestamp

    /// Arms `timer` to fire at or after `deadline`.
    ///
    /// - Complexity: O(log n) in the number of armed timers.
    func schedule(_ timer: any ScheduledTimer, at deadline: Timestamp)
}

extension SupervisionClock {
    /// Arms `timer` to fire `delay` from now.
    @inlinable
    public func schedule(_ timer: any ScheduledTimer, after delay: Duration) {
        schedule(timer, at: now() + delay)
    }
}
