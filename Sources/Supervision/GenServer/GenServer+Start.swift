extension GenServer {
    /// Starts the server in a new process, without a link, and waits for
    /// ``initialize(_:)``: OTP's `GenServer.start`.
    ///
    /// - Parameters:
    ///   - arguments: passed to ``initialize(_:)``.
    ///   - name: registered for the new process before `initialize` runs; if another
    ///     live process holds it, nothing starts and ``StartError/alreadyStarted(_:)``
    ///     names the holder.
    ///   - timeout: how long `initialize` may take; past it the process is killed and
    ///     ``StartError/timeout(_:)`` thrown.
    ///   - runtime: the runtime to start in; defaults to ``Runtime/current``.
    /// - Throws: ``StartError``: `ignored`, `alreadyStarted`, `initFailed` (with the exit
    ///   reason), `timeout`.
    @inlinable
    nonisolated(nonsending) public static func start(
        _ arguments: Arguments, name: (any ProcessName)? = nil,
        timeout: Timeout = .infinity, runtime: Runtime? = nil
    ) async throws(StartError) -> ServerRef<Self> {
        try await spawnServer(arguments, name: name, link: false, timeout: timeout, runtime: runtime)
    }

    /// Starts the server linked to the calling process: OTP's `GenServer.start_link`.
    ///
    /// Called from plain code (no calling process) it starts without a link. A start
    /// that fails is reported by the error only: the caller never also receives an exit
    /// signal for it.
    ///
    /// - Throws: as ``start(_:name:timeout:runtime:)``, and
    ///   ``StartError/parentExited(_:)`` if the calling process is exiting.
    @inlinable
    nonisolated(nonsending) public static func startLink(
        _ arguments: Arguments, name: (any ProcessName)? = nil,
        timeout: Timeout = .infinity, runtime: Runtime? = nil
    ) async throws(StartError) -> ServerRef<Self> {
        try await spawnServer(arguments, name: name, link: true, timeout: timeout, runtime: runtime)
    }

    @inlinable
    nonisolated(nonsending)
    static func spawnServer(
        _ arguments: Arguments, name: (any ProcessName)?, link: Bool,
        timeout: Timeout, runtime: Runtime?
    ) async throws(StartError) -> ServerRef<Self> {
        let caller = ProcessContext.current
        let runtime = runtime ?? caller?.runtime ?? Runtime.current
        let core = ServerProcess<Self>(runtime: runtime, parent: caller?.pid)

        if let name {
            switch name.register(core.pid) {
            case .registered:
                break
            case .taken(let holder):
                core.discard()
                throw .alreadyStarted(holder)
            case .notAlive:
                core.discard()
                throw .initFailed(.noproc)
            }
        }
        if link, let caller {
            switch ProcessCore.link(caller, core) {
            case .linked:
                break
            case .callerNotAlive, .targetNotAlive:
                core.terminate(.shutdown)
                throw .parentExited(caller.pid)
            }
        }

        let slot = StartSlot(caller: caller?.pid, timeout: timeout)
        // `initialize` runs on this thread, up to its first suspension, before this returns.
        if !core.beginStartup(slot, initialize: { process in await process.firstActivation(arguments) }) {
            slot.settle(.success(.failed(core.exitReason ?? .killed)))
        }
        let outcome: StartSlot.Outcome
        if let ready = slot.take() {
            outcome = ready
        } else {
            if case .after(let delay) = timeout {
                runtime.clock.schedule(slot, after: delay)
            }
            // A starter that gives up (its task cancelled, or its process killed) ends
            // the start: the new process is killed below.
            outcome = await withTaskCancellationHandler {
                await slot.wait()
            } onCancel: {
                slot.fail(.cancelled)
            }
        }
        switch outcome {
        case .success(.started):
            return ServerRef(core: core)
        case .success(.ignored):
            throw .ignored
        case .success(.failed(let reason)):
            throw .initFailed(reason)
        case .failure(let error):
            core.terminate(.killed)
            throw error.code == .cancelled ? .cancelled : .timeout(timeout)
        }
    }
}

extension GenServer where Arguments == Void {
    /// Starts the server without arguments; see ``start(_:name:timeout:runtime:)``.
    nonisolated(nonsending) public static func start(
        name: (any ProcessName)? = nil, timeout: Timeout = .infinity, runtime: Runtime? = nil
    ) async throws(StartError) -> ServerRef<Self> {
        try await start((), name: name, timeout: timeout, runtime: runtime)
    }

    /// Starts the server linked to the calling process; see
    /// ``startLink(_:name:timeout:runtime:)``.
    nonisolated(nonsending) public static func startLink(
        name: (any ProcessName)? = nil, timeout: Timeout = .infinity, runtime: Runtime? = nil
    ) async throws(StartError) -> ServerRef<Self> {
        try await startLink((), name: name, timeout: timeout, runtime: runtime)
    }
}
