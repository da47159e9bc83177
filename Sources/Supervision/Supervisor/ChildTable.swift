import ScalableLocks

/// The shared child table of a ``DynamicSupervisor``.
///
/// Starting and terminating children runs in the caller's task against this table, so
/// starts of different children proceed in parallel (OTP serialises them through the
/// supervisor process). Exits and restarts are handled by the supervisor process, which
/// traps exits; the table keeps both views consistent under one lock.
final class ChildTable: Sendable {
    /// One child. A reference, so that the table's dictionaries hold one word per
    /// child and stay cheap to grow at a million children. Guarded by the table's lock.
    // @unchecked: the vars are touched under the table's `state` Lock; a restarting
    // child's `lastPID` is read outside it only while nothing can write it (it is written
    // by `decide`, which sees only running children).
    final class Child: @unchecked Sendable {
        let spec: ChildSpec
        var restarts = 0
        var lastPID: PID?
        var startedAt: Timestamp
        /// When the restart now pending was recorded against the intensity (while the
        /// child is restarting): a restart another child makes needless is withdrawn.
        var chargedAt: Timestamp?

        init(spec: ChildSpec, startedAt: Timestamp) {
            self.spec = spec
            self.startedAt = startedAt
        }
    }

    enum Status { case running, stopping }

    struct State {
        var status = Status.running
        var children: [PID: Child] = [:]
        /// Children whose restart failed and will be retried, by restart ticket.
        var restarting: [UInt64: Child] = [:]
        var nextTicket: UInt64 = 0
        /// `startChild` calls between reservation and registration (they count toward
        /// `maxChildren`).
        var pendingStarts = 0
        /// Restarts between `beginRestart` and `finishRestart` (their child is already
        /// counted in `restarting`).
        var pendingRestarts = 0
        /// The tickets of the restarts between `beginRestart` and `finishRestart`.
        var inFlight: Set<UInt64> = []
        /// `terminateChild` calls ending a restarting child whose restart is in flight:
        /// they learn whether it started after all.
        var ending: [UInt64: [OneShot<RestartEnd>]] = [:]
        /// Exits of children whose `startChild` (or restart) had not registered them
        /// yet. Emptied whenever no start is pending; between, it can also hold exits of
        /// strangers (a process linked to the supervisor by hand, a child that died while
        /// `terminateChild` was unlinking it), which no start claims.
        var earlyExits: [PID: ExitReason] = [:]

        /// Whether a start or restart is between its start function and registration.
        var starting: Bool { pendingStarts + pendingRestarts > 0 }

        /// One start or restart ended.
        mutating func startEnded() {
            if !starting { earlyExits.removeAll() }
        }
        var intensity: RestartIntensity
        var supervisorSpecs = 0
    }

    /// What the supervisor must do about a child's exit.
    enum ExitDecision {
        /// Not a child: the exit signal is the supervisor's own business (its parent's).
        case notAChild
        /// Nothing to do (an early exit stashed for its `startChild`, or the supervisor is
        /// stopping).
        case ignore
        /// Forgotten: not restarted by its policy.
        case forgotten
        /// Restart it; the ticket identifies it while restarting.
        case restart(ticket: UInt64, Child)
        /// The restart exceeds the intensity: the supervisor must shut down.
        case giveUp
    }

    let maxChildren: Int?
    let state: Lock<State>
    /// The supervisor's metrics: the running-children meter moves, under the lock, as
    /// `children` gains and loses entries.
    let instruments: SupervisorInstruments?
    #if FAULTS
    /// The `listEarlyExits` fault (tests of the lockstep explorer only).
    let listsEarlyExits: Bool
    #endif

    init(intensity: RestartIntensity, maxChildren: Int?, listsEarlyExits: Bool, instruments: SupervisorInstruments? = nil) {
        self.maxChildren = maxChildren
        self.instruments = instruments
        self.state = Lock(State(intensity: intensity))
        #if FAULTS
        self.listsEarlyExits = listsEarlyExits
        #else
        precondition(!listsEarlyExits, "faults are compiled into debug builds only")
        #endif
    }

    /// Reserves room for one more child.
    func reserve() throws(StartError) {
        try state.withLock { state throws(StartError) in
            guard state.status == .running else { throw .supervisorNotRunning }
            if let maxChildren, state.children.count + state.restarting.count + state.pendingStarts >= maxChildren {
                throw .maxChildren
            }
            state.pendingStarts += 1
        }
    }

