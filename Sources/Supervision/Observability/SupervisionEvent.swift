/// Something that happened to a process or supervisor, with when it happened on the
/// runtime's clock.
public struct SupervisionEvent: Sendable, CustomStringConvertible {
    /// When it happened, on the runtime's clock.
    public let time: Timestamp
    /// What happened.
    public let kind: Kind

    /// An event (the runtime makes these; tests and tools that replay events may too).
    public init(time: Timestamp, kind: Kind) {
        self.time = time
        self.kind = kind
    }

    /// The kinds of lifecycle events.
    public enum Kind: Sendable {
        /// A process finished `initialize` (or was spawned) and is running.
        case started(PID, parent: PID?, behaviour: String)
        /// A process exited. Its names were released before this was published.
        case exited(PID, reason: ExitReason, parent: PID?)
        /// A supervisor restarted a child: `old` exited, `new` runs in its place.
        /// `restarts` counts the restarts of this child so far.
        case restarted(supervisor: PID, childID: String?, old: PID, new: PID, restarts: Int)
        /// A supervisor tried to restart a child and the start failed; it will retry.
        case restartFailed(supervisor: PID, childID: String?, reason: ExitReason)
        /// A supervisor saw more restarts than its intensity allows and is shutting down.
        case intensityExceeded(supervisor: PID, restarts: Int, maxRestarts: Int, period: Duration)
        /// A supervisor stopped all its children and exited with `reason`.
        case supervisorShutdown(PID, reason: ExitReason)
    }

    /// A one-line summary for logs and the dashboard.
    public var description: String {
        switch kind {
        case let .started(pid, parent, behaviour):
            return "\(time) started \(pid) \(behaviour)\(parent.map { " under \($0)" } ?? "")"
        case let .exited(pid, reason, _):
            return "\(time) exited \(pid) \(reason)"
        case let .restarted(supervisor, childID, old, new, restarts):
            return "\(time) \(supervisor) restarted \(childID ?? "child") \(old) -> \(new) (restart \(restarts))"
        case let .restartFailed(supervisor, childID, reason):
            return "\(time) \(supervisor) failed to restart \(childID ?? "child"): \(reason)"
        case let .intensityExceeded(supervisor, restarts, maxRestarts, period):
            return "\(time) \(supervisor) exceeded restart intensity: \(restarts) > \(maxRestarts) in \(period)"
        case let .supervisorShutdown(pid, reason):
            return "\(time) supervisor \(pid) shut down: \(reason)"
        }
    }
}
