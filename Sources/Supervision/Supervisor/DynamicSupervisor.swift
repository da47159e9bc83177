import ScalableLocks
/// OTP's `DynamicSupervisor`: children started on demand, all from specs given at start
/// time, restarted one for one.
///
/// Unlike OTP's, starts do not queue behind one another in the supervisor process:
/// ``startChild(_:)`` runs the child's start in the caller's task, so starts of
/// different children proceed in parallel. Exits and restarts are still handled by the
/// supervisor process, in order. Stopping the supervisor signals every child at once and
/// then waits for them, so it takes time linear in the number of children.
///
/// A restart that finds its child's name held by a process this supervisor started (a
/// pool's caller started the same id first) waits — off the supervisor process — for
/// that sibling's start: if it runs, the child counts as replaced, is forgotten, and its
/// restart is not charged to the intensity (the id is served by the caller's start, as
/// in a temporary pool); if it fails or exits, the restart runs again. OTP's supervisor
/// would retry the `already_started` until its intensity ran out. So a worker that
/// crashes again and again while callers restart it first never trips the intensity;
/// the crashes still show in exits and metrics. A name held by any other process fails
/// the restart, which is retried as in OTP.
public struct DynamicSupervisor: Sendable, CustomStringConvertible {
    /// A dynamic supervisor's flags.
    public struct Options: Sendable {
        /// At most `maxRestarts` restarts within `period`: Elixir's `max_restarts` (3)
        /// within `max_seconds` (5 s) by default.
        public var intensity: RestartIntensity
        /// The most children it runs at once (starting and restarting ones included);
        /// `nil` for no limit.
        public var maxChildren: Int?
        /// The value of the `supervisor` dimension of this supervisor's metrics
        /// (``SupervisionMetrics``): a fixed name such as `"sessions"`, never a pid or
        /// an id. `nil` reports under ``SupervisionMetrics/unnamed``.
        public var metricsName: String?
        #if FAULTS
        /// Deliberate bugs, for showing that lockstep exploration finds them. Never set
        /// outside such tests; compiled into debug builds only.
        package var faults: Faults = []
        #endif

        /// The `listEarlyExits` fault; a constant `false` in a release build.
        var listsEarlyExits: Bool {
            #if FAULTS
            faults.contains(.listEarlyExits)
            #else
            false
            #endif
        }

        /// The `retrySupersededRestarts` fault; a constant `false` in a release build.
        var retriesSupersededRestarts: Bool {
            #if FAULTS
            faults.contains(.retrySupersededRestarts)
            #else
            false
            #endif
        }

        /// Elixir's defaults: 3 restarts in 5 seconds, no child limit. Checked when the supervisor starts (``StartError/invalidOption(field:problem:)``).
        public init(
            maxRestarts: Int = 3, period: Duration = .seconds(5), maxChildren: Int? = nil, metricsName: String? = nil
        ) {
            self.intensity = RestartIntensity(maxRestarts: maxRestarts, period: period)
            self.maxChildren = maxChildren
            self.metricsName = metricsName
        }
    }

    #if FAULTS
    /// Deliberate bugs a test can switch on. The `FAULTS` condition is defined in debug
    /// builds only: a release build has neither the switches nor their branches.
    package struct Faults: OptionSet, Sendable {
        package let rawValue: Int
        package init(rawValue: Int) { self.rawValue = rawValue }

        /// The bug Lockstep found, back: a child whose exit arrives while its
        /// `startChild` is still registering it is listed anyway, and its exit is left to
        /// the supervisor process — until that catches up, the supervisor lists and
        /// counts a dead child. Only some interleavings expose it.
        package static var listEarlyExits: Faults { Faults(rawValue: 1) }
        /// OTP's behaviour, back: a restart that finds its name held by a sibling (a
        /// pool's caller started the id first) fails and is retried until the intensity
        /// runs out, and the supervisor shuts down with every child.
        package static var retrySupersededRestarts: Faults { Faults(rawValue: 2) }
    }
    #endif

