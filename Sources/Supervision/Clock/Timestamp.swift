/// A point on a ``SupervisionClock``'s monotonic time line, in nanoseconds.
///
/// Timestamps from different clocks are not comparable with each other; the epoch of
/// each clock is its own (``SystemClock`` counts from boot, ``ManualClock`` from zero).
/// Arithmetic saturates instead of trapping, so `Timestamp.distantFuture + .seconds(1)`
/// is still `distantFuture`.
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Nanoseconds since the clock's epoch.
    public var nanoseconds: UInt64

    /// Creates a timestamp `nanoseconds` after the clock's epoch.
    @inlinable
    public init(nanoseconds: UInt64) {
        self.nanoseconds = nanoseconds
    }

    /// The clock's epoch.
    public static let zero = Timestamp(nanoseconds: 0)

    /// A timestamp later than any a clock will reach; used for "never".
    public static let distantFuture = Timestamp(nanoseconds: .max)

    /// Earlier timestamps sort first.
    @inlinable
    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.nanoseconds < rhs.nanoseconds
    }

    /// The timestamp `duration` later (earlier for a negative duration), saturating.
    @inlinable
    public static func + (lhs: Timestamp, rhs: Duration) -> Timestamp {
        let delta = rhs.saturatingNanoseconds
        if delta >= 0 {
            let (sum, overflow) = lhs.nanoseconds.addingReportingOverflow(UInt64(delta))
            return Timestamp(nanoseconds: overflow ? .max : sum)
        } else {
            let magnitude = delta.magnitude
            return Timestamp(nanoseconds: lhs.nanoseconds > magnitude ? lhs.nanoseconds - magnitude : 0)
        }
    }

    /// The timestamp `duration` earlier, saturating at the epoch.
    @inlinable
    public static func - (lhs: Timestamp, rhs: Duration) -> Timestamp {
        lhs + (.zero - rhs)
    }

    /// The signed duration from `rhs` to `lhs`.
    @inlinable
    public static func - (lhs: Timestamp, rhs: Timestamp) -> Duration {
        if lhs.nanoseconds >= rhs.nanoseconds {
            return .nanoseconds(Int64(clamping: lhs.nanoseconds - rhs.nanoseconds))
        }
        return .zero - .nanoseconds(Int64(clamping: rhs.nanoseconds - lhs.nanoseconds))
    }

    /// The time in seconds since the clock's origin.
    public var description: String {
        let seconds = nanoseconds / 1_000_000_000
        let fraction = nanoseconds % 1_000_000_000
        let digits = String(fraction)
        return "\(seconds).\(String(repeating: "0", count: 9 - digits.count))\(digits)s"
    }
}

extension Duration {
    /// The duration in whole nanoseconds, clamped to `Int64`'s range.
    @inlinable
    public var saturatingNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (total, overflow2) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
        if overflow2 { return seconds < 0 ? .min : .max }
        return total
    }
}
