import Supervision

/// The claims of one node, name by name, and the callers waiting for one to settle: the
/// state machine behind ``EtcdRegistry/lookupOrStart(_:supervisor:checkingEtcd:spec:)``.
///
/// A claim goes `starting` (etcd granted it; the worker is being started) → `running`
/// (the worker runs here) → `releasing` (the worker is gone; the key is being deleted) →
/// gone. A start that fails goes from `starting` to `releasing`. Fencing and stopping
/// drop every claim at once.
///
/// Besides the claims, the table counts the claim requests in flight per name: a key
/// under this node's own lease that no claim here knows, while no other request for the
/// name is in flight, is **stale** (a claim whose reply was lost, or whose delete failed)
/// and may be deleted by its create revision.
///
/// A caller that finds a name busy (a claim starting or releasing, another request in
/// flight) parks a continuation, added under the same lock that saw the name busy; every
/// change of the name resumes its waiters, which then look again (a wake-up may find
/// the name busy still: the caller parks again). Not thread-safe: kept
/// in the registry's mutex; continuations are resumed outside it.
struct ClaimTable {
    /// One claim of this node.
    enum Claim: Equatable {
        /// etcd granted the claim under `lease`; the worker is being started.
        case starting(token: Int64, lease: Int64)
        /// The worker runs here as `pid`.
        case running(token: Int64, lease: Int64, pid: PID)
        /// The worker is gone (or never started); the key is being deleted.
        case releasing(token: Int64)

        /// The claim's fencing token.
        var token: Int64 {
            switch self {
            case .starting(let token, _), .running(let token, _, _), .releasing(let token): return token
            }
        }
    }

    /// What this node holds of a name, for a caller of `lookupOrStart`.
    enum Local: Equatable {
        /// Nothing here: claim it (or find it elsewhere).
        case free
        /// Held here, by a worker that finished starting.
        case holder(PID, token: Int64)
        /// A claim here is starting or releasing, or another request is in flight: wait.
        case busy
    }

    /// A resumption owed to parked callers, to run outside the lock.
    typealias Wakeups = [CheckedContinuation<Void, Never>]

    private(set) var claims: [String: Claim] = [:]
    private var inFlight: [String: Int] = [:]
    private var waiters: [String: Wakeups] = [:]

    /// What this node holds of `name`.
    func local(_ name: String) -> Local {
        switch claims[name] {
        case .running(let token, _, let pid): return .holder(pid, token: token)
        case .starting, .releasing: return .busy
        case nil: return inFlight[name, default: 0] > 0 ? .busy : .free
        }
    }

    /// The running worker of `name` and its token.
    func running(_ name: String) -> (pid: PID, token: Int64)? {
        guard case .running(let token, _, let pid) = claims[name] else { return nil }
        return (pid, token)
    }

    /// The token of this node's standing claim of `name` (starting or running).
    func token(of name: String) -> Int64? {
        switch claims[name] {
        case .starting(let token, _), .running(let token, _, _): return token
        case .releasing, nil: return nil
        }
    }

    /// Every worker of a claim.
    var pids: [PID] {
        claims.values.compactMap { if case .running(_, _, let pid) = $0 { return pid } else { return nil } }
    }

    /// Parks `continuation` until `name` changes, if `name` is still busy; `false` (and
    /// nothing parked) if it is not.
    mutating func wait(_ name: String, _ continuation: CheckedContinuation<Void, Never>) -> Bool {
        guard local(name) == .busy else { return false }
        waiters[name, default: []].append(continuation)
        return true
    }

    /// Whether the key etcd holds for `name` under this node's lease, with `token`, is
    /// stale: no claim here has that token, and no request for `name` but the asking one
    /// (still counted in flight) is out. Such a key is left by a claim whose reply was
    /// lost or whose delete failed; nothing here runs under it.
    func isStale(_ name: String, token: Int64) -> Bool {
        claims[name]?.token != token && inFlight[name, default: 0] <= 1
    }

    /// A claim request for `name` is about to be sent.
    mutating func beginRequest(_ name: String) {
        inFlight[name, default: 0] += 1
    }

    /// A claim request for `name` has its answer (or failed).
    mutating func endRequest(_ name: String) -> Wakeups {
        switch inFlight[name, default: 0] {
        case ...1: inFlight[name] = nil
        case let count: inFlight[name] = count - 1
        }
        return wake(name)
    }

    /// etcd granted `token` for `name` under `lease`: records it as starting and ends
    /// the request. `false` if a standing claim of `name` is already recorded (a
    /// releasing one is replaced: its key is gone, or etcd could not have granted this).
    mutating func claimed(_ name: String, token: Int64, lease: Int64) -> (recorded: Bool, wakeups: Wakeups) {
        let recorded: Bool
        switch claims[name] {
        case nil, .releasing:
            claims[name] = .starting(token: token, lease: lease)
            recorded = true
        case .starting, .running:
            recorded = false
        }
        return (recorded, endRequest(name))
    }

    /// The worker of the starting claim `token` runs as `pid`; `false` if that claim is
    /// no longer starting (fenced, stopped).
    mutating func started(_ name: String, token: Int64, pid: PID) -> (standing: Bool, wakeups: Wakeups) {
        guard case .starting(token, let lease) = claims[name] else { return (false, []) }
        claims[name] = .running(token: token, lease: lease, pid: pid)
        return (true, wake(name))
    }

    /// `pid`, the worker of a running claim of `name`, is gone: the claim is releasing.
    /// Returns its token, or `nil` if `pid` was not that worker.
    mutating func ended(_ name: String, pid: PID) -> (token: Int64?, wakeups: Wakeups) {
        guard case .running(let token, _, pid) = claims[name] else { return (nil, []) }
        claims[name] = .releasing(token: token)
        return (token, wake(name))
    }

    /// The claim `token` of `name` is to be released; `false` if it is not standing here
    /// (released already, or a later claim).
    mutating func beginRelease(_ name: String, token: Int64) -> (ours: Bool, wakeups: Wakeups) {
        guard let claim = claims[name], claim.token == token else { return (false, []) }
        claims[name] = .releasing(token: token)
        return (true, wake(name))
    }

    /// The release of `token` is done (its key deleted, or left to lapse with the lease).
    mutating func released(_ name: String, token: Int64) -> Wakeups {
        guard case .releasing(token) = claims[name] else { return [] }
        claims[name] = nil
        return wake(name)
    }

    /// Drops every claim (fencing with a new lease, stopping, abandoning).
    mutating func removeAll() -> Wakeups {
        claims = [:]
        let all = waiters.values.flatMap { $0 }
        waiters = [:]
        return all
    }

    private mutating func wake(_ name: String) -> Wakeups {
        waiters.removeValue(forKey: name) ?? []
    }
}

extension [CheckedContinuation<Void, Never>] {
    /// Resumes every parked caller (outside the lock that parked them).
    func resumeAll() {
        for continuation in self { continuation.resume() }
    }
}
