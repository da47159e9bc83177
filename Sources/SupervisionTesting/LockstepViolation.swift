/// A broken property, with what it takes to replay the run that broke it.
public struct LockstepViolation: Sendable, Error, CustomStringConvertible {
    /// The seed of the run that broke it.
    public var seed: UInt64
    /// The run's strategy (``SchedulingStrategy/replay(_:)`` once shrunk).
    public var strategy: SchedulingStrategy
    /// The step budget of the run.
    public var steps: Int
    /// The step after which the property was found broken.
    public var step: Int
    /// The name of what broke: an invariant's name, `scenario check` for
    /// ``LockstepContext/check(_:_:_:)``, `deterministic schedule` for work that escaped
    /// the scheduler, `progress` for a run that could not go on, `scenario` for one that
    /// threw.
    public var invariant: String
    /// What was found broken.
    public var message: String
    /// The last lines of the trace before it broke.
    public var recent: [String]
    /// A command that replays the run, when a built-in scenario made it.
    public var command: String?
    /// The preemptions of the failing run this one was shrunk from, if it was.
    public var shrunkFrom: Int?

    /// How to replay exactly this run.
    public var replay: String {
        if let command { return command }
        let strategy: String
        switch self.strategy {
        case .random: strategy = ".random"
        case .pct(let points): strategy = ".pct(changePoints: \(points))"
        case .replay(let schedule): strategy = ".replay(Schedule(\"\(schedule)\")!)"
        }
        return "Lockstep.run(seed: \(seed), strategy: \(strategy), steps: \(steps)) { … }"
    }

    /// The report: what broke, where, how to replay it, and the last trace lines.
    public var description: String {
        var shrunk = ""
        if let shrunkFrom, case .replay(let schedule) = strategy {
            shrunk = "  shrunk from \(shrunkFrom) preemptions to \(schedule.count)\n"
        }
        return "VIOLATION of \"\(invariant)\" at step \(step) (seed \(seed), strategy \(strategy)): \(message)\n"
            + shrunk
            + "  replay: \(replay)\n"
            + recent.map { "  | \($0)" }.joined(separator: "\n")
    }
}
