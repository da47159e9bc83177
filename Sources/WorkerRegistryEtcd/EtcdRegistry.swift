import EtcdClient
import Supervision
import Synchronization
import WorkerRegistry

/// Cluster-wide registration on etcd: at most one live holder of a name across every
/// node that shares a key prefix.
///
/// Each node holds one lease, renewed at a third of its TTL. A name is claimed by a
/// transaction that puts `prefix + name` only if it does not exist, under the node's
/// lease; the worker is started here only once the claim succeeded, and its key is
/// released (by its token) when it exits. A node that dies stops renewing: etcd deletes
/// its keys when the lease expires, and the names are free for the others. A watch keeps
/// every node's view of the other nodes' names current, so ``lookup(_:)`` of a known name
/// is a memory read.
///
/// **Self-fencing.** A node that has not renewed its lease for `fenceAfter` (shorter
/// than the TTL: etcd cannot expire the lease before `TTL` has passed since the last
/// renewal was *sent*) kills its own holders before etcd can hand their names to anyone
/// else, and claims nothing until it holds a new lease. Each claim carries a **fencing
/// token** — the key's create revision, strictly larger for every new holder of a name —
/// so that a downstream system can refuse a stale holder: a process paused past its
/// lease (GC, SIGSTOP, swap) cannot fence itself in time, and only the token protects
/// against it (as Jepsen's analysis of etcd 3.4 frames it).
public final class EtcdRegistry: Sendable {
    /// One change of this node's holdings, for histories and logs.
    public enum Event: Sendable, Hashable {
        /// The name was claimed here with `token`.
        case claimed(String, token: Int64)
        /// Its worker started as `pid`.
        case started(String, PID, token: Int64)
        /// Its worker is gone (exited, stopped or fenced); the claim is released or its
        /// lease is left to expire.
        case ended(String, PID, token: Int64)
        /// This node fenced itself: every holder was killed.
        case fenced
        /// This node holds a (new) lease and claims again.
        case leased(Int64)
        /// The watch saw another node's name change hands: held by `holder` now, or by
        /// nobody (`nil`). This node's ``lookup(_:)`` answers accordingly from then on.
        case viewChanged(String, holder: ClusterNode?)
    }

    /// The etcd client.
    public let client: EtcdClient
    /// The keys of this registry's names start with it.
    public let prefix: String
    /// This node.
    public let node: ClusterNode
    /// The lease's time to live, in seconds.
    public let ttl: Int64
    /// How long without a renewal before this node fences itself (less than the TTL).
    public let fenceAfter: Duration
    /// The local holders, by name; each entry's value is its claim's fencing token. A
    /// worker started here registers in it (pass ``via(_:)``'s name to its start).
    public let registry: Registry<String, Int64>

    let runtime: Runtime
    let onEvent: @Sendable (Event) -> Void
    let state = Mutex(State())

    /// One claim of this node.
    struct Claim {
        var token: Int64
        var lease: Int64
        var pid: PID?
    }

    struct State {
        enum Phase: Equatable { case idle, running(lease: Int64), fenced(lease: Int64), stopped }
        var phase = Phase.idle
        /// When the last renewal that etcd confirmed was sent.
        var confirmed = ContinuousClock.now
        /// Names held on other nodes, from the watch.
        var remote: [String: (node: ClusterNode, token: Int64)] = [:]
        /// Claims of this node by name, while they stand: the token, the lease it was
        /// claimed under, and the worker once started.
        var claims: [String: Claim] = [:]
        var tasks: [Task<Void, Never>] = []
        var listener: RegistryListenerID?
    }

    /// A registry of the names under `prefix`, for `node`.
    ///
    /// - Parameters:
    ///   - ttl: the lease's time to live in seconds (etcd's minimum is a few seconds).
    ///   - fenceAfter: at most `ttl` less a margin; defaults to two thirds of the TTL.
    ///   - runtime: where the local registry's host and the workers run.
    ///   - onEvent: called for each change of this node's holdings (quick; any thread).
    public init(
        client: EtcdClient, prefix: String, node: ClusterNode, ttl: Int64 = 5, fenceAfter: Duration? = nil,
        runtime: Runtime = .current, onEvent: @escaping @Sendable (Event) -> Void = { _ in }
    ) {
        precondition(ttl >= 2, "an etcd lease lives at least 2 seconds")
        self.client = client
        self.prefix = prefix
        self.node = node
        self.ttl = ttl
        let limit = Duration.seconds(ttl) - .milliseconds(500)
        self.fenceAfter = min(fenceAfter ?? .milliseconds(ttl * 2_000 / 3), limit)
        self.runtime = runtime
        self.onEvent = onEvent
        registry = Registry<String, Int64>(keys: .unique, name: "cluster \(prefix)")
    }

