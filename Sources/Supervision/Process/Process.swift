import ScalableLocks

/// The process primitives, named as in Elixir's `Process` and `Kernel`: spawn, send,
/// exit signals, links, monitors, trapping exits, timers and inspection.
///
/// Functions that act *as* a process (``link(_:)``, ``monitor(_:)``,
/// ``flag(trapExit:)``) use the calling process, ``current``: the process whose code is
/// running. Code that is not a process can still send, signal, watch and inspect.
///
/// If you also import Foundation, whose `Process` runs OS programs, write
/// `Supervision.Process`.
public enum Process {
    /// The calling process — OTP's `self()` — or `nil` when plain code is running.
    public static var current: PID? { ProcessContext.current?.pid }

    /// Starts a process running `body`: OTP's `spawn` (or `spawn_link` with `link`).
    ///
    /// The process exits with ``ExitReason/normal`` when `body` returns and with
    /// ``ExitReason/error(_:)`` when it throws. Killing it cancels `body`'s task;
    /// `receive` then throws `CancellationError`.
    ///
    /// - Parameters:
    ///   - link: link the new process to the calling process (no effect from plain code).
    ///   - runtime: the runtime; defaults to the caller's.
    ///   - body: the process's code; it gets the process's pid.
    @discardableResult
    public static func spawn(
        link: Bool = false, runtime: Runtime? = nil,
        _ body: @escaping @Sendable (Inbox) async throws -> Void
    ) -> PID {
        let caller = ProcessContext.current
        let core = TaskProcess(runtime: runtime ?? caller?.runtime ?? Runtime.current, parent: caller?.pid)
        if link, let caller, case .callerNotAlive = ProcessCore.link(caller, core) {
            core.terminate(.noproc)
            return core.pid
        }
        core.start(body)
        return core.pid
    }

    /// Sends a plain message to `pid`: OTP's `send`. Never blocks. A message to a dead
    /// process is dropped; a process that is exiting can no longer send.
    ///
    /// A ``GenServer`` handles it in ``GenServer/handleInfo(_:)`` if it has the server's
    /// `Info` type; a spawned process receives it from its ``Inbox``.
    public static func send(_ pid: PID, _ message: some Sendable) {
        if let caller = ProcessContext.current, !caller.acceptsMessages { return }
        pid.core?.deliver(.info(message))
    }

    /// Sends a plain message to the process holding `name`; dropped if nobody does.
    public static func send(_ name: some ProcessName, _ message: some Sendable) {
        guard let pid = name.whereis() else { return }
        send(pid, message)
    }

    /// Sends an exit signal to `pid`: OTP's `Process.exit/2`.
    ///
    /// - ``ExitReason/kill``: cannot be trapped. When this returns the target is dead to
    ///   everyone: it accepts no messages, its waiting callers have
    ///   ``CallError/exited(_:)`` with ``ExitReason/killed``, its names are released,
    ///   its links and monitors have been signalled (and linked processes that die of
    ///   it are dead too), and its running code is cancelled. If the target was already
    ///   exiting on another thread, this waits until that exit has made it dead (its
    ///   names released); that exit then signals the links and monitors.
    /// - ``ExitReason/normal``: ignored unless the target traps exits (or is the caller).
    /// - any other reason: a target that traps exits receives it as a message;
    ///   otherwise it exits with that reason, with the same guarantees as `kill`.
    ///
    /// Signalling a dead process does nothing.
    public static func exit(_ pid: PID, _ reason: ExitReason) {
        guard let target = pid.core else { return }
        if let caller = ProcessContext.current, !caller.acceptsMessages, caller !== target { return }
        target.receiveExitSignal(from: current, reason: reason)
    }

    /// Links the calling process and `pid`: when either exits abnormally, the other
    /// receives an exit signal.
    ///
    /// - Throws: ``ProcessError/notInProcess(operation:)`` from plain code;
    ///   ``ProcessError/noProcess(_:)`` if `pid` is dead and the caller does not trap
    ///   exits (one that does receives `EXIT(pid, noproc)` instead, as in OTP).
    public static func link(_ pid: PID) throws(ProcessError) {
        guard let caller = ProcessContext.current else { throw .notInProcess(operation: "link") }
        let outcome: ProcessCore.LinkOutcome = pid.core.map { ProcessCore.link(caller, $0) } ?? .targetNotAlive
        switch outcome {
        case .linked:
            return
        case .callerNotAlive:
            throw .callerExited(caller.pid)
        case .targetNotAlive:
            let trapping = caller.state.withLock { $0.trapExit }
            guard trapping else { throw .noProcess(pid) }
            caller.deliver(.exit(from: pid, reason: .noproc))
        }
    }

    /// Removes the link between the calling process and `pid`, both ways. No exit signal
    /// from `pid` arrives after this returns. Does nothing from plain code.
    public static func unlink(_ pid: PID) {
        guard let caller = ProcessContext.current, let target = pid.core else { return }
        ProcessCore.unlink(caller, target)
    }

