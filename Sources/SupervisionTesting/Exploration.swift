/// What exploring many seeds found.
public struct Exploration: Sendable {
    /// Runs made.
    public var runs = 0
    /// Distinct trace digests seen: different seeds give different schedules.
    public var digests: Set<UInt64> = []
    /// Lockstep steps taken over all runs.
    public var steps = 0
    /// The first violation, with the seed and how to replay it.
    public var failure: LockstepViolation?

    /// Makes one run per seed, in order, until one breaks a property.
    package init(seeds: some Sequence<UInt64>, run: (UInt64) -> LockstepRun) {
        for seed in seeds {
            let outcome = run(seed)
            runs += 1
            steps += outcome.steps
            digests.insert(outcome.digest)
            if let violation = outcome.violation {
                failure = violation
                return
            }
        }
    }
}
