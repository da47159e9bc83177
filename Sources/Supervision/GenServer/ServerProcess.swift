import Logging
import ScalableLocks
import Synchronization

/// The process that runs a ``GenServer``.
///
/// No task exists while the server is idle. A message arriving at an idle mailbox starts
/// one *activation* — a task that handles messages until the mailbox is empty, then
/// ends — so a million idle servers cost memory for their state and bookkeeping only.
///
/// The handling code is `@inlinable` and entered through ``run``, a closure made where
/// the server is started: it is compiled for the concrete server type in the module that
/// starts it, so handling a message costs no generic-metadata lookups.
// @unchecked: a subclass of ProcessCore (which cannot be checked, being non-final);
// `server` is touched only by the one running activation, or by exit when no activation
// runs, handed over through the process lock.
@usableFromInline
final class ServerProcess<Server: GenServer>: ProcessCore, @unchecked Sendable {
    /// The server's state. Only the running activation touches it; activations never
    /// overlap, and each starts after the previous one released the process lock.
    @usableFromInline @exclusivity(unchecked)
    var server: Server?
    /// The idle timeout the last handler asked for (``Then/timeout(_:)``), while armed.
    /// Only the running activation touches it, like `server`.
    @usableFromInline @exclusivity(unchecked)
    var idleTimeout: MessageTimer?
    /// Runs one activation; specialized for `Server` where the process was created.
    @usableFromInline
    let run: nonisolated(nonsending) @Sendable (ServerProcess<Server>, Bool) async -> Void

    @inlinable
    init(runtime: Runtime, parent: PID?) {
        self.run = { process, inline in await process.activate(inline: inline) }
        super.init(runtime: runtime, parent: parent, usesActivations: true)
        // Marked active until ``beginStartup(_:initialize:)`` starts the first
        // activation: a message sent to the name it is registered under before then
        // waits in the mailbox (as in OTP, it is handled after `initialize`) instead of
        // starting an activation of a server that has no state yet.
        state.withLock { state in
            state.acknowledged = false
            state.active = true
        }
    }

    @usableFromInline
    override var behaviourName: String { TypeName.of(Server.self) }

    @usableFromInline
    override func startActivation(generation: UInt64, inline: Bool) {
        let task: Task<Void, Never>
        if inline {
            task = runtime.spawnInlineTask { [self] in
                await ProcessContext.$current.withValue(self) {
                    await self.run(self, true)
                }
            }
        } else {
            task = runtime.spawnTask { [self] in
                await ProcessContext.$current.withValue(self) {
                    await self.run(self, false)
                }
            }
        }
        adopt(task, generation: generation)
    }

    /// Arms the start: the first activation runs `initialize` — on the starter's thread
    /// when possible, since the starter waits for it — and answers `slot`. Returns
    /// `false` if the process died before it could begin.
    ///
    /// - Parameter initialize: the first activation, ``firstActivation(_:)`` with the
    ///   start's arguments, made where the server type is known: the arguments live in
    ///   this closure rather than in every process for its whole life.
    @usableFromInline
    func beginStartup(
        _ slot: StartSlot,
        initialize: @escaping @Sendable (ServerProcess<Server>) async -> Void
    ) -> Bool {
        let generation = state.withLock { state -> UInt64? in
            guard state.status == .alive else { return nil }
            state.startup = slot
            state.generation &+= 1
            return state.generation
        }
        guard let generation else { return false }
        let task = runtime.spawnInlineTask { [self] in
            await ProcessContext.$current.withValue(self) {
                await initialize(self)
            }
        }
        adopt(task, generation: generation)
        return true
    }

    /// The first activation: `initialize`, then the messages that arrived meanwhile.
    @inlinable
    nonisolated(nonsending)
    func firstActivation(_ arguments: Server.Arguments) async {
        let (started, then) = await initialize(arguments)
        guard started else {
            releaseBehaviourState()
            return
        }
        if let then {
            // The starter has its answer: give it the thread before the continuation runs.
            if case .continue = then { await Task.yield() }
            guard await follow(then) else {
                releaseBehaviourState()
                return
            }
        }
        await activate(inline: true)
    }

    @inlinable
    nonisolated(nonsending)
    func activate(inline: Bool) async {
        // Still owning the state of a dead process: nobody needs it any more.
        if await drain(inline: inline) == .processEnded { releaseBehaviourState() }
    }

    @usableFromInline
    override func releaseBehaviourState() {
        server = nil
    }

    // MARK: - Init

    @inlinable
    nonisolated(nonsending)
    func initialize(_ arguments: Server.Arguments) async -> (started: Bool, then: Then?) {
        let result: InitResult<Server>
        do {
            result = try await Server.initialize(arguments)
        } catch {
            guard acceptsMessages else { return (false, nil) }
            report(crash: error, during: "initialize")
            endStartup(.failed(.error(error)), exiting: .error(error))
            return (false, nil)
        }
        switch result.decision {
        case .ok(let server, let then):
            self.server = server
            return (acknowledgeStart(), then)
        case .ignore:
            endStartup(.ignored, exiting: .normal)
            return (false, nil)
        case .stop(let reason):
            endStartup(.failed(reason.asExitReason), exiting: reason)
            return (false, nil)
        }
    }

