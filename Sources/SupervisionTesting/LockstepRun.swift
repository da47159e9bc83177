/// The outcome of one lockstep run.
public struct LockstepRun: Sendable, CustomStringConvertible {
    /// The seed that decided the run.
    public var seed: UInt64
    /// How the run picked its jobs.
    public var strategy: SchedulingStrategy
    /// Jobs run.
    public var steps: Int
    /// Virtual time that passed.
    public var virtualTime: Duration
    /// The trace digest: equal for equal seeds, on every machine.
    public var digest: UInt64
    /// Runtime lifecycle events (starts, exits, restarts …) in the trace.
    public var events: Int
    /// Restart attempts that failed (`restartFailed` events of the runtime),
    /// each of which a supervisor retries or gives up on.
    public var restartsFailed: Int
    /// Facts the scenario recorded in the trace.
    public var facts: Int
    /// Processes of the run still alive at its end.
    public var liveProcesses: Int
    /// Jobs left queued when the run ended (non-zero only after a violation).
    public var abandonedJobs: Int
    /// The first property that broke, if any.
    public var violation: LockstepViolation?
    /// The index picked at each step.
    var decisions: [Int] = []

    /// The run's schedule, as a fixed ``Schedule`` that replays it step for step
    /// (with the same seed, which also decides the scenario's own random choices).
    ///
    /// - Complexity: O(steps).
    public var schedule: Schedule { Schedule(decisions: decisions) }

    /// The digest as 16 hex digits.
    public var digestHex: String {
        let hex = String(digest, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// One line of summary, and the violation's report if there is one.
    public var description: String {
        var text = "seed \(seed) strategy \(strategy): \(steps) steps, \(virtualTime) virtual, \(events) events (\(restartsFailed) failed restarts), \(facts) facts, \(liveProcesses) live at the end, digest \(digestHex)"
        if let violation { text += "\n" + violation.description }
        return text
    }
}
