import EtcdClient
import Supervision
import WorkerRegistry
import ScalableLocks

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
        /// The claim was given up without a worker running under it: the start failed,
        /// or the node fenced itself or stopped while it started (its worker, if any, is
        /// dead by now).
        case released(String, token: Int64)
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
    /// worker started here registers in it (pass `via(_:)`'s name to its start).
    public let registry: Registry<String, Int64>

    let runtime: Runtime
    let onEvent: @Sendable (Event) -> Void
    let state = Lock(State())

    struct State {
        enum Phase: Equatable {
            case idle, running(lease: Int64), fenced(lease: Int64), stopped

            /// The lease of this node's session, running or fenced.
            var lease: Int64? {
                switch self {
                case .running(let lease), .fenced(let lease): lease
                case .idle, .stopped: nil
                }
            }
        }
        var phase = Phase.idle
        /// When the last renewal that etcd confirmed was sent.
        var confirmed = ContinuousClock.now
        /// Names held on other nodes, from the watch.
        var remote: [String: (node: ClusterNode, token: Int64)] = [:]
        /// Claims of this node by name, and the callers waiting for one to settle.
        var table = ClaimTable()
        var tasks: [Task<Void, Never>] = []
        /// Counts the starts: the deadline guard of an earlier start ends when it changes.
        var generation = 0
        var listener: RegistryListenerID?
        /// Stopped as a crashed node: nothing is released or revoked any more.
        var abandoned = false
    }

    /// A registry of the names under `prefix`, for `node`.
    ///
    /// - Parameters:
    ///   - client: the etcd client the registry's requests and watch go through.
    ///   - prefix: the key prefix the cluster's names live under (`sessions/`).
    ///   - node: this node: its name in the cluster, stored with every name it holds.
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
    /// lease from then on, fencing this node when it cannot. A registry that is running
    /// (or fenced) is stopped first: its holders are killed and its lease revoked.
    public func start() async throws(ClusterError) {
        switch state.withLock({ $0.phase }) {
        case .running, .fenced: await stop()
        case .idle, .stopped: break
        }
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
        let generation = state.withLock { state -> Int in
            // The view is rebuilt from the range just read (names freed while this node
            // was stopped send no event).
            state.remote = [:]
            state.phase = .running(lease: lease.id)
            state.confirmed = asked
            state.listener = listener
            state.abandoned = false
            state.generation += 1
            return state.generation
        }
        onEvent(.leased(lease.id))
        apply(known.map { EtcdWatchEvent(kind: .put, keyValue: $0) })
        // Detached: started from a process (the membership), they must not act as it —
        // a kill from a task that carries a dead process's context does nothing.
        let watching = Task.detached { [self] in await watch(from: revision + 1) }
        let renewing = Task.detached { [self] in await keepLease() }
        state.withLock { $0.tasks = [watching, renewing] }
        // The fence deadline is kept on a thread of its own: work that keeps the
        // cooperative pool busy can delay renewals, never the fencing.
        DeadlineGuard.start(self, generation: generation)
    }

    /// Stops this node's registration: kills its holders, revokes its lease (their names
    /// are free at once) and stops watching.
    public func stop() async {
        if let lease = endSession(abandoned: false) { try? await client.revoke(lease) }
    }

    /// Stops as a crashed node would: renewals and the watch stop, holders are killed,
    /// nothing is released or revoked — etcd frees the names when the lease expires. For
    /// benchmarks and tests of node death inside one OS process.
    package func abandon() {
        _ = endSession(abandoned: true)
    }

    /// Ends this node's session: renewals and the watch stop, and the holders die (their
    /// ends are recorded; a start under way finds the node stopped and undoes itself).
    /// Returns the lease to revoke, if the session held one unfenced.
    private func endSession(abandoned: Bool) -> Int64? {
        let (tasks, lease, listener) = state.withLock { state -> ([Task<Void, Never>], Int64?, RegistryListenerID?) in
            defer {
                state.phase = .stopped
                state.tasks = []
                if abandoned { state.abandoned = true }
            }
            guard case .running(let lease) = state.phase else { return (state.tasks, nil, state.listener) }
            return (state.tasks, lease, state.listener)
        }
        for task in tasks { task.cancel() }
        killHolders()
        if let listener { registry.removeListener(listener) }
        return lease
    }

    // MARK: - Lookups

    /// Where `name` lives, if it is held: here, or on the node the watch last saw holding
    /// it. A memory read: O(1), no request to etcd.
    public func lookup(_ name: String) -> ClusterPlacement? {
        state.withLock { state in
            if let (pid, token) = state.table.running(name) { return .local(pid, token: token) }
            return state.remote[name].map { .remote($0.node, token: $0.token) }
        }
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
    /// A name held on another node is answered from this node's view of the others (a
    /// memory read), which trails etcd by the watch's delay: a request routed there can
    /// find the holder gone. Pass `checkingEtcd: true` to skip the view and ask etcd
    /// (the claim itself answers who holds it): for the retry after such a miss.
    ///
    /// - Throws: ``ClusterError`` — `unavailable` (etcd did not answer: nothing claimed),
    ///   `fenced`, `notRunning`, `startFailed`.
    public func lookupOrStart(
        _ name: String, supervisor: DynamicSupervisor, checkingEtcd: Bool = false,
        spec: @escaping @Sendable (any ProcessName) -> ChildSpec
    ) async throws(ClusterError) -> ClusterPlacement {
        try await claimOrFind(name, supervisor: supervisor, checkingEtcd: checkingEtcd, spec: spec).placement
    }

    /// ``lookupOrStart(_:supervisor:checkingEtcd:spec:)``, saying whether it started the
    /// worker or found the name held.
    func claimOrFind(
        _ name: String, supervisor: DynamicSupervisor, checkingEtcd: Bool,
        spec: @escaping @Sendable (any ProcessName) -> ChildSpec
    ) async throws(ClusterError) -> PoolStart<ClusterPlacement> {
        for _ in 0..<64 {
            // Held here, or by another node as far as the watch knows; a claim here that is
            // starting or releasing is waited for (its change wakes this caller).
            switch await settledLocal(name, trustingView: !checkingEtcd) {
            case .holder(let pid, let token): return .found(.local(pid, token: token))
            case .remote(let node, let token): return .found(.remote(node, token: token))
            case .free: break
            }
            let lease = try currentLease()
            // A value of this attempt's own: a retry of this very claim is recognised as
            // ours, an older claim of this node under the same lease is not.
            let value = node.encoded(attempt: UInt64.random(in: 1...UInt64.max))
            state.withLock { $0.table.beginRequest(name) }
            let claim: EtcdClaim
            do {
                claim = try await client.claim(prefix + name, value: value, lease: lease)
            } catch {
                state.withLock { $0.table.endRequest(name) }.resumeAll()
                throw ClusterError(.unavailable, "cannot claim \(name) (if etcd applied the claim, it lapses with this node's lease): \(error)")
            }
            switch claim {
            case .held(let holder) where holder.lease != lease:
                // The view is left to the watch: a reply can be older than an event the
                // watch has applied already (the holder's delete), and no later event
                // would correct it.
                state.withLock { $0.table.endRequest(name) }.resumeAll()
                return .found(.remote(ClusterNode(decoding: holder.value), token: holder.createRevision))
            case .held(let holder):
                // Under this node's own lease: another caller here is claiming or starting
                // it, or its worker ended and the release is on its way — wait for that to
                // settle. A key no claim here knows is stale: delete it and claim again.
                let (stale, wakeups) = state.withLock { state in
                    (state.table.isStale(name, token: holder.createRevision), state.table.endRequest(name))
                }
                wakeups.resumeAll()
                if stale { _ = try? await client.release(prefix + name, revision: holder.createRevision) }
            case .claimed(let token):
                // Only a claim under the lease this node still holds, unfenced, counts.
                let (recorded, wakeups) = state.withLock { state -> (Bool, ClaimTable.Wakeups) in
                    guard state.phase == .running(lease: lease) else { return (false, state.table.endRequest(name)) }
                    return state.table.claimed(name, token: token, lease: lease)
                }
                wakeups.resumeAll()
                guard recorded else {
                    _ = try? await client.release(prefix + name, revision: token)
                    if case .running = state.withLock({ $0.phase }) { continue }
                    throw ClusterError(.fenced, "\(node) fenced itself while claiming \(name): nothing was started")
                }
                onEvent(.claimed(name, token: token))
                return .started(try await startClaimed(name, token: token, lease: lease, supervisor: supervisor, spec: spec))
            }
        }
        throw ClusterError(.unavailable, "\(name): the claim kept changing hands")
    }

    /// This node's fencing token for `name`, while it holds it.
    public func token(of name: String) -> Int64? { state.withLock { $0.table.token(of: name) } }

    // MARK: - Internals

    func currentLease() throws(ClusterError) -> Int64 {
        let phase = state.withLock { $0.phase }
        switch phase {
        case .running(let lease): return lease
        case .fenced: throw ClusterError(.fenced, "\(node) has fenced itself (its lease could not be renewed) and claims nothing until it holds a new one")
        case .idle, .stopped: throw ClusterError(.notRunning, "the cluster registry of \(node) is not running")
        }
    }

    /// What a caller of `lookupOrStart` finds once nothing here is in motion for `name`.
    private enum Settled {
        case holder(PID, token: Int64)
        case remote(ClusterNode, token: Int64)
        case free
    }

    /// The holder of `name` here or, failing that, in the view of the other nodes; while
    /// a claim here is starting or releasing (or another request is in flight), waits for
    /// it to change.
    private func settledLocal(_ name: String, trustingView: Bool) async -> Settled {
        while true {
            let found = state.withLock { state -> Settled? in
                switch state.table.local(name) {
                case .holder(let pid, let token): return .holder(pid, token: token)
                case .busy: return nil
                case .free:
                    guard trustingView, let remote = state.remote[name] else { return .free }
                    return .remote(remote.node, token: remote.token)
                }
            }
            if let found { return found }
            await withCheckedContinuation { continuation in
                if !state.withLock({ $0.table.wait(name, continuation) }) { continuation.resume() }
            }
        }
    }

    /// Starts the worker of the claim `token`, which must still stand under the same
    /// unfenced lease once it has started — else the worker is stopped.
    private func startClaimed(
        _ name: String, token: Int64, lease: Int64, supervisor: DynamicSupervisor,
        spec: @Sendable (any ProcessName) -> ChildSpec
    ) async throws(ClusterError) -> ClusterPlacement {
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
            await giveUp(name, token: token)
            throw ClusterError(.startFailed, "\(name) was claimed here but did not start: \(error)", startError: error)
        }
        Self.startedSeam?(pid)
        // Started: still under the same lease, unfenced? Else it must not run.
        let (standing, wakeups) = state.withLock { state -> (Bool, ClaimTable.Wakeups) in
            guard state.phase == .running(lease: lease) else { return (false, []) }
            return state.table.started(name, token: token, pid: pid)
        }
        wakeups.resumeAll()
        guard standing else {
            Process.exit(pid, .kill)
            await giveUp(name, token: token)
            throw ClusterError(.fenced, "\(node) fenced itself or stopped while starting \(name): the worker was stopped")
        }
        // A worker whose exit began while its claim was starting (before it was recorded)
        // released nothing: its registry entry went while the claim could not end. Exiting
        // counts — `isAlive` is still true then, and no later event would release it.
        onEvent(.started(name, pid, token: token))
        if !pid.acceptsMessages { workerEnded(name, pid) }
        return .local(pid, token: token)
    }

    /// Test seam: runs between a claimed worker's start and its claim being recorded.
    @TaskLocal package static var startedSeam: (@Sendable (PID) -> Void)?

    private func registryChanged(_ event: RegistryEvent<String, Int64>) {
        guard case .unregistered(let name, let pid, let cause) = event else { return }
        if case .processExited = cause {
            workerEnded(name, pid)
            return
        }
        // The worker lost its entry but runs on (the registry closed, or its key was
        // unregistered): it must not outlive its claim, so it is killed before the claim
        // is released. Detached: the registry may be closing on a process that is exiting.
        Task.detached { [self] in
            Process.exit(pid, .kill)
            workerEnded(name, pid)
        }
    }

    /// `pid`, registered as `name`, is gone: releases its claim. Only the end of the
    /// worker of the claim standing releases it (not an older one's).
    private func workerEnded(_ name: String, _ pid: PID) {
        let (token, wakeups) = state.withLock { $0.table.ended(name, pid: pid) }
        wakeups.resumeAll()
        guard let token else { return }
        onEvent(.ended(name, pid, token: token))
        Task.detached { [self] in await finishRelease(name, token: token) }
    }

    /// A start under way when the node stopped or fenced, or one that failed: the claim is
    /// given up with no worker (recorded as ``Event/released(_:token:)``).
    private func giveUp(_ name: String, token: Int64) async {
        let (ours, wakeups) = state.withLock { $0.table.beginRelease(name, token: token) }
        wakeups.resumeAll()
        // Recorded even when a new lease dropped the claim meanwhile: its end is this.
        onEvent(.released(name, token: token))
        guard ours else { return }
        await finishRelease(name, token: token)
    }

    /// Deletes the key of the releasing claim `token` — only if it is still that claim's
    /// (the delete compares the token: a later holder's key is never touched) — then
    /// forgets the claim. If etcd is unreachable, or the node was abandoned, the lease's
    /// expiry frees it.
    private func finishRelease(_ name: String, token: Int64) async {
        if !state.withLock({ $0.abandoned }) { _ = try? await client.release(prefix + name, revision: token) }
        state.withLock { $0.table.released(name, token: token) }.resumeAll()
    }

    /// Kills every local holder (stop and fencing): every process registered here, and
    /// every worker of a claim.
    func killHolders() {
        let pids = state.withLock { $0.table.pids }
        for pid in pids { Process.exit(pid, .kill) }
        for pid in registry.select({ _, pid, _ in pid }) { Process.exit(pid, .kill) }
    }
}