    enum Registration {
        /// The start failed or was ignored: nothing to register.
        case notStarted
        /// Registered.
        case registered
        /// The child exited before it could be registered: it never appears in the
        /// table, and `decision` says what its exit calls for (a restart, or nothing).
        case exitedEarly(ExitDecision)
        #if FAULTS
        /// The `listEarlyExits` fault: registered although it already exited; the
        /// caller hands the exit to the supervisor process.
        case listedDead(ExitReason)
        #endif
        case supervisorStopping
    }

    /// Ends a reservation; registers the child if it started and is still alive.
    ///
    /// A child that already exited (its exit signal arrived while its `startChild` was
    /// still running) is decided here, under the same lock, instead of being listed for
    /// a moment as a running child: the table never lists a dead child.
    func finishStart(pid: PID?, spec: ChildSpec, now: Timestamp) -> Registration {
        state.withLock { state -> Registration in
            state.pendingStarts -= 1
            defer { state.startEnded() }
            guard let pid else { return .notStarted }
            guard state.status == .running else { return .supervisorStopping }
            // A temporary child is never started again: its start function — and the
            // arguments and name it holds — need not live as long as the child.
            let child = Child(spec: spec.restart == .temporary ? spec.withoutStart : spec, startedAt: now)
            if spec.type == .supervisor { state.supervisorSpecs += 1 }
            if let reason = state.earlyExits.removeValue(forKey: pid) {
                #if FAULTS
                if listsEarlyExits {
                    state.children[pid] = child
                    instruments?.childrenChanged(by: 1)
                    return .listedDead(reason)
                }
                #endif
                return .exitedEarly(Self.decide(child, pid: pid, reason: reason, now: now, &state))
            }
            state.children[pid] = child
            instruments?.childrenChanged(by: 1)
            return .registered
        }
    }

    /// A child exited; decides whether it restarts, recording the restart against the
    /// intensity.
    func childExited(_ pid: PID, reason: ExitReason, now: Timestamp) -> ExitDecision {
        state.withLock { state -> ExitDecision in
            guard let child = state.children.removeValue(forKey: pid) else {
                guard state.starting else { return .notAChild }
                state.earlyExits[pid] = reason
                return .ignore
            }
            instruments?.childrenChanged(by: -1)
            return Self.decide(child, pid: pid, reason: reason, now: now, &state)
        }
    }

    /// What the exit of `child` (already out of `children`) calls for.
    private static func decide(_ child: Child, pid: PID, reason: ExitReason, now: Timestamp, _ state: inout State) -> ExitDecision {
        guard state.status == .running else { return .ignore }
        guard child.spec.restart.restarts(after: reason) else {
            if child.spec.type == .supervisor { state.supervisorSpecs -= 1 }
            return .forgotten
        }
        guard state.intensity.recordRestart(at: now) else { return .giveUp }
        child.chargedAt = now
        child.lastPID = pid
        let ticket = state.nextTicket
        state.nextTicket &+= 1
        state.restarting[ticket] = child
        return .restart(ticket: ticket, child)
    }

    /// The child waiting for the restart `ticket`.
    func restarting(_ ticket: UInt64) -> Child? {
        state.withLock { $0.status == .running ? $0.restarting[ticket] : nil }
    }

    /// A retry of a failed restart is due; records it against the intensity.
    func retry(ticket: UInt64, now: Timestamp) -> ExitDecision {
        state.withLock { state -> ExitDecision in
            guard state.status == .running, let child = state.restarting[ticket] else { return .ignore }
            guard state.intensity.recordRestart(at: now) else { return .giveUp }
            child.chargedAt = now
            return .restart(ticket: ticket, child)
        }
    }

    /// A restart is about to run the child's start: its exit, if it comes before
    /// ``finishRestart(ticket:pid:now:)``, is stashed for it.
    func beginRestart(ticket: UInt64) {
        state.withLock { state in
            state.pendingRestarts += 1
            state.inFlight.insert(ticket)
        }
    }

    /// How ending a restarting child went.
    enum RestartEnd: Sendable {
        /// No restarting child ran last as that pid.
        case notFound
        /// Ended: no retry follows, no attempt of it is running, and what an attempt
        /// in flight started has been shut down.
        case ended
        /// The caller's task was cancelled while an attempt ran, before the attempt
        /// ended: nothing was changed.
        case cancelled
    }

