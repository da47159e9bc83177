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

    public var description: String {
        switch self {
        case .random: return "random"
        case .pct(let changePoints): return "pct:\(changePoints)"
        }
    }

    /// Parses `random` or `pct` / `pct:N`.
    public init?(_ text: String) {
        if text == "random" { self = .random; return }
        if text == "pct" { self = .pct(changePoints: 3); return }
        if text.hasPrefix("pct:"), let points = Int(text.dropFirst(4)), points >= 0 {
            self = .pct(changePoints: points)
            return
        }
        return nil
    }
}

/// The decision procedure of one run: seeded, so the same seed picks the same jobs.
struct Scheduler {
    private var random: SeededGenerator
    private let strategy: SchedulingStrategy
    /// Priorities of the queued jobs, in queue order (PCT only).
    private var priorities: [UInt64] = []
    private var changeSteps: Set<Int> = []
    private var lowest: UInt64 = .max / 2

    init(seed: UInt64, strategy: SchedulingStrategy, horizon: Int) {
        random = SeededGenerator(seed: seed)
        self.strategy = strategy
        if case .pct(let points) = strategy, horizon > 0 {
            for _ in 0..<points { changeSteps.insert(Int.random(in: 0..<horizon, using: &random)) }
        }
    }

    /// Jobs queued since the last pick: they get their priorities.
    mutating func queued(upTo count: Int) {
        guard case .pct = strategy else { return }
        while priorities.count < count {
            // Above every demoted job, below none of the others.
            priorities.append(UInt64.max / 2 + UInt64.random(in: 1...(UInt64.max / 4), using: &random))
        }
    }

    /// The index of the job to run at `step`, among `count` runnable ones.
    mutating func pick(step: Int, count: Int) -> Int {
        switch strategy {
        case .random:
            return count == 1 ? 0 : Int.random(in: 0..<count, using: &random)
        case .pct:
            queued(upTo: count)
            var best = 0
            for index in 1..<count where priorities[index] > priorities[best] { best = index }
            if changeSteps.contains(step), count > 1 {
                lowest -= 1
                priorities[best] = lowest
                best = 0
                for index in 1..<count where priorities[index] > priorities[best] { best = index }
            }
            priorities.remove(at: best)
            return best
        }
    }
}

/// SplitMix64: small, fast, and the same on every machine.
struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
