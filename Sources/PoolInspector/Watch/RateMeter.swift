import Supervision

/// Events per second over the last few seconds, in one-second buckets.
struct RateMeter: Sendable {
    private var buckets = [Int](repeating: 0, count: 6)
    private var second: UInt64 = 0

    /// Counts `count` events at `time`.
    mutating func add(_ count: Int = 1, at time: Timestamp) {
        advance(to: time)
        buckets[Int(second % UInt64(buckets.count))] += count
    }

    /// The mean rate over the last complete seconds (the current one excluded).
    mutating func rate(at time: Timestamp) -> Double {
        advance(to: time)
        var total = 0
        for offset in 1..<buckets.count { total += buckets[Int((second + UInt64(offset)) % UInt64(buckets.count))] }
        return Double(total) / Double(buckets.count - 1)
    }

    private mutating func advance(to time: Timestamp) {
        let now = time.nanoseconds / 1_000_000_000
        guard now > second else { return }
        let steps = min(now - second, UInt64(buckets.count))
        for step in 1...steps { buckets[Int((second + step) % UInt64(buckets.count))] = 0 }
        second = now
    }
}
