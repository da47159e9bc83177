import EtcdClient
import Supervision

extension EtcdRegistry {
    /// Renews the lease at a third of its TTL; when etcd says it is gone, fences (if not
    /// already) and takes a new one.
    func keepLease() async {
        let interval = Duration.milliseconds(ttl * 1_000 / 3)
        while !Task.isCancelled {
            let sent = ContinuousClock.now
            let phase = state.withLock { $0.phase }
            switch phase {
            case .stopped, .idle:
                return
            case .running(let lease):
                do {
                    _ = try await client.keepAlive(lease)
                    state.withLock { state in
                        if case .running(lease) = state.phase, state.confirmed < sent { state.confirmed = sent }
                    }
                } catch where error.code == .leaseNotFound {
                    fence()
                } catch {
                    // etcd did not answer: the deadline guard fences if this lasts.
                }
            case .fenced:
                await renewAfterFencing()
            }
            try? await Task.sleep(until: sent + interval)
        }
    }

    /// Fences this node when its last confirmed renewal is `fenceAfter` old.
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

    /// Stops every holder here and claims nothing until a new lease is held.
    func fence() {
        let fenced = state.withLock { state -> Bool in
            guard case .running = state.phase else { return false }
            state.phase = .fenced
            return true
        }
        guard fenced else { return }
        killHolders()
        onEvent(.fenced)
    }

    /// After fencing: revoke the old lease if etcd still knows it (its names go at once),
    /// then take a new one.
    private func renewAfterFencing() async {
        do {
            let lease = try await client.grantLease(ttl: ttl)
            let old = state.withLock { state -> [String: Int64] in
                state.phase = .running(lease: lease.id)
                state.confirmed = .now
                defer { state.tokens = [:] }
                return state.tokens
            }
            // The names of the old lease: released by their tokens (a later holder's key
            // is never touched); the old lease's expiry would free them anyway.
            for (name, token) in old { _ = try? await client.release(prefix + name, revision: token) }
            onEvent(.leased(lease.id))
        } catch {
            // Still unreachable: try again at the next turn.
        }
    }
}
