extension Lockstep {
    /// ``run(seed:strategy:steps:invariants:scenario:)`` from async code: the run is
    /// driven on a thread of its own while the caller suspends, so that no cooperative
    /// thread is held (and no other task of the process starved) for its duration.
    public static func run(
        seed: UInt64, strategy: SchedulingStrategy = .random, steps: Int = 10_000,
        invariants: [Invariant] = [],
        scenario: @escaping @Sendable (LockstepContext) async throws -> Void
    ) async -> LockstepRun {
        await DriverThread.run {
            run(seed: seed, strategy: strategy, steps: steps, invariants: invariants, scenario: scenario)
        }
    }

    /// ``explore(seeds:strategy:steps:invariants:scenario:)`` from async code, driven on
    /// a thread of its own while the caller suspends.
    public static func explore(
        seeds: some Sequence<UInt64> & Sendable, strategy: SchedulingStrategy = .random, steps: Int = 2_000,
        invariants: [Invariant] = [],
        scenario: @escaping @Sendable (LockstepContext) async throws -> Void
    ) async -> Exploration {
        await DriverThread.run {
            explore(seeds: seeds, strategy: strategy, steps: steps, invariants: invariants, scenario: scenario)
        }
    }

    /// ``shrink(_:invariants:budget:scenario:)`` from async code, driven on a thread of
    /// its own while the caller suspends.
    public static func shrink(
        _ violation: LockstepViolation, invariants: [Invariant] = [], budget: Int = 300,
        scenario: @escaping @Sendable (LockstepContext) async throws -> Void
    ) async -> LockstepViolation {
        await DriverThread.run {
            shrink(violation, invariants: invariants, budget: budget, scenario: scenario)
        }
    }
}
