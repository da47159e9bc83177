import HeapModule

/// A min-heap of timers ordered by deadline, then by arming order.
///
/// Settled timers stay in the heap until they reach the top or until the heap has
/// doubled since the last sweep; a sweep drops every settled timer in O(n). Amortised,
/// arming costs O(log n) and cancelling costs nothing here.
struct TimerQueue {
    struct Entry: Comparable {
        var deadline: UInt64
        var sequence: UInt64
        var timer: any ScheduledTimer

        static func < (lhs: Entry, rhs: Entry) -> Bool {
            (lhs.deadline, lhs.sequence) < (rhs.deadline, rhs.sequence)
        }

        static func == (lhs: Entry, rhs: Entry) -> Bool {
            lhs.deadline == rhs.deadline && lhs.sequence == rhs.sequence
        }
    }

    private var heap = Heap<Entry>()
    private var nextSequence: UInt64 = 0
    private var sweepThreshold = 1024

    /// Number of entries, settled ones included.
    var count: Int { heap.count }

    /// Number of timers that still need to fire. O(n).
    var liveCount: Int { heap.unordered.lazy.filter { !$0.timer.isSettled }.count }

    mutating func insert(_ timer: any ScheduledTimer, deadline: Timestamp) {
        heap.insert(Entry(deadline: deadline.nanoseconds, sequence: nextSequence, timer: timer))
        nextSequence &+= 1
        if heap.count >= sweepThreshold {
            sweep()
        }
    }

    /// Drops every settled timer.
    mutating func sweep() {
        heap = Heap(heap.unordered.filter { !$0.timer.isSettled })
        sweepThreshold = Swift.max(1024, heap.count * 2)
    }

    /// The deadline of the earliest timer that is not settled, dropping settled ones
    /// found on the way.
    mutating func nextDeadline() -> Timestamp? {
        while let top = heap.min {
            if top.timer.isSettled {
                _ = heap.popMin()
                continue
            }
            return Timestamp(nanoseconds: top.deadline)
        }
        return nil
    }

    /// Removes and returns the earliest unsettled timer if its deadline is at or before
    /// `now`, with its deadline.
    mutating func popExpired(now: Timestamp) -> (timer: any ScheduledTimer, deadline: Timestamp)? {
        guard let deadline = nextDeadline(), deadline <= now, let entry = heap.popMin() else {
            return nil
        }
        return (entry.timer, deadline)
    }
}