    /// The supervisor process.
    public let pid: PID
    let core: ProcessCore
    let table: ChildTable
    let server: ServerRef<DynamicSupervisorServer>

    /// Reaches the dynamic supervisor running as `pid` (found, for instance, through
    /// ``Supervisor/whichChildren()``). Returns `nil` if `pid` is not one, or is dead.
    public init?(pid: PID) {
        guard let core = pid.core,
              let table = core.state.withLock({ $0.rare?.attachment }) as? ChildTable
        else { return nil }
        self.pid = pid
        self.core = core
        self.table = table
        self.server = ServerRef(pid: pid)
    }

    /// `DynamicSupervisor` followed by its pid.
    public var description: String { "DynamicSupervisor\(pid)" }

    /// Starts a dynamic supervisor linked to the calling process.
    ///
    /// - Throws: ``StartError/invalidOption(field:problem:)`` for a `maxChildren` below
    ///   zero, a negative `maxRestarts` or a period that is not positive (OTP's
    ///   `invalid_max_children`, `invalid_intensity`, `invalid_period`), and
    ///   ``StartError/initFailed(_:)`` with ``ExitReason/noproc`` if it died as soon
    ///   as it had started (killed, or its parent gone) — never a running supervisor
    ///   that is not there.
    nonisolated(nonsending) public static func start(
        options: Options = Options(), name: (any ProcessName)? = nil, runtime: Runtime? = nil
    ) async throws(StartError) -> DynamicSupervisor {
        if let problem = options.problem() { throw problem }
        let server = try await DynamicSupervisorServer.startLink(.init(options: options), name: name, runtime: runtime)
        startedSeam?(server.startedPID)
        // It may die as soon as it has acknowledged its start (killed, shut down, its
        // parent gone): a start that returns no running supervisor has failed.
        guard let supervisor = DynamicSupervisor(pid: server.startedPID) else {
            throw .initFailed(.noproc)
        }
        return supervisor
    }

    /// Test seam: runs between a supervisor's acknowledged start and `start` reaching it.
    @TaskLocal package static var startedSeam: (@Sendable (PID) -> Void)?

    /// A spec to run a dynamic supervisor as the child of another supervisor.
    public static func childSpec(
        id: String, options: Options = Options(), name: (any ProcessName)? = nil,
        restart: RestartPolicy = .permanent
    ) -> ChildSpec {
        ChildSpec(id: id, restart: restart, shutdown: .infinity, type: .supervisor) {
            try await start(options: options, name: name).pid
        }
    }

    /// The most children it runs at once, if limited.
    public var maxChildren: Int? { table.maxChildren }

    /// Starts a child from `spec` and adds it: OTP's `start_child`.
    ///
    /// Returns ``ChildStart/started(_:)`` or, if the start asked to be ignored,
    /// ``ChildStart/ignored`` (nothing is kept). As in OTP, the returned pid may already
    /// be dead — a child can exit right after its start — and then it is never listed
    /// or counted: it is forgotten, or restarted under a new pid, by its restart policy.
    ///
    /// - Throws: ``StartError/maxChildren``, ``StartError/alreadyStarted(_:)`` (its name
    ///   is taken), ``StartError/initFailed(_:)``, ``StartError/timeout(_:)``,
    ///   ``StartError/supervisorNotRunning``, ``StartError/invalidOption(field:problem:)``
    ///   for a negative shutdown timeout. A failed start leaves nothing behind and
    ///   does not affect other children.
    @discardableResult
    nonisolated(nonsending) public func startChild(_ spec: ChildSpec) async throws(StartError) -> ChildStart {
        if let problem = spec.problem() { throw problem }
        guard core.acceptsMessages else { throw .supervisorNotRunning }
        try table.reserve()
        let supervisor = core
        let result: Result<PID, any Error> = await ProcessContext.$current.withValue(supervisor) {
            do { return .success(try await spec.start()) } catch { return .failure(error) }
        }
        let started = try? result.get()
        switch table.finishStart(pid: started, spec: spec, now: supervisor.runtime.clock.now()) {
        case .registered, .notStarted:
            break
        case .exitedEarly(let decision):
            // Dead before it could be listed: its restart (if any) is the supervisor's.
            DynamicSupervisorServer.post(decision, to: supervisor)
        #if FAULTS
        case .listedDead(let reason):
            // The fault: its exit goes the ordinary way, through the mailbox.
            if let started { supervisor.deliver(.exit(from: started, reason: reason)) }
        #endif
        case .supervisorStopping:
            if let started { await ChildShutdown.run(started, supervisor: supervisor, policy: spec.shutdown) }
            throw .supervisorNotRunning
        }
        switch result {
        case .success(let pid):
            return .started(pid)
        case .failure(let error as StartError) where error.code == .ignored:
            return .ignored
        case .failure(let error as StartError):
            throw error
        case .failure(let error):
            throw .initFailed(.error(error))
        }
    }

