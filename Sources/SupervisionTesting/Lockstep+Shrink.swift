extension Lockstep {
    /// Shrinks a failing run to a schedule with few preemptions that still breaks the
    /// same invariant (for a scenario's own checks, the same named check).
    ///
    /// The failing run is replayed as a fixed ``Schedule`` — "the oldest runnable job,
    /// except at these steps" — and delta debugging drops preemptions, in halves, then
    /// quarters and so on down to single steps, keeping every reduction that still
    /// fails; steps after the failure are dropped as they stop mattering. What is left is
    /// usually a handful of preemptions that tell the story of the bug. The scenario's own
    /// random choices keep following the seed.
    ///
    /// - Parameters:
    ///   - violation: a violation found by `run(seed:strategy:steps:invariants:scenario:)`
    ///     or `explore(seeds:strategy:steps:invariants:scenario:)` of the same scenario.
    ///   - invariants: the invariants the failing run was given.
    ///   - budget: runs the search may make (each at most as long as the failing one
    ///     plus its wind-down).
    ///   - scenario: the scenario that failed.
    /// - Returns: a violation of the same invariant whose strategy is
    ///   ``SchedulingStrategy/replay(_:)`` with the shrunk schedule, or `violation`
    ///   itself if its run does not fail the same way again.
    /// - Complexity: at most `budget` runs.
    public static func shrink(
        _ violation: LockstepViolation, invariants: [Invariant] = [], budget: Int = 300,
        scenario: @escaping @Sendable (LockstepContext) async throws -> Void
    ) -> LockstepViolation {
        var trials = 0
        func attempt(_ strategy: SchedulingStrategy) -> (run: LockstepRun, violation: LockstepViolation)? {
            trials += 1
            let run = run(seed: violation.seed, strategy: strategy, steps: violation.steps,
                          invariants: invariants, scenario: scenario)
            guard let found = run.violation, found.isSameBreak(as: violation) else { return nil }
            return (run, found)
        }
        guard let original = attempt(violation.strategy) else { return violation }
        var choices = Schedule(decisions: original.run.decisions.prefix(original.violation.step)).choices
        let before = choices.count
        guard var best = attempt(.replay(Schedule(choices)))?.violation else { return violation }

        var granularity = 2
        while !choices.isEmpty, trials < budget {
            let steps = choices.keys.sorted()
            let size = (steps.count + granularity - 1) / granularity
            var reduced = false
            for start in stride(from: 0, to: steps.count, by: size) where trials < budget {
                var candidate = choices
                for step in steps[start..<min(start + size, steps.count)] { candidate[step] = nil }
                if let found = attempt(.replay(Schedule(candidate)))?.violation {
                    choices = candidate.filter { $0.key < found.step }
                    best = found
                    granularity = max(granularity - 1, 2)
                    reduced = true
                    break
                }
            }
            if !reduced {
                if size == 1 { break }
                granularity = min(granularity * 2, steps.count)
            }
        }
        best.strategy = .replay(Schedule(choices))
        best.shrunkFrom = before
        return best
    }
}

extension LockstepViolation {
    /// Whether `other` broke the same property: the same invariant, and for a
    /// scenario's own checks the same check (messages name pids, which differ by run).
    func isSameBreak(as other: LockstepViolation) -> Bool {
        guard invariant == other.invariant else { return false }
        guard invariant == "scenario check" else { return true }
        return message.prefix { $0 != ":" } == other.message.prefix { $0 != ":" }
    }
}
