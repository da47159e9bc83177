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
///
/// A struct, not an enum, so that new kinds can be added without breaking code that
/// handles these: match on ``code`` (`error.code == .notFound`) or compare whole errors
/// with `==` (`#expect(throws: SupervisorError.notFound("a"))`), and read what a kind
/// carries from its property (``childID``, ``pid``, ``startError``, ``reason``,
/// ``callError``).
public struct SupervisorError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kinds of supervisor error. New kinds may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Base: Hashable, Sendable {
            case notFound, running, restarting, alreadyStarted, alreadyPresent, duplicateChildID
            case startFailed, failedToStartChild, notRunning, childNotRunning, notASupervisor, callFailed
        }
        let base: Base
        init(_ base: Base) { self.base = base }

        /// No child with this id (static) or pid (dynamic).
        public static let notFound = Code(.notFound)
        /// The child is running; the operation needs it terminated.
        public static let running = Code(.running)
        /// The child is being restarted.
        public static let restarting = Code(.restarting)
        /// A child with this id exists and is running.
        public static let alreadyStarted = Code(.alreadyStarted)
        /// A child spec with this id exists (not running).
        public static let alreadyPresent = Code(.alreadyPresent)
        /// Two children of one supervisor have the same id.
        public static let duplicateChildID = Code(.duplicateChildID)
        /// Starting the child failed.
        public static let startFailed = Code(.startFailed)
        /// A child failed to start while the supervisor booted.
        public static let failedToStartChild = Code(.failedToStartChild)
        /// The supervisor is not running.
        public static let notRunning = Code(.notRunning)
        /// The child has no running process.
        public static let childNotRunning = Code(.childNotRunning)
        /// The child is not a supervisor of the kind asked for.
        public static let notASupervisor = Code(.notASupervisor)
        /// The call to the supervisor failed for a reason of the caller's.
        public static let callFailed = Code(.callFailed)

        /// The kind's name, as in OTP where it has one (`not_found`, `already_present`).
        public var description: String {
            switch base {
            case .notFound: return "not_found"
            case .running: return "running"
            case .restarting: return "restarting"
            case .alreadyStarted: return "already_started"
            case .alreadyPresent: return "already_present"
            case .duplicateChildID: return "duplicate_child_id"
            case .startFailed: return "start_failed"
            case .failedToStartChild: return "failed_to_start_child"
            case .notRunning: return "not_running"
            case .childNotRunning: return "child_not_running"
            case .notASupervisor: return "not_a_supervisor"
            case .callFailed: return "call_failed"
            }
        }
    }

    enum Storage: Sendable, Equatable {
        case notFound(String)
        case running(String)
        case restarting(String)
        case alreadyStarted(id: String, PID)
        case alreadyPresent(String)
        case duplicateChildID(String)
        case startFailed(id: String, StartError)
        case failedToStartChild(id: String, reason: ExitReason)
        case notRunning
        case childNotRunning(String)
        case notASupervisor(id: String)
        case callFailed(CallError)
    }

    let storage: Storage

    init(_ storage: Storage) { self.storage = storage }

    /// No child with this id (static) or pid (dynamic).
    public static func notFound(_ id: String) -> SupervisorError { SupervisorError(.notFound(id)) }
    /// The child is running; the operation needs it terminated.
    public static func running(_ id: String) -> SupervisorError { SupervisorError(.running(id)) }
    /// The child is being restarted.
    public static func restarting(_ id: String) -> SupervisorError { SupervisorError(.restarting(id)) }
    /// A child with this id exists and is running, as `pid`.
    public static func alreadyStarted(id: String, _ pid: PID) -> SupervisorError { SupervisorError(.alreadyStarted(id: id, pid)) }
    /// A child spec with this id exists (not running).
    public static func alreadyPresent(_ id: String) -> SupervisorError { SupervisorError(.alreadyPresent(id)) }
    /// Two children of one supervisor have the same id.
    public static func duplicateChildID(_ id: String) -> SupervisorError { SupervisorError(.duplicateChildID(id)) }
    /// Starting the child failed.
    public static func startFailed(id: String, _ error: StartError) -> SupervisorError { SupervisorError(.startFailed(id: id, error)) }
    /// A child failed to start while the supervisor booted; the supervisor did not start.
    public static func failedToStartChild(id: String, reason: ExitReason) -> SupervisorError {
        SupervisorError(.failedToStartChild(id: id, reason: reason))
    }
    /// The supervisor is not running.
    public static var notRunning: SupervisorError { SupervisorError(.notRunning) }
    /// The child exists but has no running process (it is restarting or terminated).
    public static func childNotRunning(_ id: String) -> SupervisorError { SupervisorError(.childNotRunning(id)) }
    /// The child is not a supervisor of the kind asked for.
    public static func notASupervisor(id: String) -> SupervisorError { SupervisorError(.notASupervisor(id: id)) }
    /// The call to the supervisor failed for a reason of the caller's: it was cancelled
    /// (``CallError/cancelled``), the pid runs another kind of process
    /// (``CallError/wrongServerType(target:expected:)``), or the supervisor called itself.
    public static func callFailed(_ error: CallError) -> SupervisorError { SupervisorError(.callFailed(error)) }

    /// The kind of error.
    public var code: Code {
        switch storage {
        case .notFound: return .notFound
        case .running: return .running
        case .restarting: return .restarting
        case .alreadyStarted: return .alreadyStarted
        case .alreadyPresent: return .alreadyPresent
        case .duplicateChildID: return .duplicateChildID
        case .startFailed: return .startFailed
        case .failedToStartChild: return .failedToStartChild
        case .notRunning: return .notRunning
        case .childNotRunning: return .childNotRunning
        case .notASupervisor: return .notASupervisor
        case .callFailed: return .callFailed
        }
    }

    /// The child the error is about (its id; a pid's description for a dynamic
    /// supervisor's child), if any.
    public var childID: String? {
        switch storage {
        case .notFound(let id), .running(let id), .restarting(let id), .alreadyStarted(let id, _),
             .alreadyPresent(let id), .duplicateChildID(let id), .startFailed(let id, _),
             .failedToStartChild(let id, _), .childNotRunning(let id), .notASupervisor(let id):
            return id
        case .notRunning, .callFailed:
            return nil
        }
    }

    /// The running child, for ``Code/alreadyStarted``.
    public var pid: PID? {
        if case .alreadyStarted(_, let pid) = storage { return pid }
        return nil
    }

    /// Why the child did not start, for ``Code/startFailed``.
    public var startError: StartError? {
        if case .startFailed(_, let error) = storage { return error }
        return nil
    }

    /// The child's exit reason, for ``Code/failedToStartChild``.
    public var reason: ExitReason? {
        if case .failedToStartChild(_, let reason) = storage { return reason }
        return nil
    }

    /// The failed call, for ``Code/callFailed``.
    public var callError: CallError? {
        if case .callFailed(let error) = storage { return error }
        return nil
    }

    /// A one-line summary for logs and tools.
    public var description: String {
        switch storage {
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
