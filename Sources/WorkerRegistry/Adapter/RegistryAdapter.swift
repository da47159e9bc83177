import CoreMetrics
import Supervision

/// The local adapter of ``WorkerPool``: this runtime's unique ``Registry`` of names and
/// the caller's `DynamicSupervisor` of processes.
///
/// Registered without a value (``LocalRegistration``), it is also the local
/// ``RegistrationAdapter``. Each ``childSpec()`` makes a new registry (a pool calls it
/// once, when it is made).
public struct RegistryAdapter<Name: Hashable & Sendable, Value: Sendable>: PoolRegistration {
    /// The adapter's metadata: its registry.
    public struct Meta: Sendable {
        /// The unique registry names are held in.
        public let registry: Registry<Name, Value>

        @usableFromInline
        init(registry: Registry<Name, Value>) {
            self.registry = registry
        }
    }

    /// A name for the registry, in diagnostics and metrics.
    public let label: String
    @usableFromInline
    let partitions: Int
    @usableFromInline
    let listeners: [RegistryListener<Name, Value>]
    @usableFromInline
    let metrics: any MetricsFactory
    #if FAULTS
    /// Drops the re-check that a holder found did finish starting (a pool's
    /// `skipStartedRecheck` fault, for lockstep exploration). Debug builds only.
    @usableFromInline
    package var skipsStartedRecheck = false
    #endif

    /// An adapter whose registries are named `label`.
    ///
    /// - Parameters:
    ///   - label: the registry's name, in diagnostics and metrics.
    ///   - partitions: the registry's partitions.
    ///   - listeners: told of every holder registered and removed.
    ///   - metrics: where the registry's metrics go (``WorkerRegistryMetrics``).
    @inlinable
    public init(
        label: String = "local registration", partitions: Int = 1, listeners: [RegistryListener<Name, Value>] = [],
        metrics: any MetricsFactory = MetricsSystem.factory
    ) {
        self.label = label
        self.partitions = partitions
        self.listeners = listeners
        self.metrics = metrics
    }

    /// A new registry's host, to supervise, and the registry as metadata.
    ///
    /// Inlinable so that the registry is made where `Name` and `Value` are known: its exit
    /// hook — which runs in every holder's exit — is then specialized code, not generic
    /// code that instantiates metadata at run time.
    @inlinable
    public func childSpec() -> (spec: ChildSpec, meta: Meta) {
        let registry = Registry<Name, Value>(keys: .unique, partitions: partitions, listeners: listeners, name: label,
                                             metrics: metrics)
        return (registry.childSpec(id: label), Meta(registry: registry))
    }

    /// The registry.
    @inlinable
    public func holders(meta: Meta) -> Registry<Name, Value> { meta.registry }

    /// The live holder of `name`: a memory read, O(1).
    @inlinable @inline(__always)
    public func placement(meta: Meta, name: Name) -> PID? { meta.registry.whereis(name) }

    /// The live holder of `name`: a memory read, O(1).
    @inlinable @inline(__always)
    public func whereis(meta: Meta, name: Name) -> PID? { meta.registry.whereis(name) }

    /// A name that reaches the holder of `name`: the registry's via name when it holds no
    /// values (a process can be started under it), else one that only reaches (start
    /// workers with ``startWorker(meta:name:registering:supervisor:checkingStore:spec:)``, which
    /// registers their value).
    public func via(meta: Meta, name: Name) -> any ProcessName {
        if let none = () as? Value { return meta.registry.via(name, value: none) }
        return ReachName(registry: meta.registry, key: name)
    }

    /// Starts the worker under the registry's via name for `name`, registering
    /// `registering` with it; a holder that finished starting is found instead. The
    /// registry is the store: `checkingStore` changes nothing.
    ///
    /// A holder found while it still initializes is waited for: if its start fails, the
    /// name is free again and this call starts its own. Throws
    /// `StartError/contended(attempts:)` when every one of 8 tries found a holder that
    /// then failed.
    ///
    /// Inlinable, so that the via name — whose closures resolve and register every start
    /// and restart of the worker — is made for the concrete `Name` and `Value`.
    @inlinable
    nonisolated(nonsending) public func startWorker(
        meta: Meta, name: Name, registering: Value, supervisor: DynamicSupervisor, checkingStore: Bool = false,
        spec: @escaping @Sendable (any ProcessName) -> ChildSpec
    ) async throws(StartError) -> PoolStart<PID> {
        let child = spec(meta.registry.via(name, value: registering))
        let attempts = 8
        for _ in 0..<attempts {
            // A running holder answers at once: no process built and thrown away, no
            // supervisor slot reserved (a full pool still answers with its holder).
            if let holder = meta.registry.whereis(name), await isStarted(holder) { return .found(holder) }
            do throws(StartError) {
                switch try await supervisor.startChild(child) {
                case .started(let pid): return .started(pid)
                case .ignored: throw StartError.ignored
                }
            } catch where error.code == .alreadyStarted {
                // Only a holder that finished starting counts; one that failed frees the
                // name, and this start is tried again.
                if let holder = error.holder, await isStarted(holder) { return .found(holder) }
            }
        }
        throw .contended(attempts: attempts)
    }

    /// Whether `holder` finished its start (waiting while it runs), unless the fault
    /// that drops this re-check is on.
    @usableFromInline
    nonisolated(nonsending)
    func isStarted(_ holder: PID) async -> Bool {
        #if FAULTS
        if skipsStartedRecheck { return true }
        #endif
        return await Process.awaitStarted(holder)
    }

    /// `StartError/alreadyStarted(_:)` with the holder.
    public func alreadyStarted(_ name: Name, holder: PID) -> StartError { .alreadyStarted(holder) }

    /// `StartError/supervisorNotRunning`.
    public func supervisorNotRunning(_ name: Name) -> StartError { .supervisorNotRunning }

    /// Whether `error` is `StartError/alreadyStarted(_:)`.
    public func isAlreadyStarted(_ error: StartError) -> Bool { error.code == .alreadyStarted }
}

/// The local ``RegistrationAdapter``: a unique ``Registry`` for names, without values,
/// and the caller's `DynamicSupervisor` for processes.
public typealias LocalRegistration<Name: Hashable & Sendable> = RegistryAdapter<Name, Void>

extension RegistryAdapter: RegistrationAdapter where Value == Void {
    /// Starts the child under the registry's via name; a name already held by a started
    /// process answers that process. Throws `StartError/contended(attempts:)` when every
    /// try found a holder that then failed.
    nonisolated(nonsending) public func startChild(
        meta: Meta, name: Name, supervisor: DynamicSupervisor,
        spec: @escaping @Sendable (any ProcessName) -> ChildSpec
    ) async throws(StartError) -> PID {
        try await startWorker(meta: meta, name: name, registering: (), supervisor: supervisor, checkingStore: false, spec: spec).placement
    }
}

/// Reaches the holder of a key in a registry; a process cannot be started under it (a
/// start registers through the registry's via name, with its value).
struct ReachName<Key: Hashable & Sendable, Value: Sendable>: ProcessName {
    let registry: Registry<Key, Value>
    let key: Key

    func whereis() -> PID? { registry.whereis(key) }

    func register(_ pid: PID) -> NameRegistration {
        if let holder = whereis() { return .taken(by: holder) }
        return .notAlive
    }

    var description: String { "via(\(registry.name), \(key))" }
}
