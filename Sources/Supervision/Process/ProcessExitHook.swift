/// Code that must run as part of a process's exit, before anyone can observe the process
/// as dead.
///
/// This is how names are released: a registry attaches a hook to each process it holds
/// entries for, and the hook removes them. Hooks run synchronously inside the exit —
/// after the process stops accepting messages and before `Process.exit(pid, .kill)`
/// returns, before any `DOWN` or `EXIT` is delivered and before `PID.isAlive` turns
/// `false` — so a registry that removes its entries in the hook never hands out a dead
/// process.
///
/// A hook runs on whatever thread ends the process; it must be quick, must not block and
/// must not wait for other processes.
public protocol ProcessExitHook: AnyObject, Sendable {
    /// The process `pid` is exiting with `reason`. Called once per attachment.
    func processExiting(_ pid: PID, reason: ExitReason)

    /// The names `pid` holds through this hook, for diagnostics (``ProcessSnapshot``).
    func names(of pid: PID) -> [String]
}

extension ProcessExitHook {
    /// No names by default.
    public func names(of pid: PID) -> [String] { [] }
}