    /// Links two processes, for code that is not one of them (a supervisor setting up
    /// its children, a test). Returns `false` if either is dead.
    @discardableResult
    public static func link(_ a: PID, _ b: PID) -> Bool {
        guard let first = a.core, let second = b.core else { return false }
        if case .linked = ProcessCore.link(first, second) { return true }
        return false
    }

    /// Removes the link between two processes.
    public static func unlink(_ a: PID, _ b: PID) {
        guard let first = a.core, let second = b.core else { return }
        ProcessCore.unlink(first, second)
    }

    /// Monitors `pid` from the calling process, which will receive exactly one
    /// `DOWN(ref, reason)` — at once, with ``ExitReason/noproc``, if `pid` is dead.
    /// By the time the `DOWN` arrives, `pid`'s names have been released.
    ///
    /// - Throws: ``ProcessError/notInProcess(operation:)`` from plain code; use
    ///   ``watch(_:)`` there.
    @discardableResult
    public static func monitor(_ pid: PID) throws(ProcessError) -> MonitorRef {
        guard let caller = ProcessContext.current else { throw .notInProcess(operation: "monitor") }
        return ProcessCore.addMonitor(on: pid, .process(caller))
    }

    /// Removes a monitor. Returns `false` if its `DOWN` was already sent. With `flush`,
    /// also removes that `DOWN` from the calling process's mailbox if it is there, so no
    /// `DOWN` is seen after this returns.
    @discardableResult
    public static func demonitor(_ ref: MonitorRef, flush: Bool = false) -> Bool {
        let removed = ref.target.core?.removeMonitor(ref) ?? false
        if !removed, flush, let caller = ProcessContext.current {
            caller.state.withLock { state in
                if let index = state.mailbox.firstIndex(where: {
                    if case .down(let down, _) = $0 { return down == ref }
                    return false
                }) {
                    state.mailbox.remove(at: index)
                }
            }
        }
        return removed
    }

    /// Watches `pid` from anywhere: a monitor whose `DOWN` is awaited with
    /// ``ExitWatch/reason``. Fires at once with ``ExitReason/noproc`` if `pid` is dead.
    public static func watch(_ pid: PID) -> ExitWatch {
        let waiter = ExitWaiter()
        let clock = pid.core?.runtime.clock ?? Runtime.current.clock
        let ref = ProcessCore.addMonitor(on: pid, .waiter(waiter))
        return ExitWatch(ref: ref, waiter: waiter, clock: clock)
    }

    /// Sets whether the calling process traps exits, and returns the previous setting.
    ///
    /// A process that traps exits receives exit signals (other than ``ExitReason/kill``)
    /// as messages instead of exiting. Supervisors trap exits.
    ///
    /// - Throws: ``ProcessError/notInProcess(operation:)`` from plain code.
    @discardableResult
    public static func flag(trapExit: Bool) throws(ProcessError) -> Bool {
        guard let caller = ProcessContext.current else { throw .notInProcess(operation: "flag(trapExit:)") }
        return caller.setTrapExit(trapExit)
    }

    /// Waits until `pid` has finished starting — its `initialize` returned `.ok` — and
    /// returns `true`, or returns `false` if it exited first. Returns at once for a
    /// process that has started (or was spawned) or has exited.
    ///
    /// Use it after ``StartError/alreadyStarted(_:)``: the holder of a name may still be
    /// initializing, and may yet fail.
    nonisolated(nonsending) public static func awaitStarted(_ pid: PID) async -> Bool {
        await pid.core?.awaitAcknowledged() ?? false
    }

    /// Whether `pid` has not yet exited. O(1).
    public static func isAlive(_ pid: PID) -> Bool { pid.isAlive }

    /// Sends `message` to `pid` after `delay` on the runtime's clock: OTP's
    /// `Process.send_after`. Cancel it with ``TimerRef/cancel()``.
    @discardableResult
    public static func sendAfter(_ pid: PID, _ message: some Sendable, after delay: Duration) -> TimerRef {
        let timer = MessageTimer(target: pid, payload: .info(message))
        (pid.core?.runtime ?? Runtime.current).clock.schedule(timer, after: delay)
        return TimerRef(timer: timer)
    }

    /// Attaches `hook` to `pid`'s exit: see ``ProcessExitHook``. Returns `false`, and
    /// attaches nothing, if `pid` is exiting or dead. A hook already attached to `pid`
    /// stays attached once (it runs once).
    ///
    /// - Complexity: O(hooks attached to `pid`), usually one.
    @discardableResult
    public static func addExitHook(_ hook: any ProcessExitHook, to pid: PID) -> Bool {
        pid.core?.addExitHook(hook) ?? false
    }

    /// Detaches `hook` from `pid`. O(hooks of `pid`).
    public static func removeExitHook(_ hook: any ProcessExitHook, from pid: PID) {
        pid.core?.removeExitHook(hook)
    }
}

/// A pending ``Process/sendAfter(_:_:after:)``.
public struct TimerRef: Sendable {
    let timer: MessageTimer

    /// Cancels the message. Returns `false` if it was already sent or cancelled.
    @discardableResult
    public func cancel() -> Bool { timer.cancel() }
}
