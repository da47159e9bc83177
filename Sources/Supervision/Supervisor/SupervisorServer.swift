/// The process behind a static ``Supervisor``: a `GenServer` that traps exits and keeps
/// its children in start order.
struct SupervisorServer: GenServer {
    struct Arguments: Sendable {
        var children: [ChildSpec]
        var options: Supervisor.Options
    }

    enum Request: Sendable {
        case startChild(ChildSpec)
        case terminateChild(String)
        case restartChild(String)
        case deleteChild(String)
        case snapshot
    }

    enum Reply: Sendable {
        case started(ChildStart)
        case done
        case snapshot(SupervisorSnapshot)
        case failed(SupervisorError)
    }

    enum Info: Sendable {
        /// A restart attempt failed; try again (counts toward the intensity).
        case retryRestart(id: String)
    }

    struct Child {
        var spec: ChildSpec
        var pid: PID?
        var state: ChildInfo.State
        var restarts = 0
        /// The pid it had before its last exit, for the `restarted` event.
        var lastPID: PID?
    }

    private var children: [Child] = []
    private let strategy: Supervisor.Strategy
    private var intensity: RestartIntensity
    private let me: ProcessCore
    private let instruments: SupervisorInstruments?
    /// The running children the `supervision_active_children` meter was last moved to.
    private var reportedActive = 0

    private init(options: Supervisor.Options, me: ProcessCore) {
        self.strategy = options.strategy
        self.intensity = options.intensity
        self.me = me
        self.instruments = me.runtime.instruments?.supervisor(named: options.metricsName)
    }

    /// Moves the running-children meter to the running children now: called after
    /// every message, so that each change of the list is reported once. O(children).
    private mutating func reportActiveChildren() {
        guard let instruments else { return }
        let active = children.lazy.filter { $0.state == .running }.count
        instruments.childrenChanged(by: active - reportedActive)
        reportedActive = active
    }

    static func initialize(_ arguments: Arguments) async throws -> InitResult<SupervisorServer> {
        try Process.flag(trapExit: true)
        ProcessContext.current!.runtime.roster.add(ProcessContext.current!.pid)
        var seen = Set<String>()
        for spec in arguments.children where !seen.insert(spec.id).inserted {
            return .stop(.error(SupervisorError.duplicateChildID(spec.id)))
        }
        var server = SupervisorServer(options: arguments.options, me: ProcessContext.current!)
        for spec in arguments.children {
            switch await launch(spec) {
            case .success(let start):
                server.children.append(Child(spec: spec, pid: start.pid, state: start.pid == nil ? .terminated : .running))
            case .failure(let error):
                await server.stopChildren()
                return .stop(.error(SupervisorError.failedToStartChild(id: spec.id, reason: exitReason(ofStartFailure: error))))
            }
        }
        server.reportActiveChildren()
        return .ok(server)
    }

    /// Runs a spec's start as this supervisor.
    private static func launch(_ spec: ChildSpec) async -> Result<ChildStart, any Error> {
        do {
            return .success(.started(try await spec.start()))
        } catch let error as StartError where error.code == .ignored {
            return .success(.ignored)
        } catch {
            return .failure(error)
        }
    }

    // MARK: - Exits and restarts

    mutating func handleExit(from pid: PID?, reason: ExitReason) async throws -> HandleResult {
        defer { reportActiveChildren() }
        guard let pid, let index = children.firstIndex(where: { $0.pid == pid }) else { return .noreply }
        children[index].pid = nil
        children[index].lastPID = pid
        let policy = children[index].spec.restart
        guard policy.restarts(after: reason) else {
            if policy == .temporary {
                children.remove(at: index)
            } else {
                children[index].state = .terminated
            }
            return .noreply
        }
        children[index].state = .restarting
        return await restart(at: index)
    }

    mutating func handleInfo(_ message: Info) async throws -> HandleResult {
        defer { reportActiveChildren() }
        switch message {
        case .retryRestart(let id):
            guard let index = children.firstIndex(where: { $0.spec.id == id && $0.state == .restarting }) else {
                return .noreply
            }
            return await restart(at: index)
        }
    }

