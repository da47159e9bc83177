import Logging

/// The process that runs a ``GenServer``.
///
/// No task exists while the server is idle. A message arriving at an idle mailbox starts
/// one *activation* — a task that handles messages until the mailbox is empty, then
/// ends — so a million idle servers cost memory for their state and bookkeeping only.
final class ServerProcess<Server: GenServer>: ProcessCore, @unchecked Sendable {
    /// The server's state. Only the running activation touches it; activations never
    /// overlap, and each starts after the previous one released the process lock.
    @exclusivity(unchecked)
    private var server: Server?
    /// Consumed by the first activation.
    private var pendingArguments: Server.Arguments?

    init(runtime: Runtime, parent: PID?, arguments: Server.Arguments) {
        self.pendingArguments = arguments
        super.init(runtime: runtime, parent: parent, usesActivations: true)
        state.withLock { $0.acknowledged = false }
    }

    override var behaviourName: String { String(describing: Server.self) }

    override func startActivation(generation: UInt64) {
        let task = runtime.spawnTask { [self] in
            await ProcessContext.$current.withValue(self) {
                await self.activate()
            }
        }
        adopt(task, generation: generation)
    }

    /// Arms the start: the first activation runs `initialize` and answers `slot`.
    /// Returns `false` if the process died before it could begin.
    func beginStartup(_ slot: StartSlot) -> Bool {
        let generation = state.withLock { state -> UInt64? in
            guard state.status == .alive else { return nil }
            state.startup = slot
            state.active = true
            state.generation &+= 1
            return state.generation
        }
        guard let generation else { return false }
        startActivation(generation: generation)
        return true
    }

    private func activate() async {
        if let arguments = pendingArguments {
            pendingArguments = nil
            guard await initialize(arguments) else {
                releaseBehaviourState()
                return
            }
        }
        // Still owning the state of a dead process: nobody needs it any more.
        if await drain() == .processEnded { releaseBehaviourState() }
    }

    override func releaseBehaviourState() {
        server = nil
        pendingArguments = nil
    }

    // MARK: - Init

    private func initialize(_ arguments: Server.Arguments) async -> Bool {
        let result: InitResult<Server>
        do {
            result = try await Server.initialize(arguments)
        } catch {
            guard acceptsMessages else { return false }
            report(crash: error, during: "initialize")
            settleStartup(.failed(.error(error)))
            terminate(.error(error))
            return false
        }
        switch result {
        case .ok(let server):
            self.server = server
            let acknowledged = state.withLock { state -> (StartSlot, [OneShot<Bool>])? in
                guard state.status == .alive, let slot = state.startup, slot.claim() else { return nil }
                state.startup = nil
                state.acknowledged = true
                defer { state.startWaiters = [] }
                return (slot, state.startWaiters)
            }
            // Nothing to acknowledge: killed meanwhile, or the starter timed out and is
            // killing us.
            guard let (slot, waiters) = acknowledged else { return false }
            slot.resume(.started)
            for waiter in waiters { waiter.resolve(true) }
            runtime.events.publish(.started(pid, parent: parent, behaviour: behaviourName))
            return true
        case .ignore:
            settleStartup(.ignored)
            terminate(.normal)
            return false
        case .stop(let reason):
            settleStartup(.failed(reason.asExitReason))
            terminate(reason)
            return false
        }
    }

    private func settleStartup(_ outcome: StartSlot.Outcome) {
        let slot = state.withLock { state -> StartSlot? in
            defer { state.startup = nil }
            return state.startup
        }
        if let slot, slot.claim() { slot.resume(outcome) }
    }

    // MARK: - Messages

    private enum Outcome {
        case proceed
        case stop(ExitReason)
        case crash(any Error)
    }

    private enum DrainEnd { case wentIdle, processEnded }
    private enum Next { case envelope(Envelope), idle, ended }

    /// Handles messages until the mailbox is empty (the activation then gives up the
    /// state and ends) or the process ends (the activation still owns the state).
    private func drain() async -> DrainEnd {
        var finishedCall = false
        while true {
            let next = state.withLock { state -> Next in
                if finishedCall { state.inflight = nil }
                guard state.status == .alive else { return .ended }
                guard let envelope = state.mailbox.popFirst() else {
                    state.active = false
                    state.task = nil
                    return .idle
                }
                state.handled &+= 1
                if case .call(let slot) = envelope { state.inflight = slot }
                return .envelope(envelope)
            }
            let envelope: Envelope
            switch next {
            case .envelope(let next): envelope = next
            case .idle: return .wentIdle
            case .ended: return .processEnded
            }
            switch await handle(envelope) {
            case .proceed:
                if case .call = envelope { finishedCall = true } else { finishedCall = false }
            case .stop(let reason):
                await stop(reason)
                return .processEnded
            case .crash(let error):
                await crash(error)
                return .processEnded
            }
        }
    }

    private func handle(_ envelope: Envelope) async -> Outcome {
        do {
            switch envelope {
            case .call(let untyped):
                let slot = unsafeDowncast(untyped, to: RequestSlot<Server.Request, Server.Reply>.self)
                switch try await server!.handleCall(slot.request, from: Caller(slot: slot, server: self)) {
                case .reply(let reply):
                    slot.settle(.success(reply))
                case .noreply:
                    state.withLock { state in
                        if !slot.isSettled { state.deferred[ObjectIdentifier(slot)] = slot }
                    }
                case .stop(let reason, let reply):
                    slot.settle(.success(reply))
                    return .stop(reason)
                }
                return .proceed
            case .cast(let payload):
                guard let message = payload as? Server.Message else {
                    return unexpected(payload, kind: "cast")
                }
                return outcome(try await server!.handleCast(message))
            case .info(let payload):
                guard let message = payload as? Server.Info else {
                    return unexpected(payload, kind: "message")
                }
                return outcome(try await server!.handleInfo(message))
            case .exit(let from, let reason):
                // OTP: an exit signal from the parent stops a trapping server.
                if let from, from == parent { return .stop(reason) }
                return outcome(try await server!.handleExit(from: from, reason: reason))
            case .down(let ref, let reason):
                return outcome(try await server!.handleDown(ref, reason: reason))
            case .stop(let reason):
                return .stop(reason)
            }
        } catch {
            return .crash(error)
        }
    }

    private func outcome(_ result: HandleResult) -> Outcome {
        switch result {
        case .noreply: return .proceed
        case .stop(let reason): return .stop(reason)
        }
    }

    private func unexpected(_ payload: any Sendable, kind: String) -> Outcome {
        runtime.logger.warning(
            "\(behaviourName) \(pid) received an unexpected \(kind): \(String(describing: payload))")
        return .proceed
    }

    /// An orderly stop: `terminate`, then exit. Skipped if the process was killed.
    private func stop(_ reason: ExitReason) async {
        guard acceptsMessages else { return }
        await server!.terminate(reason.asExitReason)
        terminate(reason)
    }

    private func crash(_ error: any Error) async {
        guard acceptsMessages else { return }
        report(crash: error, during: "a handler")
        await server!.terminate(.error(error))
        terminate(.error(error))
    }

    private func report(crash error: any Error, during phase: String) {
        runtime.logger.error(
            "\(behaviourName) \(pid) crashed in \(phase): \(String(describing: error))",
            metadata: ["pid": "\(pid)", "parent": "\(parent.map(String.init(describing:)) ?? "none")"])
    }
}
