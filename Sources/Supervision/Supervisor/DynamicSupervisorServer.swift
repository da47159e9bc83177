import ScalableLocks
/// The process behind a ``DynamicSupervisor``: traps exits, restarts children, and on
/// stop shuts all children down concurrently.
struct DynamicSupervisorServer: GenServer {
    struct Arguments: Sendable {
        var options: DynamicSupervisor.Options
    }

    enum Request: Sendable {
        /// A round trip through the mailbox: everything queued before it is handled.
        case sync
    }
    typealias Reply = Void

    enum Info: Sendable {
        /// A child exited and must be restarted (the restart is already counted).
        case restart(ticket: UInt64)
        /// A child's exit exceeded the restart intensity.
        case giveUp
        /// A restart attempt failed; try again (counts toward the intensity).
        case retryRestart(ticket: UInt64)
        /// The sibling holding a restarting child's name completed its start and runs:
        /// the child is replaced (``ChildTable/restartSuperseded(ticket:)``).
        case superseded(ticket: UInt64, by: PID)
        /// The sibling holding a restarting child's name failed to start or exited: its
        /// name is free, so the restart runs again, not charged a second time.
        case retryUncharged(ticket: UInt64)
    }

    let table: ChildTable
    let me: ProcessCore
    /// Whether a restart that finds its name held by a sibling is retried (the
    /// `retrySupersededRestarts` fault; always `false` outside its tests).
    let retriesSupersededRestarts: Bool

    static func initialize(_ arguments: Arguments) async throws -> InitResult<DynamicSupervisorServer> {
        try Process.flag(trapExit: true)
        let me = ProcessContext.current!
        me.runtime.roster.add(me.pid)
        let table = ChildTable(intensity: arguments.options.intensity, maxChildren: arguments.options.maxChildren,
                               listsEarlyExits: arguments.options.listsEarlyExits,
                               instruments: me.runtime.instruments?.supervisor(named: arguments.options.metricsName))
        let clock = me.runtime.clock
        // A child's exit is decided inside the child's exit, under the table's lock: a
        // child that is not restarted is forgotten without waking the supervisor.
        // The parent's exit is never a child's: it goes to the mailbox, where it stops
        // the supervisor (even while a start is pending and would stash a child's).
        let parent = me.parent
        let handler: @Sendable (PID, ExitReason) -> Bool = { [weak me] pid, reason in
            guard let me, pid != parent else { return false }
            let decision = table.childExited(pid, reason: reason, now: clock.now())
            if case .notAChild = decision { return false }
            post(decision, to: me)
            return true
        }
        me.state.withLock { state in
            let rare = state.rareState()
            rare.attachment = table
            rare.linkExitHandler = handler
        }
        return .ok(DynamicSupervisorServer(table: table, me: me,
                                           retriesSupersededRestarts: arguments.options.retriesSupersededRestarts))
    }

    mutating func handleCall(_ request: Request, from caller: Caller<Void>) async throws -> CallResult<Void> {
        .reply(())
    }

    mutating func handleExit(from pid: PID?, reason: ExitReason) async throws -> HandleResult {
        guard let pid else { return .noreply }
        return await handle(table.childExited(pid, reason: reason, now: me.runtime.clock.now()))
    }

    mutating func handleInfo(_ message: Info) async throws -> HandleResult {
        switch message {
        case .restart(let ticket):
            guard let child = table.restarting(ticket) else { return .noreply }
            return await handle(.restart(ticket: ticket, child))
        case .giveUp:
            return await handle(.giveUp)
        case .retryRestart(let ticket):
            return await handle(table.retry(ticket: ticket, now: me.runtime.clock.now()))
        case .superseded(let ticket, let holder):
            supersede(ticket, by: holder)
            return .noreply
        case .retryUncharged(let ticket):
            // Gone meanwhile if a terminateChild ended it, or the supervisor is stopping.
            guard let child = table.restarting(ticket) else { return .noreply }
            return await handle(.restart(ticket: ticket, child))
        }
    }