    /// Stops a child and forgets it: OTP's `terminate_child`. Returns once the child is
    /// dead (after its shutdown policy ran: signal, wait, kill).
    ///
    /// A child waiting for its restart — or whose restart failed and is being retried —
    /// is reached by the pid it last ran as (``ChildInfo/lastPID``), as in OTP: it is
    /// not restarted again and no longer counted. If an attempt to start it is running,
    /// this waits for it and ends the child either way: a failed attempt leaves nothing;
    /// what a successful one started is never listed, and is shut down (by the child's
    /// shutdown policy) before this returns.
    ///
    /// The caller may give up: if its task is cancelled, a running child's shutdown
    /// ends in a kill at once (the child still dies before this returns), and a wait for
    /// a restart attempt ends with ``SupervisorError/callFailed(_:)`` (``CallError/cancelled``),
    /// leaving the child as it was — unless the attempt had already ended: then the child
    /// is ended, this returns normally, and the supervisor finishes stopping what the
    /// attempt started.
    ///
    /// - Throws: ``SupervisorError/notFound(_:)`` if `child` is neither a running child
    ///   nor the last pid of a restarting one.
    nonisolated(nonsending) public func terminateChild(_ child: PID) async throws(SupervisorError) {
        if let entry = table.remove(child) {
            await ChildShutdown.run(child, supervisor: core, policy: entry.spec.shutdown)
            return
        }
        switch await table.endRestarting(lastPID: child, clock: core.runtime.clock, parked: Self.terminateWaitsSeam) {
        case .notFound: throw .notFound(child.description)
        case .ended: return
        case .cancelled: throw .callFailed(.cancelled)
        }
    }

    /// Test seam: runs when a `terminateChild` starts waiting for a restart attempt in
    /// flight.
    @TaskLocal package static var terminateWaitsSeam: (@Sendable () -> Void)?

    /// The children: OTP's `which_children`, plus restart counts. O(children).
    public func whichChildren() -> [ChildInfo] { table.children() }

    /// The children whose restart failed and is being retried, each with the pid it last
    /// ran as (``ChildInfo/lastPID``, for ``terminateChild(_:)``). O(restarting children),
    /// however many children run.
    public func restartingChildren() -> [ChildInfo] { table.restartingChildren() }

    /// OTP's `count_children`. O(1).
    public func countChildren() -> ChildCounts { table.counts }

    /// Restart-intensity use now.
    public func intensity() -> IntensityUse { table.intensityUse(now: core.runtime.clock.now()) }

    /// Waits until the supervisor process has handled every exit it received before this
    /// call (a round trip through its mailbox). Child counts read afterwards reflect
    /// every child that had exited when `sync` was called.
    nonisolated(nonsending) public func sync() async throws(CallError) {
        try await server.call(.sync, timeout: .infinity)
    }

    /// Stops every child (concurrently) and then the supervisor, and waits.
    nonisolated(nonsending) public func stop(_ reason: ExitReason = .normal, timeout: Timeout = .infinity) async throws(CallError) {
        try await server.stop(reason, timeout: timeout)
    }
}