    /// The local registry's host, for a supervision tree (the registry must be running
    /// for workers to register).
    public func childSpec(id: String = "cluster registry") -> ChildSpec { registry.childSpec(id: id) }

    /// The name a worker holding `name` here registers under.
    public func via(_ name: String, token: Int64) -> any ProcessName { registry.via(name, value: token) }

    /// Takes a lease, reads the names already held and starts watching them; renews the
    /// lease from then on, fencing this node when it cannot.
    public func start() async throws(ClusterError) {
        let lease: EtcdLease
        // etcd counts the lease's life from no earlier than this: the fence deadline too.
        let asked = ContinuousClock.now
        do {
            lease = try await client.grantLease(ttl: ttl)
        } catch {
            throw ClusterError(.unavailable, "cannot take a lease: \(error)")
        }
        let (known, revision): ([EtcdKeyValue], Int64)
        do {
            (known, revision) = try await client.range(prefix: prefix)
        } catch {
            try? await client.revoke(lease.id)
            throw ClusterError(.unavailable, "cannot read \(prefix): \(error)")
        }
        let listener = registry.addListener(.handler { [weak self] event in self?.registryChanged(event) })
        state.withLock { state in
            state.phase = .running(lease: lease.id)
            state.confirmed = asked
            state.listener = listener
        }
        onEvent(.leased(lease.id))
        apply(known.map { EtcdWatchEvent(kind: .put, keyValue: $0) })
        let watching = Task { [self] in await watch(from: revision + 1) }
        let renewing = Task { [self] in await keepLease() }
        state.withLock { $0.tasks = [watching, renewing] }
        // The fence deadline is kept on a thread of its own: work that keeps the
        // cooperative pool busy can delay renewals, never the fencing.
        DeadlineGuard.start(self)
    }

    /// Stops this node's registration: kills its holders, revokes its lease (their names
    /// are free at once) and stops watching.
    public func stop() async {
        let (tasks, lease, listener) = state.withLock { state -> ([Task<Void, Never>], Int64?, RegistryListenerID?) in
            defer {
                state.phase = .stopped
                state.tasks = []
            }
            if case .running(let lease) = state.phase { return (state.tasks, lease, state.listener) }
            return (state.tasks, nil, state.listener)
        }
        for task in tasks { task.cancel() }
        killHolders()
        if let listener { registry.removeListener(listener) }
        if let lease { try? await client.revoke(lease) }
    }

    /// Stops as a crashed node would: renewals and the watch stop, holders are killed,
    /// nothing is released or revoked — etcd frees the names when the lease expires. For
    /// benchmarks and tests of node death inside one OS process.
    package func abandon() {
        let (tasks, listener) = state.withLock { state -> ([Task<Void, Never>], RegistryListenerID?) in
            defer {
                state.phase = .stopped
                state.tasks = []
                state.claims = [:]
            }
            return (state.tasks, state.listener)
        }
        for task in tasks { task.cancel() }
        if let listener { registry.removeListener(listener) }
        for entry in registry.select({ _, pid, _ in pid }) { Process.exit(entry, .kill) }
    }

    // MARK: - Lookups

    /// Where `name` lives, if it is held: here, or on the node the watch last saw holding
    /// it. A memory read: O(1), no request to etcd.
    public func lookup(_ name: String) -> ClusterPlacement? {
        if let entry = registry.lookup(name).first { return .local(entry.pid, token: entry.value) }
        return state.withLock { state in state.remote[name].map { .remote($0.node, token: $0.token) } }
    }

