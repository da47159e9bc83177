/// Stops a child the way OTP's supervisor does: unlink it (so no `EXIT` for it reaches
/// the supervisor), signal it according to its ``ShutdownPolicy``, wait for it to exit,
/// and kill it if it outlives its timeout.
///
/// A child that does not trap exits dies inside the signal (as does one that is
/// killed): then there is nothing to wait for, and no monitor is set.
enum ChildShutdown {
    /// A child being stopped: either already dead, or watched until it exits.
    struct Stopping {
        let child: PID
        let watch: ExitWatch?
        let policy: ShutdownPolicy
    }

    /// Unlinks and signals `child`; watches it only if it survived the signal (it
    /// traps exits and is running its `terminate`).
    static func begin(_ child: PID, supervisor: ProcessCore, policy: ShutdownPolicy) -> Stopping {
        guard let core = child.core else { return Stopping(child: child, watch: nil, policy: policy) }
        ProcessCore.unlink(supervisor, core)
        switch policy {
        case .brutalKill:
            core.terminate(.killed)
        case .timeout, .infinity:
            core.receiveExitSignal(from: supervisor.pid, reason: .shutdown)
        }
        guard core.isAlive else { return Stopping(child: child, watch: nil, policy: policy) }
        // Still alive: it handles the signal as a message. A watch set after it died
        // fires at once, so nothing is missed.
        return Stopping(child: child, watch: Process.watch(child), policy: policy)
    }

    /// Waits for a child signalled by ``begin(_:supervisor:policy:)`` to exit, killing it
    /// once `deadline` passes (timeout policies only) or the waiting task is cancelled.
    nonisolated(nonsending)
    static func finish(_ stopping: Stopping, deadline: Timestamp, clock: any SupervisionClock) async {
        guard let watch = stopping.watch else { return }
        switch stopping.policy {
        case .brutalKill, .infinity:
            if await watch.reason(timeout: .infinity) != nil { return }
            // Only a cancelled wait ends unresolved: whoever stops it gave up waiting,
            // so the child is killed rather than waited for.
            watch.pid.core?.terminate(.killed)
            _ = await watch.reasonIgnoringCancellation
        case .timeout:
            let remaining = deadline - clock.now()
            if remaining > .zero, await watch.reason(timeout: .after(remaining)) != nil { return }
            if watch.exitReason != nil { return }
            watch.pid.core?.terminate(.killed)
            _ = await watch.reasonIgnoringCancellation
        }
    }

    /// The deadline of a shutdown begun at `now`.
    static func deadline(for policy: ShutdownPolicy, from now: Timestamp) -> Timestamp {
        if case .timeout(let duration) = policy { return now + duration }
        return .distantFuture
    }

    /// Stops one child and waits until it is dead.
    nonisolated(nonsending)
    static func run(_ child: PID, supervisor: ProcessCore, policy: ShutdownPolicy) async {
        let clock = supervisor.runtime.clock
        let stopping = begin(child, supervisor: supervisor, policy: policy)
        guard stopping.watch != nil else { return }
        // Measured from the signal: a trapping child gets its full timeout to terminate.
        await finish(stopping, deadline: deadline(for: policy, from: clock.now()), clock: clock)
    }
}
