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
        case .replay(let schedule):
            return min(schedule.choices[step] ?? 0, count - 1)
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