    /// The holder of `name` across the cluster, starting it here (with `spec`, given the
    /// name it must register under) when no node holds it.
    ///
    /// The claim comes first, then the start: a worker runs here only under a claim that
    /// etcd granted, under the lease this node still holds unfenced — a fence or a stop
    /// that lands during the claim or the start stops what it started. A start that fails
    /// releases the claim. The worker is never restarted by its supervisor (its restart
    /// policy is made `temporary`): a new worker comes from a new claim, under a new token.
    ///
    /// - Throws: ``ClusterError`` — `unavailable` (etcd did not answer: nothing claimed),
    ///   `fenced`, `notRunning`, `startFailed`.
    public func lookupOrStart(
        _ name: String, supervisor: DynamicSupervisor, spec: @escaping @Sendable (any ProcessName) -> ChildSpec
    ) async throws(ClusterError) -> ClusterPlacement {
        for _ in 0..<64 {
            if let found = lookup(name) { return found }
            if let pid = await waitForLocal(name), let token = token(of: name) { return .local(pid, token: token) }
            let lease = try currentLease()
            // A value of this attempt's own: a retry of this very claim is recognised as
            // ours, an older claim of this node under the same lease is not.
            let value = node.encoded(attempt: UInt64.random(in: 1...UInt64.max))
            let claim: EtcdClaim
            do {
                claim = try await client.claim(prefix + name, value: value, lease: lease)
            } catch {
                throw ClusterError(.unavailable, "cannot claim \(name) (if etcd applied the claim, it lapses with this node's lease): \(error)")
            }
            switch claim {
            case .held(let holder):
                if holder.lease != lease {
                    return .remote(ClusterNode(decoding: holder.value), token: holder.createRevision)
                }
                // An earlier claim of this node: its worker just ended and the release is
                // on its way, or another caller here is starting one. Look again shortly.
                try? await Task.sleep(for: .milliseconds(2))
            case .claimed(let token):
                // Only a claim under the lease this node still holds, unfenced, counts.
                let recorded = state.withLock { state -> Bool in
                    guard state.phase == .running(lease: lease), state.claims[name] == nil else { return false }
                    state.claims[name] = Claim(token: token, lease: lease, pid: nil)
                    return true
                }
                guard recorded else {
                    _ = try? await client.release(prefix + name, revision: token)
                    if case .running = state.withLock({ $0.phase }) { continue }
                    throw ClusterError(.fenced, "\(node) fenced itself while claiming \(name): nothing was started")
                }
                onEvent(.claimed(name, token: token))
                var child = spec(via(name, token: token))
                // Never restarted by the supervisor: a restart would run without a claim.
                child.restart = .temporary
                let pid: PID
                do throws(StartError) {
                    switch try await supervisor.startChild(child) {
                    case .started(let started): pid = started
                    case .ignored: throw StartError.ignored
                    }
                } catch {
                    await release(name, token: token)
                    throw ClusterError(.startFailed, "\(name) was claimed here but did not start: \(error)")
                }
                // Started: still under the same lease, unfenced? Else it must not run.
                let standing = state.withLock { state -> Bool in
                    guard state.phase == .running(lease: lease), state.claims[name]?.token == token else { return false }
                    state.claims[name]?.pid = pid
                    return true
                }
                guard standing else {
                    Process.exit(pid, .kill)
                    await release(name, token: token)
                    throw ClusterError(.fenced, "\(node) fenced itself while starting \(name): the worker was stopped")
                }
                onEvent(.started(name, pid, token: token))
                return .local(pid, token: token)
            }
        }
        throw ClusterError(.unavailable, "\(name): the claim kept changing hands")
    }

    /// This node's fencing token for `name`, while it holds it.
    public func token(of name: String) -> Int64? { state.withLock { $0.claims[name]?.token } }

    // MARK: - Internals

    func currentLease() throws(ClusterError) -> Int64 {
        let phase = state.withLock { $0.phase }
        switch phase {
        case .running(let lease): return lease
        case .fenced: throw ClusterError(.fenced, "\(node) has fenced itself (its lease could not be renewed) and claims nothing until it holds a new one")
        case .idle, .stopped: throw ClusterError(.notRunning, "the cluster registry of \(node) is not running")
        }
    }

    /// While another caller here has claimed `name` and is starting its worker, waits for
    /// that start (a registration, or the claim's end).
    private func waitForLocal(_ name: String) async -> PID? {
        while state.withLock({ $0.claims[name].map { $0.pid == nil } ?? false }) {
            if let pid = registry.whereis(name) { return await Process.awaitStarted(pid) ? pid : nil }
            await Task.yield()
            try? await Task.sleep(for: .milliseconds(1))
        }
        return registry.whereis(name)
    }

    private func registryChanged(_ event: RegistryEvent<String, Int64>) {
        guard case .unregistered(let name, let pid, _) = event else { return }
        // Only the end of the worker of this claim releases it (not an older one's).
        let token = state.withLock { state -> Int64? in
            guard let claim = state.claims[name], claim.pid == pid else { return nil }
            return claim.token
        }
        guard let token else { return }
        onEvent(.ended(name, pid, token: token))
        Task { await release(name, token: token) }
    }

    /// Forgets this node's claim of `name` with `token` and deletes its key — only if it
    /// is still that claim (the delete compares the token: a later holder's key is never
    /// touched). If etcd is unreachable, the lease's expiry frees it.
    func release(_ name: String, token: Int64) async {
        let ours = state.withLock { state -> Bool in
            guard state.claims[name]?.token == token else { return false }
            state.claims[name] = nil
            return true
        }
        guard ours else { return }
        _ = try? await client.release(prefix + name, revision: token)
    }

    /// Kills every local holder (stop and fencing): every process registered here, and
    /// every worker of a claim.
    func killHolders() {
        let pids = state.withLock { $0.claims.values.compactMap(\.pid) }
        for pid in pids { Process.exit(pid, .kill) }
        for pid in registry.select({ _, pid, _ in pid }) { Process.exit(pid, .kill) }
    }
}
