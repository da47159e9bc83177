/// When a supervisor restarts a child that exited.
public enum RestartPolicy: String, Sendable, Hashable, CaseIterable {
    /// Always restarted.
    case permanent
    /// Restarted only after an abnormal exit: not after ``ExitReason/normal``,
    /// ``ExitReason/shutdown`` or ``ExitReason/shutdownWith(_:)``.
    case transient
    /// Never restarted; forgotten once it exits.
    case temporary

    /// Whether a child with this policy is restarted after exiting with `reason`.
    public func restarts(after reason: ExitReason) -> Bool {
        switch self {
        case .permanent: return true
        case .transient: return !reason.isOrderly
        case .temporary: return false
        }
    }
}

/// How a supervisor stops a child.
public enum ShutdownPolicy: Sendable, Hashable, CustomStringConvertible {
    /// Kill it at once (untrappable).
    case brutalKill
    /// Send ``ExitReason/shutdown``, wait this long for it to exit, then kill it.
    case timeout(Duration)
    /// Send ``ExitReason/shutdown`` and wait for as long as it takes (the default for
    /// supervisors).
    case infinity

    /// OTP's spelling: `brutal_kill`, the timeout, or `infinity`.
    public var description: String {
        switch self {
        case .brutalKill: return "brutal_kill"
        case .timeout(let duration): return "\(duration)"
        case .infinity: return "infinity"
        }
    }
}

/// Whether a child is a worker or a supervisor.
public enum ChildType: String, Sendable, Hashable {
    /// A process that does the work (a server, a spawned process).
    case worker
    /// A supervisor: it is given as long as it needs to stop its own children.
    case supervisor
}

/// How to start, restart and stop one child of a supervisor: OTP's child spec.
///
/// The `start` closure runs as the supervisor (``Process/current`` is the supervisor),
/// so a server started with `startLink` inside it is linked to the supervisor. It
/// returns the new child's pid; throwing ``StartError/ignored`` means "start nothing";
/// any other error fails the start.
public struct ChildSpec: Sendable {
    /// Identifies the child within a static ``Supervisor``; informational under a
    /// ``DynamicSupervisor``.
    public var id: String
    /// Starts the child, linked to the calling (supervisor) process.
    public var start: @Sendable () async throws -> PID
    // `shutdown` (17 bytes) comes before the one-byte fields so they fill its last word:
    // a dynamic supervisor keeps one spec per child.
    /// How the child is stopped when it is terminated or its supervisor stops.
    public var shutdown: ShutdownPolicy
    /// When the child is restarted after it exits (``RestartPolicy``).
    public var restart: RestartPolicy
    /// Whether the child is a worker or a supervisor (its default shutdown follows).
    public var type: ChildType

    /// A child spec.
    ///
    /// - Parameters:
    ///   - id: the child's id, unique among its supervisor's children.
    ///   - restart: when it is restarted after it exits (``RestartPolicy/permanent``: always).
    ///   - shutdown: defaults to five seconds for workers and ``ShutdownPolicy/infinity``
    ///     for supervisors, as in OTP.
    ///   - type: a worker or a supervisor.
    ///   - start: starts the child linked to the calling process (the supervisor) and
    ///     returns its pid once it runs; throws when it cannot start.
    public init(
        id: String, restart: RestartPolicy = .permanent, shutdown: ShutdownPolicy? = nil,
        type: ChildType = .worker, start: @escaping @Sendable () async throws -> PID
    ) {
        self.id = id
        self.start = start
        self.restart = restart
        self.type = type
        self.shutdown = shutdown ?? (type == .supervisor ? .infinity : .timeout(.seconds(5)))
    }

    /// A spec that starts a ``GenServer`` with `startLink`.
    ///
    /// - Parameters:
    ///   - server: the server type.
    ///   - arguments: passed to its `initialize`.
    ///   - id: the child's id; defaults to the type's name.
    ///   - name: a name to register the child under (restarts register it again).
    ///   - restart: when it is restarted after it exits.
    ///   - shutdown: how it is stopped; five seconds by default.
    ///   - startTimeout: how long `initialize` may take.
    @inlinable
    public static func worker<Server: GenServer>(
        _ server: Server.Type, arguments: Server.Arguments, id: String? = nil,
        name: (any ProcessName)? = nil, restart: RestartPolicy = .permanent,
        shutdown: ShutdownPolicy? = nil, startTimeout: Timeout = .infinity
    ) -> ChildSpec {
        ChildSpec(id: id ?? TypeName.of(server), restart: restart, shutdown: shutdown, type: .worker) {
            try await Server.startLink(arguments, name: name, timeout: startTimeout).startedPID
        }
    }

    /// A spec that starts a ``GenServer`` without arguments with `startLink`.
    @inlinable
    public static func worker<Server: GenServer>(
        _ server: Server.Type, id: String? = nil, name: (any ProcessName)? = nil,
        restart: RestartPolicy = .permanent, shutdown: ShutdownPolicy? = nil,
        startTimeout: Timeout = .infinity
    ) -> ChildSpec where Server.Arguments == Void {
        worker(server, arguments: (), id: id, name: name, restart: restart, shutdown: shutdown, startTimeout: startTimeout)
    }
}

extension ServerRef {
    /// The pid of a reference made by a successful start.
    @usableFromInline
    var startedPID: PID {
        guard case .pid(let pid) = address else { preconditionFailure("a started server has a pid") }
        return pid
    }
}

/// Converts a start failure into the exit reason OTP would report for it.
func exitReason(ofStartFailure error: any Error) -> ExitReason {
    if let error = error as? StartError, let reason = error.reason { return reason }
    return .error(error)
}

extension ChildSpec {
    /// This spec with a start function that must never run: kept for a child that is
    /// never restarted, so that what the real one captures is freed.
    var withoutStart: ChildSpec {
        var spec = self
        spec.start = Self.neverStartedAgain
        return spec
    }

    private static let neverStartedAgain: @Sendable () async throws -> PID = {
        preconditionFailure("a temporary child is never started again")
    }
}
