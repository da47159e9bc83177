/// A property that must hold after every step of a lockstep run.
///
/// `check` runs on the driver thread between two jobs, when no process code is running:
/// it may read registries, supervisors and processes synchronously, and returns `nil`
/// when the property holds or a description of what is wrong. `final`, if given, runs
/// once when the run has quiesced (properties such as "exactly one DOWN" that only hold
/// once everything pending has been delivered).
public struct Invariant: Sendable {
    /// A short name, shown when it breaks.
    public var name: String
    /// Checked after every step.
    public var check: @Sendable () -> String?
    /// Checked once at the end of a run that finished.
    public var final: (@Sendable () -> String?)?

    /// An invariant called `name`: `check` runs after every step and returns a violation message or `nil`; `final`, if given, runs once when the run ends.
    public init(_ name: String, final: (@Sendable () -> String?)? = nil, check: @escaping @Sendable () -> String?) {
        self.name = name
        self.check = check
        self.final = final
    }
}
