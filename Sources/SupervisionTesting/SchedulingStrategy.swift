/// How the lockstep driver picks the next job among the runnable ones.
public enum SchedulingStrategy: Sendable, Hashable, CustomStringConvertible {
    /// Each step picks uniformly at random among the runnable jobs.
    case random
    /// PCT-style (probabilistic concurrency testing): every job gets a random priority
    /// when it is queued and the highest runs first, so one line of work runs far ahead
    /// of the others; at `changePoints` random steps the job about to run is demoted
    /// below every other instead. Finds bugs that need a few specific preemptions with
    /// far fewer runs than uniform choice.
    case pct(changePoints: Int)
    /// A fixed schedule: the oldest runnable job at every step, except where `schedule`
    /// says otherwise. What `Lockstep/shrink(_:invariants:budget:scenario:)` reduces a
    /// failing run to, and how it is replayed.
    case replay(Schedule)

    /// The strategy as `--strategy` spells it: `random`, `pct:N`, `replay:…`.
    public var description: String {
        switch self {
        case .random: return "random"
        case .pct(let changePoints): return "pct:\(changePoints)"
        case .replay(let schedule): return "replay:\(schedule)"
        }
    }

    /// Parses `random`, `pct` / `pct:N`, or `replay:` followed by a ``Schedule``.
    public init?(_ text: String) {
        if text == "random" { self = .random; return }
        if text.hasPrefix("replay:") {
            guard let schedule = Schedule(String(text.dropFirst(7))) else { return nil }
            self = .replay(schedule)
            return
        }
        if text == "pct" { self = .pct(changePoints: 3); return }
        if text.hasPrefix("pct:"), let points = Int(text.dropFirst(4)), points >= 0 {
            self = .pct(changePoints: points)
            return
        }
        return nil
    }
}