    /// Ends, for `terminateChild`, a child waiting for its restart (or whose restart
    /// failed and is being retried), found by the pid it last ran as. If an attempt is
    /// running, waits for it: a failed attempt ends the child; what one that succeeded
    /// started is never listed, and the supervisor shuts it down before this returns.
    /// A caller whose task is cancelled meanwhile stops waiting (``RestartEnd/cancelled``),
    /// unless the attempt had already ended and the child with it: then it is
    /// ``RestartEnd/ended``, and the supervisor finishes stopping what the attempt started.
    ///
    /// - Parameter parked: called once the caller waits for an attempt in flight (a
    ///   test seam).
    nonisolated(nonsending)
    func endRestarting(lastPID pid: PID, clock: any SupervisionClock, parked: (@Sendable () -> Void)? = nil) async -> RestartEnd {
        var parkedOn: UInt64?
        var handedOver = false
        let end = await OneShot<RestartEnd>.wait(deadline: .infinity, clock: clock, cancellable: true) { waiter in
            let now = state.withLock { state -> RestartEnd? in
                guard state.status == .running,
                      let (ticket, child) = state.restarting.first(where: { $0.value.lastPID == pid })
                else { return .notFound }
                if state.inFlight.contains(ticket) {
                    state.ending[ticket, default: []].append(waiter)
                    parkedOn = ticket
                    return nil
                }
                state.restarting.removeValue(forKey: ticket)
                if child.spec.type == .supervisor { state.supervisorSpecs -= 1 }
                return .ended
            }
            if let now { waiter.resolve(now) } else { parked?() }
        } unregister: { waiter in
            guard let ticket = parkedOn else { return }
            handedOver = state.withLock { state -> Bool in
                // No longer listed: the attempt ended and took this waiter with it.
                guard let waiting = state.ending[ticket], waiting.contains(where: { $0 === waiter }) else { return true }
                state.ending[ticket] = waiting.count == 1 ? nil : waiting.filter { $0 !== waiter }
                return false
            }
        }
        return end ?? (handedOver ? .ended : .cancelled)
    }

    enum RestartRegistration {
        /// The start failed or was ignored: the caller decides from its error.
        case notStarted
        /// The supervisor is stopping: the caller must stop the new child.
        case supervisorStopping
        /// Restarted as `pid`, `restarts` times in all. If it already exited,
        /// `earlyExit` says what that exit calls for, and it is not listed.
        case restarted(PID, restarts: Int, earlyExit: ExitDecision?)
        /// A `terminateChild` ended the child while this attempt ran, and the attempt
        /// failed: nothing is left (the waiters have their answer).
        case endedWhileStarting
        /// A `terminateChild` ended the child while this attempt ran, and the attempt
        /// started `pid`: the caller must shut it down (it is not listed) and then resolve
        /// `waiters` with `.ended`.
        case endedAfterStart(PID, waiters: [OneShot<RestartEnd>])
    }

    /// Ends a restart begun with ``beginRestart()``.
    func finishRestart(ticket: UInt64, pid: PID?, now: Timestamp) -> RestartRegistration {
        var waiters: [OneShot<RestartEnd>] = []
        let registration = state.withLock { state -> RestartRegistration in
            state.pendingRestarts -= 1
            state.inFlight.remove(ticket)
            waiters = state.ending.removeValue(forKey: ticket) ?? []
            defer { state.startEnded() }
            guard let pid else {
                guard !waiters.isEmpty else { return .notStarted }
                // A terminateChild was waiting on this attempt: it failed, so the child ends.
                if let child = state.restarting.removeValue(forKey: ticket), child.spec.type == .supervisor {
                    state.supervisorSpecs -= 1
                }
                return .endedWhileStarting
            }
            guard state.status == .running, let child = state.restarting.removeValue(forKey: ticket) else {
                return .supervisorStopping
            }
            if !waiters.isEmpty {
                // Ended while it started (OTP's terminate_child of a restarting child):
                // what it started is never listed, and is shut down by the caller.
                if child.spec.type == .supervisor { state.supervisorSpecs -= 1 }
                let handed = waiters
                waiters = []
                // Dead already: its exit, stashed for this restart, needs nothing more.
                state.earlyExits.removeValue(forKey: pid)
                return .endedAfterStart(pid, waiters: handed)
            }
            child.restarts += 1
            child.startedAt = now
            child.chargedAt = nil
            if let reason = state.earlyExits.removeValue(forKey: pid) {
                return .restarted(pid, restarts: child.restarts,
                                  earlyExit: Self.decide(child, pid: pid, reason: reason, now: now, &state))
            }
            state.children[pid] = child
            instruments?.childrenChanged(by: 1)
            return .restarted(pid, restarts: child.restarts, earlyExit: nil)
        }
        for waiter in waiters { waiter.resolve(.ended) }
        return registration
    }

