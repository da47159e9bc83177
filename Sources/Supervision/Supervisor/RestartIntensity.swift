import DequeModule

/// OTP's restart intensity: at most `maxRestarts` restarts within any `period`.
///
/// A supervisor records each restart *before* attempting it (a failed attempt counts
/// too). The restart that would make the count exceed `maxRestarts` within the period is
/// refused: the supervisor then stops its children and exits with
/// ``ExitReason/shutdown``, leaving the decision to its own parent.
public struct RestartIntensity: Sendable, Hashable {
    /// Restarts allowed within ``period``. The default, 3, is Elixir's `max_restarts`
    /// (Erlang's `supervisor` defaults its `intensity` to 1).
    public var maxRestarts: Int
    /// The sliding window; 5 seconds by default (Elixir's `max_seconds`, Erlang's
    /// `period`).
    public var period: Duration

    /// Restart times still inside the window, oldest first.
    private var recent = Deque<Timestamp>()

    /// An intensity of `maxRestarts` within `period`. A supervisor given a negative
    /// `maxRestarts` or a period that is not positive refuses to start with
    /// ``StartError/invalidOption(field:problem:)``.
    public init(maxRestarts: Int = 3, period: Duration = .seconds(5)) {
        self.maxRestarts = maxRestarts
        self.period = period
    }

    /// Records a restart at `now`. Returns `false` when this restart exceeds the
    /// intensity (the supervisor must give up).
    ///
    /// - Complexity: amortised O(1).
    public mutating func recordRestart(at now: Timestamp) -> Bool {
        forget(before: now)
        recent.append(now)
        return recent.count <= maxRestarts
    }

    /// Takes back one restart recorded at `time` (one that turned out needless): it no
    /// longer counts. Does nothing if none was recorded then, or it has left the window.
    ///
    /// - Complexity: O(restarts in the window).
    mutating func withdrawRestart(at time: Timestamp) {
        guard let index = recent.lastIndex(of: time) else { return }
        recent.remove(at: index)
    }

    /// Restarts inside the window that ends at `now`.
    public func restarts(at now: Timestamp) -> Int {
        let threshold = now - period
        return recent.reduce(0) { $1 >= threshold ? $0 + 1 : $0 }
    }

    private mutating func forget(before now: Timestamp) {
        let threshold = now - period
        while let first = recent.first, first < threshold {
            recent.removeFirst()
        }
    }

    /// Equal limits and the same restarts recorded.
    public static func == (lhs: RestartIntensity, rhs: RestartIntensity) -> Bool {
        lhs.maxRestarts == rhs.maxRestarts && lhs.period == rhs.period && Array(lhs.recent) == Array(rhs.recent)
    }

    /// Hashes the limits (values that are `==` have equal limits, so equal hashes).
    public func hash(into hasher: inout Hasher) {
        hasher.combine(maxRestarts)
        hasher.combine(period)
    }
}