    private func handle(_ decision: ChildTable.ExitDecision) async -> HandleResult {
        let runtime = me.runtime
        switch decision {
        case .notAChild, .ignore, .forgotten:
            return .noreply
        case .giveUp:
            let use = table.intensityUse(now: runtime.clock.now())
            // Counted before the event goes out: whoever waits on it sees the count.
            table.instruments?.escalations.increment()
            runtime.events.publish(.intensityExceeded(
                supervisor: me.pid, restarts: use.restarts, maxRestarts: use.maxRestarts, period: use.period))
            runtime.logger.error("dynamic supervisor reached its maximum restart intensity; shutting down", metadata: [
                "supervisor.pid": "\(me.pid)", "supervisor.max_restarts": "\(use.maxRestarts)",
                "supervisor.period": "\(use.period)",
            ])
            return .stop(.shutdown)
        case .restart(let ticket, let child):
            let old = child.lastPID
            // Counted as a pending start, so that an exit of the new child arriving before
            // it is registered is stashed for it, not mistaken for a stranger's.
            table.beginRestart(ticket: ticket)
            let result: Result<PID, any Error>
            do { result = .success(try await child.spec.start()) } catch { result = .failure(error) }
            switch table.finishRestart(ticket: ticket, pid: try? result.get(), now: runtime.clock.now()) {
            case .supervisorStopping:
                if case .success(let pid) = result {
                    await ChildShutdown.run(pid, supervisor: me, policy: child.spec.shutdown)
                }
            case .endedWhileStarting:
                // A terminateChild ended the child while its attempt failed: nothing to retry.
                break
            case .endedAfterStart(let pid, let waiters):
                // A terminateChild ended the child while it restarted: what the restart
                // started goes too, before the caller hears it ended.
                await ChildShutdown.run(pid, supervisor: me, policy: child.spec.shutdown)
                for waiter in waiters { waiter.resolve(.ended) }
            case .restarted(let pid, let restarts, let earlyExit):
                table.instruments?.restarts.increment()
                if let old {
                    runtime.logger.info("child restarted", metadata: [
                        "supervisor.pid": "\(me.pid)", "process.pid": "\(pid)", "process.previous_pid": "\(old)",
                        "supervisor.restarts": "\(restarts)",
                    ])
                    runtime.events.publish(.restarted(
                        supervisor: me.pid, childID: nil, old: old, new: pid, restarts: restarts))
                }
                // Dead before it was listed: through the mailbox like any exit, so that
                // a child dying at every start does not starve other messages (its
                // restarts count toward the intensity, which ends the loop).
                if let earlyExit { Self.post(earlyExit, to: me) }
            case .notStarted:
                guard case .failure(let error) = result else { break }
                if (error as? StartError)?.code == .ignored {
                    table.restartIgnored(ticket: ticket)
                } else if !retriesSupersededRestarts, let holder = (error as? StartError)?.holder, holder.core == nil {
                    // The holder died since: its name is free, and the restart runs again,
                    // uncharged (a dead process holds no name, so this cannot loop).
                    me.deliver(.info(Info.retryUncharged(ticket: ticket)))
                } else if !retriesSupersededRestarts, let holder = (error as? StartError)?.holder,
                          let core = holder.core, core.parent == me.pid {
                    // Its name is held by a sibling — in a pool, a caller's start for the
                    // same id won the race with this restart: once that sibling runs, the
                    // id is served and nothing failed. The child is then replaced and its
                    // restart not charged (OTP's supervisor would retry until its intensity
                    // ran out).
                    // A sibling still starting is decided when its start ends, one that is
                    // exiting once it is dead and its name free (the restarting child stays
                    // listed meanwhile, and terminateChild can end it); then the restart
                    // runs again, uncharged.
                    let supervisor = me
                    switch core.observeStart({ started in
                        supervisor.deliver(.info(started ? Info.superseded(ticket: ticket, by: holder)
                                                         : Info.retryUncharged(ticket: ticket)))
                    }) {
                    case true?: supersede(ticket, by: holder)
                    case false?: me.deliver(.info(Info.retryUncharged(ticket: ticket)))
                    case nil: break
                    }
                } else {
                    let reason = exitReason(ofStartFailure: error)
                    runtime.events.publish(.restartFailed(supervisor: me.pid, childID: nil, reason: reason))
                    runtime.logger.error("dynamic supervisor failed to restart a child", metadata: [
                        "supervisor.pid": "\(me.pid)", "process.pid": "\(old.map { "\($0)" } ?? "none")",
                        "error.reason": "\(reason)",
                    ])
                    me.deliver(.info(Info.retryRestart(ticket: ticket)))
                }
            }
            return .noreply
        }
    }

    /// The restart `ticket` found its name held by `holder`, a running sibling: the
    /// child is replaced (``ChildTable/restartSuperseded(ticket:)``).
    private func supersede(_ ticket: UInt64, by holder: PID) {
        guard table.restartSuperseded(ticket: ticket) else { return }
        me.runtime.logger.info("child restart superseded by a sibling holding its name", metadata: [
            "supervisor.pid": "\(me.pid)", "process.pid": "\(holder)",
        ])
    }

    /// Sends the supervisor process what a child's exit, decided outside it, calls for:
    /// a restart or giving up. Nothing for a child that is forgotten.
    static func post(_ decision: ChildTable.ExitDecision, to supervisor: ProcessCore) {
        switch decision {
        case .restart(let ticket, _): supervisor.deliver(.info(Info.restart(ticket: ticket)))
        case .giveUp: supervisor.deliver(.info(Info.giveUp))
        case .notAChild, .ignore, .forgotten: break
        }
    }

    mutating func terminate(_ reason: ExitReason) async {
        let children = table.beginStopping()
        let clock = me.runtime.clock
        let now = clock.now()
        // Signal every child first, then wait for those still alive: they stop
        // concurrently, and all their timeouts run from the same instant.
        var stopping: [ChildShutdown.Stopping] = []
        for (pid, child) in children {
            let begun = ChildShutdown.begin(pid, supervisor: me, policy: child.spec.shutdown)
            if begun.watch != nil { stopping.append(begun) }
        }
        for child in stopping {
            await ChildShutdown.finish(child, deadline: ChildShutdown.deadline(for: child.policy, from: now), clock: clock)
        }
        me.runtime.events.publish(.supervisorShutdown(me.pid, reason: reason))
    }
}
