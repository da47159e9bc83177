import CoreMetrics

/// The labels and dimensions of the metrics the runtime and its supervisors report
/// through swift-metrics, for dashboards, alerts and tests that look them up.
///
/// A ``Runtime`` makes its metrics from the `MetricsFactory` it was given (by default
/// the one `MetricsSystem.bootstrap` installed, or the task-local one of
/// `withMetricsFactory`, read when the runtime is created). The library never
/// bootstraps a backend itself; with none bootstrapped, nothing is counted and the
/// runtime pays one branch per event.
///
/// Every dimension is bounded: an exit reason's kind (five values), and a supervisor's
/// ``Supervisor/Options/metricsName`` (``DynamicSupervisor/Options/metricsName``) — a
/// name the application gives, never a pid or an id. Supervisors without one report
/// together under ``unnamed``.
///
/// | Label | Kind | Dimensions | Counts |
/// |---|---|---|---|
/// | `supervision_processes_started_total` | counter | – | processes created |
/// | `supervision_processes_exited_total` | counter | `reason` | processes exited, by ``ExitReasonKind`` |
/// | `supervision_restarts_total` | counter | `supervisor` | children restarted |
/// | `supervision_escalations_total` | counter | `supervisor` | supervisors that reached their restart intensity and gave up |
/// | `supervision_active_children` | meter | `supervisor` | running children |
public enum SupervisionMetrics {
    /// Processes created (spawned, or started as servers or supervisors).
    public static let processesStarted = "supervision_processes_started_total"
    /// Processes exited, with the `reason` dimension.
    public static let processesExited = "supervision_processes_exited_total"
    /// Children a supervisor restarted, with the `supervisor` dimension.
    public static let restarts = "supervision_restarts_total"
    /// Supervisors that reached their maximum restart intensity and shut down (OTP's
    /// `reached_max_restart_intensity`), with the `supervisor` dimension.
    public static let escalations = "supervision_escalations_total"
    /// Running children of supervisors, with the `supervisor` dimension: a meter that
    /// goes up as a child starts and down as it exits or is stopped.
    public static let activeChildren = "supervision_active_children"

    /// The dimension naming an exit reason's kind.
    public static let reasonDimension = "reason"
    /// The dimension naming a supervisor.
    public static let supervisorDimension = "supervisor"
    /// The `supervisor` dimension's value for supervisors given no metrics name.
    public static let unnamed = "unnamed"
}

/// The kind of an ``ExitReason``, as the `reason` dimension of
/// ``SupervisionMetrics/processesExited`` reports it: five values, however many errors
/// there are.
public enum ExitReasonKind: String, Sendable, CaseIterable {
    /// ``ExitReason/normal``.
    case normal
    /// ``ExitReason/shutdown`` and ``ExitReason/shutdownWith(_:)``.
    case shutdown
    /// ``ExitReason/kill`` and ``ExitReason/killed``.
    case killed
    /// ``ExitReason/noproc``.
    case noproc
    /// ``ExitReason/error(_:)``: a crash.
    case error

    /// The kind of `reason`.
    public init(_ reason: ExitReason) {
        switch reason {
        case .normal: self = .normal
        case .shutdown, .shutdownWith: self = .shutdown
        case .kill, .killed: self = .killed
        case .noproc: self = .noproc
        case .error: self = .error
        }
    }
}

extension MetricsFactory {
    /// Whether this factory records nothing (swift-metrics' default before a bootstrap):
    /// then the runtime and the registries make no metrics at all.
    package var recordsNothing: Bool { self is NOOPMetricsHandler }
}
