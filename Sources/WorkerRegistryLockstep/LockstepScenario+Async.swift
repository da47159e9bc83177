import SupervisionTesting

extension LockstepScenario {
    /// ``run(seed:strategy:steps:faults:)`` from async code, driven on a thread of its
    /// own while the caller suspends (no cooperative thread is held meanwhile).
    public func run(seed: UInt64, strategy: SchedulingStrategy = .random, steps: Int = 10_000,
                    faults: Set<Fault> = []) async -> LockstepRun {
        await DriverThread.run { run(seed: seed, strategy: strategy, steps: steps, faults: faults) }
    }

    /// ``explore(seeds:strategy:steps:faults:)`` from async code, driven on a thread of
    /// its own while the caller suspends.
    public func explore(seeds: some Sequence<UInt64> & Sendable, strategy: SchedulingStrategy = .random,
                        steps: Int = 2_000, faults: Set<Fault> = []) async -> Exploration {
        await DriverThread.run { explore(seeds: seeds, strategy: strategy, steps: steps, faults: faults) }
    }

    /// ``shrink(_:faults:budget:)`` from async code, driven on a thread of its own while
    /// the caller suspends.
    public func shrink(_ violation: LockstepViolation, faults: Set<Fault> = [], budget: Int = 300) async -> LockstepViolation {
        await DriverThread.run { shrink(violation, faults: faults, budget: budget) }
    }
}
