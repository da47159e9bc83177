extension Runtime {
    /// How long a process may keep its thread before it gives it back: the runtime's
    /// stand-in for the BEAM's reduction budget.
    ///
    /// Swift's cooperative pool cannot preempt a task, so a process that always has mail
    /// waiting — a server with a million casts queued, a supervisor retrying a restart that
    /// keeps failing, a `receive` loop fed faster than it reads — would otherwise hold its
    /// thread until its mailbox is empty, and a few of them would starve every other
    /// process of the runtime. Instead, after handling ``messagesPerSlice`` messages in a
    /// row, or after ``timePerSlice`` has passed on the runtime's clock (read on every
    /// eighth message of a run, and counted from its eighth), a process yields (`Task.yield()`) and is scheduled again behind the work
    /// already waiting.
    ///
    /// A single long `handleCall` is still not interrupted: like a NIF on the BEAM, code
    /// that never suspends keeps its thread. A process that handles a few messages and goes
    /// idle (a call's round trip) never reads the clock.
    public struct Fairness: Sendable, Hashable {
        /// The most messages a process handles in a row before it yields.
        public let messagesPerSlice: Int
        /// The longest a process keeps handling messages in a row before it yields.
        public let timePerSlice: Duration
        /// ``timePerSlice`` in nanoseconds, worked out once.
        @usableFromInline let sliceNanoseconds: UInt64

        /// Creates a budget. Both limits must be positive.
        public init(messagesPerSlice: Int, timePerSlice: Duration) {
            precondition(messagesPerSlice > 0, "messagesPerSlice must be positive")
            precondition(timePerSlice > .zero, "timePerSlice must be positive")
            self.messagesPerSlice = messagesPerSlice
            self.timePerSlice = timePerSlice
            let (seconds, attoseconds) = timePerSlice.components
            let total = Double(seconds) * 1e9 + Double(attoseconds) / 1e9
            sliceNanoseconds = total >= Double(UInt64.max) ? .max : UInt64(max(total, 1))
        }

        /// 1,000 messages or 500 µs, whichever comes first: a busy process delays the
        /// others by about half a millisecond at most, and a stream of cheap casts yields
        /// rarely enough to lose little throughput (`pool-bench fairness`).
        public static let `default` = Fairness(messagesPerSlice: 1_000, timePerSlice: .microseconds(500))

        /// No budget: a process keeps its thread until its mailbox is empty. For measuring
        /// what the budget costs; a runtime with it can be starved by one busy process.
        public static let unbounded = Fairness(messagesPerSlice: .max, timePerSlice: .seconds(1_000_000_000))
    }
}