    /// Ends a start that did not succeed: exits first — its names released, dead — and
    /// only then tells the starter, so that a start made at once under the same name
    /// (a supervisor's restart) never finds it still held by this process.
    @usableFromInline
    func endStartup(_ outcome: StartOutcome, exiting reason: ExitReason) {
        let slot = state.withLock { state -> StartSlot? in
            defer { state.startup = nil }
            return state.startup
        }
        terminate(reason)
        slot?.settle(.success(outcome))
    }

    /// Tells the starter that `initialize` succeeded. Returns `false` if there is nothing
    /// to acknowledge: killed meanwhile, or the starter timed out and is killing us.
    @usableFromInline
    func acknowledgeStart() -> Bool {
        let acknowledged = state.withLock { state -> (StartSlot, [@Sendable (Bool) -> Void])? in
            guard state.status == .alive, let slot = state.startup, slot.claim() else { return nil }
            state.startup = nil
            state.acknowledged = true
            defer { state.rare?.startWaiters = [] }
            return (slot, state.rare?.startWaiters ?? [])
        }
        guard let (slot, waiters) = acknowledged else { return false }
        slot.complete(.success(.started))
        for waiter in waiters { waiter(true) }
        if runtime.events.hasSubscribers {
            runtime.events.publish(.started(pid, parent: parent, behaviour: behaviourName))
        }
        return true
    }

    // MARK: - Messages

    @usableFromInline
    enum Outcome {
        case proceed
        /// Go on, after a continuation or with an idle timeout armed (``follow(_:)``).
        case proceedThen(Then)
        case stop(ExitReason)
        case crash(any Error)
    }

    @usableFromInline
    enum DrainEnd { case wentIdle, processEnded }

    @usableFromInline
    enum Next { case envelope(Envelope), idle, ended }

