import EtcdClient
import ScalableLocks
import Supervision

extension EtcdRegistry {
    /// Renews the lease at a third of its TTL, each try bounded to half of that (tried on
    /// each member in turn), so that one stalled member does not use up the fence
    /// deadline; when etcd says the lease is gone, fences (if not already). Once fenced,
    /// takes a new lease.
    func keepLease() async {
        let interval = Duration.milliseconds(ttl * 1_000 / 3)
        let perMember = max(Duration.milliseconds(100), interval / 2 / client.endpoints.count)
        while !Task.isCancelled {
            let sent = ContinuousClock.now
            let phase = state.withLock { $0.phase }
            switch phase {
            case .stopped, .idle:
                return
            case .running(let lease):
                do {
                    _ = try await client.keepAlive(lease, timeout: perMember)
                    state.withLock { state in
                        if state.phase == .running(lease: lease), state.confirmed < sent { state.confirmed = sent }
                    }
                } catch where error.code == .leaseNotFound {
                    fence()
                } catch {
                    // etcd did not answer: the deadline guard fences if this lasts.
                }
            case .fenced(let old):
                await renewAfterFencing(old)
            }
            try? await Task.sleep(until: sent + interval)
        }
    }

    /// Whether the deadline guard of the start `generation` should fence now, and how
    /// long it may sleep before it looks again; `nil` once the registry has stopped or
    /// started again (a guard of its own keeps the new start).
    func deadlineCheck(generation: Int) -> (fenceNow: Bool, sleep: Duration)? {
        let (phase, confirmed, current) = state.withLock { ($0.phase, $0.confirmed, $0.generation) }
        guard current == generation else { return nil }
        switch phase {
        case .stopped: return nil
        case .idle, .fenced: return (false, .milliseconds(50))
        case .running:
            let left = confirmed + fenceAfter - ContinuousClock.now
            return (left <= .zero, max(.milliseconds(1), min(left, .milliseconds(50))))
        }
    }

    /// Stops every holder here and claims nothing until a new lease is held. A claim or a
    /// start under way sees the phase change and stops what it started.
    func fence() {
        let fenced = state.withLock { state -> Bool in
            guard case .running(let lease) = state.phase else { return false }
            state.phase = .fenced(lease: lease)
            return true
        }
        guard fenced else { return }
        killHolders()
        onEvent(.fenced)
    }

    /// After fencing: revoke the old lease if etcd still knows it (its names go at once),
    /// then take a new one — unless the registry was stopped meanwhile.
    private func renewAfterFencing(_ old: Int64) async {
        do {
            do {
                try await client.revoke(old)
            } catch where error.code == .leaseNotFound {
                // Expired already: its names are gone.
            }
            let asked = ContinuousClock.now
            let lease = try await client.grantLease(ttl: ttl)
            let (renewed, wakeups) = state.withLock { state -> (Bool, ClaimTable.Wakeups) in
                guard state.phase == .fenced(lease: old) else { return (false, []) }
                state.phase = .running(lease: lease.id)
                state.confirmed = asked
                return (true, state.table.removeAll())
            }
            wakeups.resumeAll()
            guard renewed else {
                try? await client.revoke(lease.id)
                return
            }
            onEvent(.leased(lease.id))
        } catch {
            // Still unreachable: try again at the next turn.
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// The thread that fences a registry at its deadline: a plain OS thread, so that no amount
/// of work on Swift's cooperative pool delays it. It ends when the registry stops.
enum DeadlineGuard {
    static func start(_ registry: EtcdRegistry, generation: Int) {
        OSThread.detach("the fence deadline thread") {
            while let (fenceNow, sleep) = registry.deadlineCheck(generation: generation) {
                if fenceNow { registry.fence() }
                let (seconds, attoseconds) = sleep.components
                var interval = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
                nanosleep(&interval, nil)
            }
        }
    }
}
