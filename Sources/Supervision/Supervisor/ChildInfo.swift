/// One child as a supervisor reports it: OTP's `which_children` entry, plus restarts.
public struct ChildInfo: Sendable, Hashable, CustomStringConvertible {
    /// Where the child is.
    public enum State: String, Sendable, Hashable {
        /// Running as ``ChildInfo/pid``.
        case running
        /// Exited; the supervisor is trying to start it again.
        case restarting
        /// Not running and not being restarted (terminated, ignored, or a transient child
        /// that finished); a static supervisor keeps its spec.
        case terminated
    }

    /// The spec's id (informational under a ``DynamicSupervisor``).
    public var id: String
    /// The pid it runs as; `nil` unless ``state`` is ``State/running``.
    public var pid: PID?
    /// Running, restarting or terminated.
    public var state: State
    /// Worker or supervisor, from its spec.
    public var type: ChildType
    /// The spec's restart policy.
    public var restart: RestartPolicy
    /// How many times this child has been restarted.
    public var restarts: Int
    /// For a restarting child of a ``DynamicSupervisor``, the pid it last ran as: the one
    /// ``DynamicSupervisor/terminateChild(_:)`` takes to end its retries.
    public var lastPID: PID? = nil

    /// A one-line summary for logs and tools.
    public var description: String {
        "\(id) \(pid.map(String.init(describing:)) ?? state.rawValue) \(type.rawValue) restarts=\(restarts)"
    }
}

/// OTP's `count_children`.
public struct ChildCounts: Sendable, Hashable, CustomStringConvertible {
    /// Children the supervisor knows about, restarting and terminated ones included.
    public var specs: Int
    /// Children running now.
    public var active: Int
    /// Children of type supervisor.
    public var supervisors: Int
    /// Children of type worker.
    public var workers: Int

    /// Counts as given.
    public init(specs: Int, active: Int, supervisors: Int, workers: Int) {
        self.specs = specs
        self.active = active
        self.supervisors = supervisors
        self.workers = workers
    }

    /// A one-line summary for logs and tools.
    public var description: String {
        "specs=\(specs) active=\(active) supervisors=\(supervisors) workers=\(workers)"
    }
}

/// How a supervisor uses its restart intensity right now.
public struct IntensityUse: Sendable, Hashable, CustomStringConvertible {
    /// Restarts inside the current window.
    public var restarts: Int
    /// Restarts allowed within ``period``.
    public var maxRestarts: Int
    /// The sliding window of the intensity.
    public var period: Duration

    /// A reading as given.
    public init(restarts: Int, maxRestarts: Int, period: Duration) {
        self.restarts = restarts
        self.maxRestarts = maxRestarts
        self.period = period
    }

    /// `restarts/maxRestarts in period`.
    public var description: String { "\(restarts)/\(maxRestarts) in \(period)" }
}

/// Errors of supervisor management calls.
public enum SupervisorError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No child with this id (static) or pid (dynamic).
    case notFound(String)
    /// The child is running; the operation needs it terminated.
    case running(String)
    /// The child is being restarted.
    case restarting(String)
    /// A child with this id exists and is running.
    case alreadyStarted(id: String, PID)
    /// A child spec with this id exists (not running).
    case alreadyPresent(String)
    /// Two children of one supervisor have the same id.
    case duplicateChildID(String)
    /// Starting the child failed.
    case startFailed(id: String, StartError)
    /// A child failed to start while the supervisor booted; the supervisor did not start.
    case failedToStartChild(id: String, reason: ExitReason)
    /// The supervisor is not running.
    case notRunning
    /// The child exists but has no running process (it is restarting or terminated).
    case childNotRunning(String)
    /// The child is not a supervisor of the kind asked for.
    case notASupervisor(id: String)
    /// The call to the supervisor failed for a reason of the caller's: it was cancelled
    /// (``CallError/cancelled``), the pid runs another kind of process
    /// (``CallError/wrongServerType(target:expected:)``), or the supervisor called itself.
    case callFailed(CallError)

    /// A one-line summary for logs and tools.
    public var description: String {
        switch self {
        case .notFound(let id): return "no child \(id)"
        case .running(let id): return "child \(id) is running"
        case .restarting(let id): return "child \(id) is restarting"
        case .alreadyStarted(let id, let pid): return "child \(id) already started as \(pid)"
        case .alreadyPresent(let id): return "child \(id) already present"
        case .duplicateChildID(let id): return "duplicate child id \(id)"
        case .startFailed(let id, let error): return "child \(id) failed to start: \(error)"
        case .failedToStartChild(let id, let reason): return "failed to start child \(id): \(reason)"
        case .notRunning: return "supervisor is not running"
        case .childNotRunning(let id): return "child \(id) is not running"
        case .notASupervisor(let id): return "child \(id) is not a supervisor of that kind"
        case .callFailed(let error): return "the call to the supervisor failed: \(error)"
        }
    }
}