    /// A restart found the child's place taken by a live process this supervisor started
    /// (another child started under the same name — in a pool, a caller that asked for
    /// the id while the restart was pending) and that process completed its start: the
    /// child is replaced, so it is forgotten, and the restart charged when it died is
    /// withdrawn from the intensity. (Nothing waits on it: no attempt of it is in
    /// flight.) Returns whether the child was still restarting (a `terminateChild` may
    /// have ended it meanwhile).
    @discardableResult
    func restartSuperseded(ticket: UInt64) -> Bool {
        state.withLock { state -> Bool in
            guard state.status == .running, let child = state.restarting.removeValue(forKey: ticket) else { return false }
            if child.spec.type == .supervisor { state.supervisorSpecs -= 1 }
            if let charged = child.chargedAt { state.intensity.withdrawRestart(at: charged) }
            return true
        }
    }

    /// A restart's start said "ignore": the child is forgotten.
    func restartIgnored(ticket: UInt64) {
        state.withLock { state in
            if let child = state.restarting.removeValue(forKey: ticket), child.spec.type == .supervisor {
                state.supervisorSpecs -= 1
            }
        }
    }

    /// Removes a running child for `terminateChild`; `nil` if it is not a child.
    func remove(_ pid: PID) -> Child? {
        state.withLock { state -> Child? in
            guard let child = state.children.removeValue(forKey: pid) else { return nil }
            instruments?.childrenChanged(by: -1)
            if child.spec.type == .supervisor { state.supervisorSpecs -= 1 }
            return child
        }
    }

    /// Marks the table stopping and hands over every running child, oldest first.
    func beginStopping() -> [(PID, Child)] {
        let (children, waiters) = state.withLock { state -> ([PID: Child], [OneShot<RestartEnd>]) in
            state.status = .stopping
            instruments?.childrenChanged(by: -state.children.count)
            defer {
                state.children = [:]
                state.restarting = [:]
                state.ending = [:]
                state.supervisorSpecs = 0
            }
            return (state.children, state.ending.values.flatMap { $0 })
        }
        for waiter in waiters { waiter.resolve(.ended) }
        // Oldest child first: a fixed order, the same in every run (sorted outside the
        // lock: O(n log n) at a million children).
        return children.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    var counts: ChildCounts {
        state.withLock { state in
            let specs = state.children.count + state.restarting.count
            return ChildCounts(specs: specs, active: state.children.count,
                               supervisors: state.supervisorSpecs, workers: specs - state.supervisorSpecs)
        }
    }

    func children() -> [ChildInfo] {
        state.withLock { state in
            var infos: [ChildInfo] = []
            infos.reserveCapacity(state.children.count + state.restarting.count)
            for (pid, child) in state.children {
                infos.append(ChildInfo(id: child.spec.id, pid: pid, state: .running, type: child.spec.type,
                                       restart: child.spec.restart, restarts: child.restarts))
            }
            infos += state.restarting.values.map(Self.restartingInfo)
            return infos
        }
    }

    /// The children whose restart failed and is being retried. O(restarting children).
    func restartingChildren() -> [ChildInfo] {
        state.withLock { $0.restarting.values.map(Self.restartingInfo) }
    }

    private static func restartingInfo(_ child: Child) -> ChildInfo {
        ChildInfo(id: child.spec.id, pid: nil, state: .restarting, type: child.spec.type,
                  restart: child.spec.restart, restarts: child.restarts, lastPID: child.lastPID)
    }

    func intensityUse(now: Timestamp) -> IntensityUse {
        state.withLock { state in
            IntensityUse(restarts: state.intensity.restarts(at: now), maxRestarts: state.intensity.maxRestarts,
                         period: state.intensity.period)
        }
    }
}
