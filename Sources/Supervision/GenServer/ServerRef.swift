/// A typed address of a ``GenServer``: a pid, or a name resolved on each use.
///
/// Calls and casts through a `ServerRef<Server>` are typed by `Server`'s `Request`,
/// `Reply` and `Cast`; the runtime checks once per call that the process at the
/// address runs `Server` (``CallError/wrongServerType(target:expected:)`` otherwise), so
/// user code never casts.
public struct ServerRef<Server: GenServer>: Sendable, CustomStringConvertible {
    @usableFromInline
    enum Address: Sendable {
        case pid(PID)
        case name(any ProcessName)
    }

    @usableFromInline
    let address: Address

    @usableFromInline
    init(core: ServerProcess<Server>) {
        address = .pid(core.pid)
    }

    /// A reference to the server at `pid`. Calls check that it runs `Server`.
    public init(pid: PID) {
        address = .pid(pid)
    }

    /// A reference to whatever server holds `name` at the time of each call.
    public init(name: some ProcessName) {
        address = .name(name)
    }

    /// The pid at the address now, if a process is there.
    public var pid: PID? {
        switch address {
        case .pid(let pid): return pid
        case .name(let name): return name.whereis()
        }
    }

    /// The server type and its pid or name, for logs.
    public var description: String {
        switch address {
        case .pid(let pid): return pid.description
        case .name(let name): return name.description
        }
    }

    @inlinable @inline(__always)
    func resolve() throws(CallError) -> ServerProcess<Server> {
        let found: ProcessCore?
        switch address {
        case .pid(let pid):
            found = ProcessTable.shared.core(pid.serial)
        case .name(let name):
            found = name.whereis().flatMap { ProcessTable.shared.core($0.serial) }
        }
        guard let core = found else { throw .noProcess(target: description) }
        guard let server = core as? ServerProcess<Server> else {
            throw .wrongServerType(target: description, expected: TypeName.of(Server.self))
        }
        return server
    }

    /// Sends `request` and waits for the reply: OTP's `GenServer.call`.
    ///
    /// Requests from one caller are handled in the order sent, after any cast the caller
    /// sent before. Throws ``CallError/noProcess(target:)`` if nothing is alive at the
    /// address, ``CallError/timeout(_:)`` if no reply came in time (the reply, if it
    /// comes later, is dropped), ``CallError/exited(_:)`` if the server exited first,
    /// ``CallError/callingSelf`` for a call to the calling process, and
    /// ``CallError/cancelled`` if the calling task is cancelled.
    ///
    /// - Complexity: O(1); one allocation.
    @inlinable @discardableResult
    nonisolated(nonsending) public func call(_ request: Server.Request, timeout: Timeout = .default) async throws(CallError) -> Server.Reply {
        let server = try resolve()
        let caller = ProcessContext.current
        if let caller {
            if caller === server { throw .callingSelf }
            if !caller.acceptsMessages { throw .cancelled }
        }
        let slot = RequestSlot<Server.Request, Server.Reply>(request: request, caller: caller?.pid, timeout: timeout)
        // A calling process that dies while waiting has the slot cancelled by its exit.
        caller?.setAwaiting(slot)
        // An idle server handles the call on this thread before `deliver` returns.
        if !server.deliver(.call(slot), inline: true) {
            slot.fail(.noProcess(target: description))
        }
        let result: Result<Server.Reply, CallError>
        if let ready = slot.take() {
            result = ready
        } else {
            if case .after(let delay) = timeout {
                server.schedule(slot, after: delay)
            }
            if caller != nil {
                result = await slot.wait()
            } else {
                result = await withTaskCancellationHandler {
                    await slot.wait()
                } onCancel: {
                    slot.fail(.cancelled)
                }
            }
        }
        return try result.get()
    }

    /// Sends `message` without waiting: OTP's `GenServer.cast`. Never blocks; a message
    /// to a dead or missing server is dropped, as in OTP.
    @inlinable
    public func cast(_ message: Server.Cast) {
        guard let server = try? resolve() else { return }
        if let caller = ProcessContext.current, !caller.acceptsMessages { return }
        server.deliver(.cast(message))
    }

    /// Sends a plain message, handled by ``GenServer/handleInfo(_:)``.
    @inlinable
    public func send(_ message: Server.Info) {
        guard let server = try? resolve() else { return }
        if let caller = ProcessContext.current, !caller.acceptsMessages { return }
        server.deliver(.info(message))
    }

    /// Stops the server in an orderly way — it handles the messages already in its
    /// mailbox, runs ``GenServer/terminate(_:)`` and exits with `reason` — and waits for
    /// its exit: OTP's `GenServer.stop`.
    ///
    /// Throws ``CallError/noProcess(target:)`` if it is not alive,
    /// ``CallError/timeout(_:)`` if it has not exited in time (it keeps stopping),
    /// ``CallError/cancelled`` if the calling task is cancelled first (it keeps
    /// stopping), and ``CallError/exited(_:)`` if it exited with another reason first.
    nonisolated(nonsending) public func stop(_ reason: ExitReason = .normal, timeout: Timeout = .infinity) async throws(CallError) {
        let server = try resolve()
        if ProcessContext.current === server { throw .callingSelf }
        let watch = Process.watch(server.pid)
        guard server.deliver(.stop(reason)) else {
            watch.cancel()
            throw .noProcess(target: description)
        }
        guard let exit = await watch.reason(timeout: timeout) else {
            watch.cancel()
            throw Task.isCancelled ? .cancelled : .timeout(timeout)
        }
        if exit != reason.asExitReason { throw .exited(exit) }
    }
}
