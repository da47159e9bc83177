/// One process's run of messages handled in a row without suspending, against the
/// runtime's ``Runtime/Fairness`` budget.
///
/// A run begins with a message handled without asking (the first of an activation, or the
/// first after a wait or a yield); ``spend(on:)`` is asked before each further one. It
/// reads the clock on every eighth message of a run, so a process that handles a few
/// messages and goes idle never reads it.
@usableFromInline
struct Slice {
    @usableFromInline let messages: Int
    @usableFromInline let nanoseconds: UInt64
    /// Messages handled in this run, counting the one being handled.
    @usableFromInline var handled = 1
    /// When the run's time began to count (before its eighth message), or `nil`.
    @usableFromInline var started: UInt64?

    /// A run under `fairness`'s budget; `handled` is 1 where the run's first message is
    /// handled without asking, 0 where ``spend(on:)`` is asked for it too.
    @inlinable
    init(_ fairness: Runtime.Fairness, handled: Int = 1) {
        self.handled = handled
        messages = fairness.messagesPerSlice
        nanoseconds = fairness.sliceNanoseconds
    }

    /// Asked before handling one more message in the run: `true` when the run has spent
    /// its budget and the process must yield first (that message then begins a new run).
    @inlinable
    mutating func spend(on clock: any SupervisionClock) -> Bool {
        guard handled < messages else {
            reset()
            return true
        }
        handled += 1
        // The clock is read on every eighth message: often enough for a budget of
        // microseconds, rarely enough that a stream of cheap casts does not pay for it.
        guard handled & 7 == 0 else { return false }
        let now = clock.now().nanoseconds
        guard let started else {
            self.started = now
            return false
        }
        guard now &- started < nanoseconds else {
            reset()
            return true
        }
        return false
    }

    /// The process suspended (it yielded, or waited for mail): the message it handles
    /// next begins a new run.
    @inlinable
    mutating func reset() {
        handled = 1
        started = nil
    }
}
