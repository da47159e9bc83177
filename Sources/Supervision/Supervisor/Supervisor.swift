/// OTP's `Supervisor`: starts an ordered list of children, restarts them when they exit
/// according to a strategy and their restart policy, and gives up — stopping them all
/// and exiting with ``ExitReason/shutdown`` — when restarts exceed its intensity.
///
/// Children start in order and stop in reverse order. Every management call is handled
/// by the supervisor process, in order with the exits it handles, as in OTP.
///
/// ```swift
/// let root = try await Supervisor.start(children: [
///     .worker(Cache.self, id: "cache"),
///     DynamicSupervisor.childSpec(id: "pool"),
/// ], options: .init(strategy: .oneForOne))
/// ```
public struct Supervisor: Sendable, CustomStringConvertible {
    /// Which children restart when one exits and must be restarted.
    public enum Strategy: String, Sendable, Hashable, CaseIterable {
        /// Only that child.
        case oneForOne
        /// Every child: the others are stopped (in reverse order), then all start again
        /// in order.
        case oneForAll
        /// That child and every child started after it.
        case restForOne
    }

    /// A supervisor's flags.
    public struct Options: Sendable {
        /// Which children restart when one must: OTP's `strategy` (`one_for_one` by default).
        public var strategy: Strategy
        /// At most `maxRestarts` restarts within `period`: Elixir's `max_restarts` (3)
        /// within `max_seconds` (5 s) by default.
        public var intensity: RestartIntensity
        /// The value of the `supervisor` dimension of this supervisor's metrics
        /// (``SupervisionMetrics``): a fixed name such as `"root"` or `"sessions"`, never
        /// a pid or an id. `nil` reports under ``SupervisionMetrics/unnamed``.
        public var metricsName: String?

        /// Flags with `strategy` and an intensity of `maxRestarts` within `period`.
        public init(
            strategy: Strategy = .oneForOne, maxRestarts: Int = 3, period: Duration = .seconds(5),
            metricsName: String? = nil
        ) {
            self.strategy = strategy
            self.intensity = RestartIntensity(maxRestarts: maxRestarts, period: period)
            self.metricsName = metricsName
        }
    }

    let server: ServerRef<SupervisorServer>

    /// The supervisor process.
    public let pid: PID

    init(server: ServerRef<SupervisorServer>) {
        self.server = server
        self.pid = server.startedPID
    }

    /// A typed view of an existing supervisor process.
    public init(pid: PID) {
        self.server = ServerRef(pid: pid)
        self.pid = pid
    }

    /// A typed view of `pid` if it runs a `Supervisor` (not a dynamic one), or `nil`
    /// if it runs something else or has exited: for tools that walk a tree.
    public init?(running pid: PID) {
        guard pid.core is ServerProcess<SupervisorServer> else { return nil }
        self.init(pid: pid)
    }

    /// `Supervisor` followed by its pid.
    public var description: String { "Supervisor\(pid)" }

    /// Starts a supervisor linked to the calling process and starts its children in
    /// order. Returns once all have started.
    ///
    /// - Throws: ``StartError/initFailed(_:)`` with
    ///   `.error(SupervisorError.failedToStartChild(id:reason:))` naming the first child
    ///   that failed (the ones started before it are stopped again),
    ///   `SupervisorError.duplicateChildID`, or ``StartError/invalidOption(field:problem:)``
    ///   for a bad intensity or a child with a negative shutdown timeout (nothing started).
    nonisolated(nonsending) public static func start(
        children: [ChildSpec], options: Options = Options(), name: (any ProcessName)? = nil,
        runtime: Runtime? = nil
    ) async throws(StartError) -> Supervisor {
        if let problem = options.problem() { throw problem }
        for child in children {
            if let invalid = child.problem(), let field = invalid.field, let problem = invalid.problem {
                throw .invalidOption(field: "\(field) of child \"\(child.id)\"", problem: problem)
            }
        }
        let arguments = SupervisorServer.Arguments(children: children, options: options)
        return Supervisor(server: try await SupervisorServer.startLink(arguments, name: name, runtime: runtime))
    }

    /// A spec to run a supervisor as the child of another.
    public static func childSpec(
        id: String, children: [ChildSpec], options: Options = Options(),
        name: (any ProcessName)? = nil, restart: RestartPolicy = .permanent
    ) -> ChildSpec {
        ChildSpec(id: id, restart: restart, shutdown: .infinity, type: .supervisor) {
            try await start(children: children, options: options, name: name).pid
        }
    }

    /// Adds a child at the end and starts it.
    ///
    /// - Returns: the child's pid, or ``ChildStart/ignored`` (the spec is kept).
    /// - Throws: ``SupervisorError/alreadyStarted(id:_:)``,
    ///   ``SupervisorError/alreadyPresent(_:)``, ``SupervisorError/startFailed(id:_:)``
    ///   (with ``StartError/invalidOption(field:problem:)`` for a negative shutdown timeout).
    @discardableResult
    nonisolated(nonsending) public func startChild(_ spec: ChildSpec) async throws(SupervisorError) -> ChildStart {
        if let problem = spec.problem() { throw .startFailed(id: spec.id, problem) }
        guard case .started(let start) = try await request(.startChild(spec)) else { preconditionFailure() }
        return start
    }

    /// Stops a child and keeps its spec (a temporary child's spec is dropped).
    nonisolated(nonsending) public func terminateChild(id: String) async throws(SupervisorError) {
        _ = try await request(.terminateChild(id))
    }