    /// Takes the next message, or ends the activation when the mailbox is empty.
    @usableFromInline
    func next(finishedCall: Bool) -> Next {
        state.withLock { state -> Next in
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
    }


    /// Handles messages until the mailbox is empty (the activation then gives up the
    /// state and ends) or the process ends (the activation still owns the state).
    ///
    /// An inline activation (running on a caller's thread) handles one message, then, if
    /// more are waiting, suspends once so that the rest is scheduled like any other
    /// activation and the caller gets its thread back. A scheduled one yields whenever it
    /// has spent the runtime's ``Runtime/Fairness`` budget.
    @inlinable
    nonisolated(nonsending)
    func drain(inline: Bool) async -> DrainEnd {
        var finishedCall = false
        var inline = inline
        var handledOne = false
        var slice = Slice(runtime.fairness)
        while true {
            if handledOne && !inline && slice.spend(on: runtime.clock) {
                // A long enough run of messages: the rest of the runtime gets the thread
                // before this process takes its next one.
                await Task.yield()
            }
            let envelope: Envelope
            switch next(finishedCall: finishedCall) {
            case .envelope(let next): envelope = next
            case .idle: return .wentIdle
            case .ended: return .processEnded
            }
            if inline && handledOne {
                // More mail after the caller's message: give the caller its thread back
                // and go on as a scheduled activation.
                inline = false
                slice.reset()
                await Task.yield()
            }
            handledOne = true
            switch await handle(envelope) {
            case .proceed:
                if case .call = envelope { finishedCall = true } else { finishedCall = false }
            case .proceedThen(let then):
                if case .call = envelope { finishedCall = true } else { finishedCall = false }
                guard await follow(then) else { return .processEnded }
            case .stop(let reason):
                await stop(reason)
                return .processEnded
            case .crash(let error):
                await crash(error)
                return .processEnded
            }
        }
    }

    /// Carries out what a handler asked for once it returned: runs continuations until
    /// one asks for nothing more, then arms the idle timeout asked for, if any. Returns
    /// `false` if the server ended meanwhile (stopped, crashed or killed).
    @inlinable
    nonisolated(nonsending)
    func follow(_ then: Then) async -> Bool {
        var next = then
        while true {
            guard acceptsMessages else { return false }
            switch next {
            case .timeout(let duration):
                armIdleTimeout(after: duration)
                return true
            case .continue(let work):
                let outcome: Outcome
                if let work = work as? Server.Continue {
                    do { outcome = self.outcome(try await server!.handleContinue(work)) } catch { outcome = .crash(error) }
                } else {
                    outcome = .crash(UnexpectedContinue(given: "\(type(of: work))", expected: TypeName.of(Server.Continue.self)))
                }
                switch outcome {
                case .proceed: return true
                case .proceedThen(let then): next = then
                case .stop(let reason):
                    await stop(reason)
                    return false
                case .crash(let error):
                    await crash(error)
                    return false
                }
            }
        }
    }

    /// Arms an idle timeout of `duration` on the runtime's clock (at once, behind any
    /// waiting message, if it is not positive), replacing one still armed.
    @usableFromInline
    func armIdleTimeout(after duration: Duration) {
        idleTimeout?.cancel()
        let timeout = MessageTimer(target: pid, payload: .idleTimeout)
        idleTimeout = timeout
        if duration <= .zero {
            timeout.fire()
        } else {
            runtime.clock.schedule(timeout, after: duration)
        }
    }

    @inlinable
    nonisolated(nonsending)
    func handle(_ envelope: Envelope) async -> Outcome {
        // Any message but a tool's state request (or a timeout) cancels the idle timeout.
        if let armed = idleTimeout {
            switch envelope {
            case .describe, .timeout: break
            default:
                armed.cancel()
                idleTimeout = nil
            }
        }
        do {
            switch envelope {
            case .call(let untyped):
                // Safe: a `.call` envelope is made only by `ServerRef.call`, after its
                // `resolve()` checked (`as?`) that this process is a ServerProcess<Server>,
                // and `Envelope` is internal, so its slot is this server's RequestSlot.
                let slot = unsafeDowncast(untyped, to: RequestSlot<Server.Request, Server.Reply>.self)
                switch try await server!.handleCall(slot.request, from: Caller(slot: slot, server: self)).decision {
                case .reply(let reply, let then):
                    slot.settle(.success(reply))
                    if let then { return .proceedThen(then) }
                case .noreply(let then):
                    keepForLater(slot)
                    if let then { return .proceedThen(then) }
                case .stop(let reason, let reply):
                    slot.settle(.success(reply))
                    return .stop(reason)
                }
                return .proceed
            case .cast(let payload):
                guard let message = payload as? Server.Cast else {
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
            case .describe(let slot):
                slot.settle(.success(Self.describe(server!)))
                return .proceed
            case .timeout(let fired):
                // Dropped if stale: a message was handled, or another timeout armed, since.
                guard fired === idleTimeout else { return .proceed }
                idleTimeout = nil
                return outcome(try await server!.handleTimeout())
            }
        } catch {
            return .crash(error)
        }
    }

    /// The server's own description of its state, if its type adopts
    /// ``StateDescribing``. Off the message hot path: only tools ask.
    @usableFromInline
    static func describe(_ server: Server) -> String? {
        (server as? any StateDescribing)?.describeState()
    }

    /// Keeps a call answered later (`.noreply`) so that the server's exit fails it.
    @usableFromInline
    ///
    /// A settler racing this (a timeout, a cancellation) settles the slot, fences, then
    /// reads `deferredBy`; this stores `deferredBy`, fences, then reads whether the slot
    /// is settled — all under the lock. The two full fences make at least one side see
    /// the other: either the call is not kept, or its settler takes it out again (after
    /// this lock is released, since it saw `deferredBy`, stored under it).
    func keepForLater(_ slot: CallSlot) {
        state.withLock { state in
            _ = slot.deferredBy.storeIfNil(self)
            atomicMemoryFence(ordering: .sequentiallyConsistent)
            guard !slot.isSettled else { return }
            let rare = state.rareState()
            rare.deferredCount &+= 1
            rare.deferred[ObjectIdentifier(slot)] = (rare.deferredCount, slot)
        }
    }

    @inlinable
    func outcome(_ result: HandleResult) -> Outcome {
        switch result {
        case .noreply: return .proceed
        case .timeout(let duration): return .proceedThen(.timeout(duration))
        case .continue(let work): return .proceedThen(.continue(work))
        case .stop(let reason): return .stop(reason)
        }
    }

    @usableFromInline
    func unexpected(_ payload: any Sendable, kind: String) -> Outcome {
        runtime.logger.warning("server received an unexpected \(kind)", metadata: [
            "process.pid": "\(pid)", "process.behaviour": "\(behaviourName)",
            "message": "\(String(describing: payload))",
        ])
        return .proceed
    }

    /// An orderly stop: `terminate`, then exit. Skipped if the process was killed.
    @inlinable
    nonisolated(nonsending)
    func stop(_ reason: ExitReason) async {
        guard acceptsMessages else { return }
        await server!.terminate(reason.asExitReason)
        terminate(reason)
    }

    @inlinable
    nonisolated(nonsending)
    func crash(_ error: any Error) async {
        guard acceptsMessages else { return }
        report(crash: error, during: "a handler")
        await server!.terminate(.error(error))
        terminate(.error(error))
    }

    @usableFromInline
    func report(crash error: any Error, during phase: String) {
        runtime.logger.error("process crashed in \(phase)", metadata: [
            "process.pid": "\(pid)", "process.behaviour": "\(behaviourName)",
            "process.parent": "\(parent.map(String.init(describing:)) ?? "none")",
            "error.reason": "\(String(describing: error))",
        ])
    }
}