    /// Restarts the child at `index` (already marked restarting) and, by the strategy,
    /// its siblings. Records the restart against the intensity first.
    private mutating func restart(at index: Int) async -> HandleResult {
        let runtime = me.runtime
        guard intensity.recordRestart(at: runtime.clock.now()) else {
            // Counted before the event goes out: whoever waits on it sees the count.
            instruments?.escalations.increment()
            runtime.events.publish(.intensityExceeded(
                supervisor: me.pid, restarts: intensity.restarts(at: runtime.clock.now()),
                maxRestarts: intensity.maxRestarts, period: intensity.period))
            runtime.logger.error("supervisor reached its maximum restart intensity; shutting down", metadata: [
                "supervisor.pid": "\(me.pid)", "supervisor.max_restarts": "\(intensity.maxRestarts)",
                "supervisor.period": "\(intensity.period)",
            ])
            return .stop(.shutdown)
        }
        let failedID = children[index].spec.id
        // The siblings that go down with it, stopped in reverse start order.
        let affected: Range<Int>
        switch strategy {
        case .oneForOne: affected = index..<(index + 1)
        case .oneForAll: affected = children.indices
        case .restForOne: affected = index..<children.endIndex
        }
        for sibling in affected.reversed() where children[sibling].state == .running {
            let pid = children[sibling].pid!
            await ChildShutdown.run(pid, supervisor: me, policy: children[sibling].spec.shutdown)
            children[sibling].pid = nil
            children[sibling].lastPID = pid
            children[sibling].state = .restarting
        }
        // Temporary children stopped by the group are not restarted (OTP drops them).
        children.removeAll { $0.state == .restarting && $0.spec.restart == .temporary && $0.spec.id != failedID }
        for position in children.indices where children[position].state == .restarting {
            let spec = children[position].spec
            switch await Self.launch(spec) {
            case .success(.started(let pid)):
                children[position].pid = pid
                children[position].state = .running
                children[position].restarts += 1
                instruments?.restarts.increment()
                if let old = children[position].lastPID {
                    runtime.logger.info("child restarted", metadata: [
                        "supervisor.pid": "\(me.pid)", "supervisor.child_id": "\(spec.id)", "process.pid": "\(pid)",
                        "process.previous_pid": "\(old)", "supervisor.restarts": "\(children[position].restarts)",
                    ])
                    runtime.events.publish(.restarted(
                        supervisor: me.pid, childID: spec.id, old: old, new: pid,
                        restarts: children[position].restarts))
                }
            case .success(.ignored):
                children[position].state = .terminated
            case .failure(let error):
                let reason = exitReason(ofStartFailure: error)
                runtime.events.publish(.restartFailed(supervisor: me.pid, childID: spec.id, reason: reason))
                runtime.logger.error("supervisor failed to restart a child", metadata: [
                    "supervisor.pid": "\(me.pid)", "supervisor.child_id": "\(spec.id)", "error.reason": "\(reason)",
                ])
                me.deliver(.info(Info.retryRestart(id: spec.id)))
                return .noreply
            }
        }
        return .noreply
    }

    mutating func terminate(_ reason: ExitReason) async {
        await stopChildren()
        reportActiveChildren()
        me.runtime.events.publish(.supervisorShutdown(me.pid, reason: reason))
    }

    /// Stops every running child, in reverse start order, one at a time.
    private mutating func stopChildren() async {
        for index in children.indices.reversed() {
            guard let pid = children[index].pid else { continue }
            await ChildShutdown.run(pid, supervisor: me, policy: children[index].spec.shutdown)
            children[index].pid = nil
            children[index].state = .terminated
        }
    }

    // MARK: - Management calls

    mutating func handleCall(_ request: Request, from caller: Caller<Reply>) async throws -> CallResult<Reply> {
        defer { reportActiveChildren() }
        switch request {
        case .startChild(let spec):
            if let existing = children.first(where: { $0.spec.id == spec.id }) {
                if let pid = existing.pid { return .reply(.failed(.alreadyStarted(id: spec.id, pid))) }
                return .reply(.failed(.alreadyPresent(spec.id)))
            }
            switch await Self.launch(spec) {
            case .success(let start):
                children.append(Child(spec: spec, pid: start.pid, state: start.pid == nil ? .terminated : .running))
                return .reply(.started(start))
            case .failure(let error):
                return .reply(.failed(.startFailed(id: spec.id, (error as? StartError) ?? .initFailed(.error(error)))))
            }

        case .terminateChild(let id):
            guard let index = children.firstIndex(where: { $0.spec.id == id }) else {
                return .reply(.failed(.notFound(id)))
            }
            if let pid = children[index].pid {
                await ChildShutdown.run(pid, supervisor: me, policy: children[index].spec.shutdown)
            }
            if children[index].spec.restart == .temporary {
                children.remove(at: index)
            } else {
                children[index].pid = nil
                children[index].state = .terminated
            }
            return .reply(.done)

        case .restartChild(let id):
            guard let index = children.firstIndex(where: { $0.spec.id == id }) else {
                return .reply(.failed(.notFound(id)))
            }
            switch children[index].state {
            case .running: return .reply(.failed(.running(id)))
            case .restarting: return .reply(.failed(.restarting(id)))
            case .terminated: break
            }
            switch await Self.launch(children[index].spec) {
            case .success(let start):
                children[index].pid = start.pid
                children[index].state = start.pid == nil ? .terminated : .running
                return .reply(.started(start))
            case .failure(let error):
                return .reply(.failed(.startFailed(id: id, (error as? StartError) ?? .initFailed(.error(error)))))
            }

        case .deleteChild(let id):
            guard let index = children.firstIndex(where: { $0.spec.id == id }) else {
                return .reply(.failed(.notFound(id)))
            }
            switch children[index].state {
            case .running: return .reply(.failed(.running(id)))
            case .restarting: return .reply(.failed(.restarting(id)))
            case .terminated:
                children.remove(at: index)
                return .reply(.done)
            }

        case .snapshot:
            return .reply(.snapshot(snapshot()))
        }
    }

    private func snapshot() -> SupervisorSnapshot {
        let infos = children.map {
            ChildInfo(id: $0.spec.id, pid: $0.pid, state: $0.state, type: $0.spec.type,
                      restart: $0.spec.restart, restarts: $0.restarts)
        }
        let counts = ChildCounts(
            specs: children.count,
            active: children.lazy.filter { $0.state == .running }.count,
            supervisors: children.lazy.filter { $0.spec.type == .supervisor }.count,
            workers: children.lazy.filter { $0.spec.type == .worker }.count)
        let now = me.runtime.clock.now()
        return SupervisorSnapshot(
            pid: me.pid, strategy: strategy, children: infos, counts: counts,
            intensity: IntensityUse(restarts: intensity.restarts(at: now), maxRestarts: intensity.maxRestarts, period: intensity.period))
    }
}
