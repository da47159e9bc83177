import EtcdClient
import Supervision
import WorkerRegistry

/// The cluster `RegistrationAdapter`: names held at most once across every node sharing
/// a key prefix in etcd, through an ``EtcdRegistry``.
///
/// ``childSpec()`` gives a supervisor that runs the node's local registry and its
/// membership (the lease, its renewals and the watch, taken when the membership starts
/// and given up when it stops); its metadata is the ``EtcdRegistry``. A start of a name
/// another node holds starts nothing and answers ``ClusterPlacement/remote(_:token:)``.
///
/// Differences from `LocalRegistration`, all from the names living in etcd:
/// - A holder here is started only under a claim etcd granted, and is never restarted by
///   its supervisor (``EtcdRegistry/lookupOrStart(_:supervisor:checkingEtcd:spec:)``).
/// - ``whereis(meta:name:)`` and ``via(meta:name:)`` reach holders *here*; a name held
///   elsewhere is reached with the app's own RPC, at the address ``lookup(meta:name:)``
///   gives.
/// - When a holder exits, its name is free here at once, and on other nodes once the
///   release reaches them through their watch.
public struct EtcdRegistration: RegistrationAdapter {
    /// The registry the adapter's membership runs.
    public typealias Meta = EtcdRegistry

    /// The etcd client.
    public let client: EtcdClient
    /// The prefix of the names' keys.
    public let prefix: String
    /// This node.
    public let node: ClusterNode
    /// The lease's time to live, in seconds.
    public let ttl: Int64
    /// Called for each change of this node's holdings.
    public let onEvent: @Sendable (EtcdRegistry.Event) -> Void

    /// An adapter for `node`, holding names under `prefix` in the etcd `client` talks to.
    public init(
        client: EtcdClient, prefix: String, node: ClusterNode, ttl: Int64 = 5,
        onEvent: @escaping @Sendable (EtcdRegistry.Event) -> Void = { _ in }
    ) {
        self.client = client
        self.prefix = prefix
        self.node = node
        self.ttl = ttl
        self.onEvent = onEvent
    }

    /// A supervisor running the local registry, then the membership (rest-for-one: a
    /// new registry means a new membership), and the ``EtcdRegistry`` as metadata.
    public func childSpec() -> (spec: ChildSpec, meta: EtcdRegistry) {
        let registry = EtcdRegistry(client: client, prefix: prefix, node: node, ttl: ttl, onEvent: onEvent)
        let spec = Supervisor.childSpec(
            id: "cluster \(prefix)",
            children: [
                registry.childSpec(),
                .worker(ClusterMembership.self, arguments: registry, id: "cluster membership",
                        shutdown: .timeout(.seconds(5))),
            ],
            options: .init(strategy: .restForOne))
        return (spec, registry)
    }

    /// The holder of `name` across the cluster, started here under a claim if no node
    /// holds it: ``EtcdRegistry/lookupOrStart(_:supervisor:checkingEtcd:spec:)``.
    nonisolated(nonsending) public func startChild(
        meta: EtcdRegistry, name: String, supervisor: DynamicSupervisor,
        spec: @escaping @Sendable (any ProcessName) -> ChildSpec
    ) async throws(ClusterError) -> ClusterPlacement {
        try await meta.lookupOrStart(name, supervisor: supervisor, spec: spec)
    }

    /// A name that reaches the holder of `name` here. A process cannot be started under
    /// it (only a claim starts a holder): its start fails as with a dead name.
    public func via(meta: EtcdRegistry, name: String) -> any ProcessName {
        LocalHolderName(registry: meta, name: name)
    }

    /// The holder of `name` here: a memory read.
    public func whereis(meta: EtcdRegistry, name: String) -> PID? {
        meta.lookup(name)?.localPID
    }

    /// Where `name` lives, as this node knows it: here, or on the node its watch last saw
    /// holding it. A memory read (``EtcdRegistry/lookup(_:)``); it never throws.
    nonisolated(nonsending) public func lookup(meta: EtcdRegistry, name: String) async throws(ClusterError) -> ClusterPlacement? {
        meta.lookup(name)
    }
}

extension EtcdRegistration: PoolRegistration {
    /// Each holder here registers its claim's fencing token.
    public typealias HolderValue = Int64
    /// A cluster pool hands nothing: the token comes from etcd.
    public typealias Registered = Void

    /// The registry of the holders on this node (``EtcdRegistry/registry``).
    public func holders(meta: EtcdRegistry) -> Registry<String, Int64> { meta.registry }

    /// Where `name` lives as this node knows it: ``EtcdRegistry/lookup(_:)``, a memory read.
    public func placement(meta: EtcdRegistry, name: String) -> ClusterPlacement? { meta.lookup(name) }

    /// ``EtcdRegistry/lookupOrStart(_:supervisor:checkingEtcd:spec:)`` (`checkingStore` is
    /// its `checkingEtcd`), saying whether it started the worker here or found the name
    /// held (here or on another node).
    nonisolated(nonsending) public func startWorker(
        meta: EtcdRegistry, name: String, registering: Void, supervisor: DynamicSupervisor, checkingStore: Bool,
        spec: @escaping @Sendable (any ProcessName) -> ChildSpec
    ) async throws(ClusterError) -> PoolStart<ClusterPlacement> {
        try await meta.claimOrFind(name, supervisor: supervisor, checkingEtcd: checkingStore, spec: spec)
    }

    /// ``ClusterError/Code/alreadyStarted``, with where the holder lives.
    public func alreadyStarted(_ name: String, holder: ClusterPlacement) -> ClusterError {
        ClusterError(.alreadyStarted, "\(name) is held already, \(holder.localPID.map { "here by \($0)" } ?? "on another node") (token \(holder.token))", holder: holder)
    }

    /// ``ClusterError/Code/notRunning``: the pool's supervisor is not running.
    public func supervisorNotRunning(_ name: String) -> ClusterError {
        ClusterError(.notRunning, "cannot start \(name): the pool's supervisor is not running")
    }

    /// Whether `error` is ``ClusterError/Code/alreadyStarted``.
    public func isAlreadyStarted(_ error: ClusterError) -> Bool { error.code == .alreadyStarted }
}

/// A pool of workers each held at most once across the nodes of a cluster, through
/// ``EtcdRegistration``: see `RegistrationPool`.
///
/// Its workers are never restarted by their supervisor (a restart would run without a
/// claim): a new worker comes from a new claim, under a new token. Put the pool's
/// `registrationSpec` (the node's registry and membership) before its `childSpec()`
/// under a `rest_for_one` supervisor.
public typealias ClusterPool<Worker: GenServer> = RegistrationPool<Worker, EtcdRegistration>

/// Reaches a cluster name's holder on this node; registers nothing.
struct LocalHolderName: ProcessName {
    let registry: EtcdRegistry
    let name: String

    func whereis() -> PID? { registry.lookup(name)?.localPID }

    func register(_ pid: PID) -> NameRegistration {
        if let holder = whereis() { return .taken(by: holder) }
        return .notAlive
    }

    var description: String { "cluster(\(registry.prefix)\(name))" }
}
