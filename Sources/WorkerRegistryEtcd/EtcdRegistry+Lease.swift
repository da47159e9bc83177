import EtcdClient
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

    /// Fences this node when its last confirmed renewal was sent `fenceAfter` ago.
    func guardDeadline() async {
        while !Task.isCancelled {
            let (running, confirmed) = state.withLock { state -> (Bool, ContinuousClock.Instant) in
                if case .running = state.phase { return (true, state.confirmed) }
                return (false, state.confirmed)
            }
            if running && ContinuousClock.now - confirmed >= fenceAfter { fence() }
            let wait = running ? max(.milliseconds(10), confirmed + fenceAfter - ContinuousClock.now) : .milliseconds(100)
            try? await Task.sleep(for: min(wait, .milliseconds(100)))
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
            let renewed = state.withLock { state -> Bool in
                guard state.phase == .fenced(lease: old) else { return false }
                state.phase = .running(lease: lease.id)
                state.confirmed = asked
                state.claims = [:]
                return true
            }
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