    /// Starts a terminated child again.
    @discardableResult
    nonisolated(nonsending) public func restartChild(id: String) async throws(SupervisorError) -> ChildStart {
        guard case .started(let start) = try await request(.restartChild(id)) else { preconditionFailure() }
        return start
    }

    /// Removes the spec of a terminated child.
    nonisolated(nonsending) public func deleteChild(id: String) async throws(SupervisorError) {
        _ = try await request(.deleteChild(id))
    }

    /// The children, in start order.
    nonisolated(nonsending) public func whichChildren() async throws(SupervisorError) -> [ChildInfo] {
        guard case .snapshot(let snapshot) = try await request(.snapshot) else { preconditionFailure() }
        return snapshot.children
    }

    /// OTP's `count_children`.
    nonisolated(nonsending) public func countChildren() async throws(SupervisorError) -> ChildCounts {
        guard case .snapshot(let snapshot) = try await request(.snapshot) else { preconditionFailure() }
        return snapshot.counts
    }

    /// The child with this id, as a ``DynamicSupervisor``: the typed way down a tree.
    ///
    /// - Throws: ``SupervisorError/notFound(_:)`` if there is no such child,
    ///   ``SupervisorError/childNotRunning(_:)`` if it is restarting or terminated,
    ///   ``SupervisorError/notASupervisor(id:)`` if it runs something else.
    /// - Complexity: one call to the supervisor, O(children).
    nonisolated(nonsending) public func dynamicSupervisor(id: String) async throws(SupervisorError) -> DynamicSupervisor {
        let pid = try await runningChild(id: id)
        guard let supervisor = DynamicSupervisor(pid: pid) else { throw .notASupervisor(id: id) }
        return supervisor
    }

    /// The child with this id, as a ``Supervisor``: the typed way down a tree.
    ///
    /// - Throws: as ``dynamicSupervisor(id:)``.
    /// - Complexity: one call to the supervisor, O(children).
    nonisolated(nonsending) public func supervisor(id: String) async throws(SupervisorError) -> Supervisor {
        let pid = try await runningChild(id: id)
        guard let supervisor = Supervisor(running: pid) else { throw .notASupervisor(id: id) }
        return supervisor
    }

    nonisolated(nonsending)
    private func runningChild(id: String) async throws(SupervisorError) -> PID {
        guard let child = try await whichChildren().first(where: { $0.id == id }) else { throw .notFound(id) }
        guard child.state == .running, let pid = child.pid else { throw .childNotRunning(id) }
        return pid
    }

    /// Children, counts and restart-intensity use in one consistent snapshot.
    nonisolated(nonsending) public func snapshot() async throws(SupervisorError) -> SupervisorSnapshot {
        guard case .snapshot(let snapshot) = try await request(.snapshot) else { preconditionFailure() }
        return snapshot
    }

    /// Children, counts and restart-intensity use, waiting at most `timeout` for the
    /// supervisor to answer: for tools that must not hang on a supervisor busy
    /// restarting children.
    ///
    /// - Throws: ``CallError/timeout(_:)``, ``CallError/noProcess(target:)`` and the
    ///   other errors of a call, unchanged.
    nonisolated(nonsending) public func snapshot(timeout: Timeout) async throws(CallError) -> SupervisorSnapshot {
        let reply = try await server.call(.snapshot, timeout: timeout)
        guard case .snapshot(let snapshot) = reply else { preconditionFailure("a snapshot request answered \(reply)") }
        return snapshot
    }

    /// Stops the children in reverse order, then the supervisor, and waits for it.
    nonisolated(nonsending) public func stop(_ reason: ExitReason = .normal, timeout: Timeout = .infinity) async throws(CallError) {
        try await server.stop(reason, timeout: timeout)
    }

    nonisolated(nonsending)
    private func request(_ request: SupervisorServer.Request) async throws(SupervisorError) -> SupervisorServer.Reply {
        let reply: SupervisorServer.Reply
        do {
            reply = try await server.call(request, timeout: .infinity)
        } catch where error.code == .noProcess || error.code == .exited {
            throw .notRunning
        } catch {
            // Not the supervisor's state but the call's: a cancelled caller, a pid that
            // runs another kind of process, a supervisor calling itself.
            throw .callFailed(error)
        }
        if case .failed(let error) = reply { throw error }
        return reply
    }
}

/// The outcome of a child start that did not fail.
public enum ChildStart: Sendable, Hashable {
    /// The child runs as this process.
    case started(PID)
    /// The child's start asked to be ignored; nothing runs.
    case ignored

    /// The child's pid, if it started.
    public var pid: PID? {
        if case .started(let pid) = self { return pid }
        return nil
    }
}

/// A supervisor's children, counts and intensity use at one moment.
public struct SupervisorSnapshot: Sendable, CustomStringConvertible {
    /// The supervisor process.
    public var pid: PID
    /// `oneForOne`, `oneForAll`, `restForOne`.
    public var strategy: Supervisor.Strategy
    /// The children, in start order: OTP's `which_children`, plus restarts.
    public var children: [ChildInfo]
    /// OTP's `count_children`, for the same moment as ``children``.
    public var counts: ChildCounts
    /// Restarts inside the current window, against `max_restarts` within `max_seconds`.
    public var intensity: IntensityUse

    /// The pid, strategy, counts and intensity use, on one line.
    public var description: String {
        "\(pid) \(strategy.rawValue) \(counts) intensity \(intensity)"
    }
}
