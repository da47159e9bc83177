/// Stops a child the way OTP's supervisor does: unlink it (so no `EXIT` for it reaches
/// the supervisor), watch it, signal it according to its ``ShutdownPolicy``, wait, and
/// kill it if it outlives its timeout.
enum ChildShutdown {
    /// Watches, unlinks and signals `child` (OTP's order: monitor, then unlink, so the
    /// exit reason is never lost). Returns the watch to await with
    /// ``finish(_:policy:deadline:clock:)``.
    static func begin(_ child: PID, supervisor: ProcessCore, policy: ShutdownPolicy) -> ExitWatch {
        let watch = Process.watch(child)
        guard let core = child.core else { return watch }
        ProcessCore.unlink(supervisor, core)
        switch policy {
        case .brutalKill:
            core.terminate(.killed)
        case .timeout, .infinity:
            core.receiveExitSignal(from: supervisor.pid, reason: .shutdown)
        }
        return watch
    }

    /// Waits for the child signalled by ``begin(_:supervisor:policy:)`` to exit, killing
    /// it once `deadline` passes (timeout policies only). Returns its exit reason.
    nonisolated(nonsending)
    static func finish(
        _ watch: ExitWatch, policy: ShutdownPolicy, deadline: Timestamp, clock: any SupervisionClock
    ) async -> ExitReason {
        let reason: ExitReason
        switch policy {
        case .brutalKill, .infinity:
            reason = await watch.reason
        case .timeout:
            let remaining = deadline - clock.now()
            if remaining > .zero, let exited = await watch.reason(timeout: .after(remaining)) {
                reason = exited
            } else if let exited = watch.exitReason {
                reason = exited
            } else {
                watch.pid.core?.terminate(.killed)
                reason = await watch.reason
            }
        }
        return reason
    }

    /// The deadline of a shutdown begun at `now`.
    static func deadline(for policy: ShutdownPolicy, from now: Timestamp) -> Timestamp {
        if case .timeout(let duration) = policy { return now + duration }
        return .distantFuture
    }

    /// Stops one child and waits for it.
    @discardableResult
    nonisolated(nonsending)
    static func run(_ child: PID, supervisor: ProcessCore, policy: ShutdownPolicy) async -> ExitReason {
        let clock = supervisor.runtime.clock
        let deadline = deadline(for: policy, from: clock.now())
        let watch = begin(child, supervisor: supervisor, policy: policy)
        return await finish(watch, policy: policy, deadline: deadline, clock: clock)
    }
}
