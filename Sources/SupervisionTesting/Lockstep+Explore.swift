extension Lockstep {
    /// Runs `scenario` once per seed, checking the invariants after every step, and stops
    /// at the first violation: its report names the seed, the step, the invariant and
    /// how to replay exactly that run.
    ///
    /// ```swift
    /// let exploration = Lockstep.explore(seeds: 0..<200, strategy: .pct(changePoints: 3)) { context in … }
    /// #expect(exploration.failure == nil, "\(exploration.failure!)")
    /// ```
    ///
    /// - Parameters:
    ///   - seeds: one run each, in order.
    ///   - strategy: as in `run(seed:strategy:steps:invariants:scenario:)`; PCT finds
    ///     bugs that need a few specific preemptions in fewer runs than uniform choice.
    ///   - steps: each run's step budget.
    ///   - invariants: checked after every step of every run. They are shared by the
    ///     runs: make invariants that keep state, or that need the run's processes,
    ///     inside the scenario with ``LockstepContext/addInvariant(_:)``.
    ///   - scenario: the code under test, run once per seed as the root process of a
    ///     fresh runtime.
    /// - Complexity: O(seeds × the cost of one run).
    public static func explore(
        seeds: some Sequence<UInt64>, strategy: SchedulingStrategy = .random, steps: Int = 2_000,
        invariants: [Invariant] = [],
        scenario: @escaping @Sendable (LockstepContext) async throws -> Void
    ) -> Exploration {
        Exploration(seeds: seeds) { seed in
            run(seed: seed, strategy: strategy, steps: steps, invariants: invariants, scenario: scenario)
        }
    }
}
