import CoreMetrics
import Supervision
import ScalableLocks

/// A pool of workers of one `GenServer` type, one per id, started on demand under a
/// `DynamicSupervisor` and registered through an adapter: Discord's `gen_registry`, in
/// Swift, on one node (``WorkerPool``) or across a cluster (`ClusterPool`).
///
/// ```swift
/// let sessions = WorkerPool(Session.self, id: String.self, name: "sessions")
/// try await sessions.start()
/// let pid = try await sessions.lookupOrStart("alice", arguments: .init(user: "alice"))
/// ```
///
/// What it keeps from gen_registry: `lookupOrStart`, `start` (telling the caller
/// whether it started the worker), `lookup`, `stop`, `count`, `reduce`, `sample`,
/// `toList`; lookups never go through a process. What it does better:
/// - The hit path of ``lookup(_:)`` and ``lookupOrStart(_:arguments:timeout:)`` is one
///   registry read: no process, no lock readers contend on, no allocation.
/// - Starts of different ids run in parallel (gen_registry serialises every start
///   through one process); concurrent starts of one id still start exactly one worker,
///   and every caller gets its pid.
/// - A start that throws, fails in `initialize`, asks to be ignored or hangs past its
///   timeout gives *its caller* a clear error, registers nothing and leaves every other
///   worker running (gen_registry crashes, losing all its workers, on the last three).
/// - A dead worker is never returned: its id is released as part of its exit.
/// - Workers are temporary by default, as in gen_registry; a permanent or transient
///   pool restarts a crashed worker under the same id.
///
/// Over a cluster adapter, ``lookup(_:)`` and ``lookupOrStart(_:arguments:timeout:)``
/// answer where the worker lives (here, or on the node holding it); ``count()``,
/// ``toList()``, ``stop(_:)`` and the ``registry`` are about the workers on this node.
public final class RegistrationPool<Worker: GenServer, Adapter: PoolRegistration>: Sendable {
    /// The workers' ids: the adapter's names.
    public typealias ID = Adapter.Name

    /// How the pool runs its workers.
    public struct Options: Sendable {
        /// Restart policy of every worker (gen_registry's workers are temporary). A cluster
        /// pool's workers are never restarted by their supervisor, whatever it says: a new
        /// worker comes from a new claim.
        public var restart: RestartPolicy
        /// How a worker is stopped by ``RegistrationPool/stop(_:)`` and when the pool stops.
        public var shutdown: ShutdownPolicy
        /// The pool supervisor's restart intensity (the same type as every supervisor's
        /// options: `Supervisor/Options`, `DynamicSupervisor/Options`).
        public var intensity: RestartIntensity
        /// The most workers at once; `nil` for no limit.
        public var maxChildren: Int?
        /// Partitions of a local pool's registry (the adapter makes a cluster pool's).
        public var partitions: Int
        #if FAULTS
        /// Deliberate bugs, for showing that lockstep exploration finds them. Never set
        /// outside such tests; compiled into debug builds only.
        package var faults: Faults = []
        /// Deliberate bugs of the pool's supervisor (same rule).
        package var supervisorFaults: DynamicSupervisor.Faults = []
        #endif

        /// gen_registry's defaults: temporary workers with a 5 s shutdown, Elixir's
        /// intensity (3 restarts in 5 s), no worker limit, one registry partition.
        public init(
            restart: RestartPolicy = .temporary, shutdown: ShutdownPolicy = .timeout(.seconds(5)),
            maxRestarts: Int = 3, period: Duration = .seconds(5), maxChildren: Int? = nil, partitions: Int = 1
        ) {
            self.restart = restart
            self.shutdown = shutdown
            self.intensity = RestartIntensity(maxRestarts: maxRestarts, period: period)
            self.maxChildren = maxChildren
            self.partitions = partitions
        }

        #if FAULTS
        /// Whether the `skipStartedRecheck` fault is on (for the local adapter).
        @usableFromInline
        var skipsStartedRecheck: Bool { faults.contains(.skipStartedRecheck) }
        #endif
    }

    #if FAULTS
    /// Deliberate bugs a test can switch on. The `FAULTS` condition is defined in debug
    /// builds only: a release build has neither the switches nor their branches.
    package struct Faults: OptionSet, Sendable {
        package let rawValue: Int
        package init(rawValue: Int) { self.rawValue = rawValue }

        /// `lookupOrStart` returns the worker holding the id without waiting for its
        /// start to complete: the re-check that the holder did start is dropped, so a
        /// racing caller can get a worker that is still initializing, or one whose start
        /// then fails.
        package static var skipStartedRecheck: Faults { Faults(rawValue: 1) }
    }
    #endif

    /// The outcome of ``stop(_:)``.
    public enum StopResult: Sendable, Equatable {
        /// The worker was stopped; it is dead and unregistered.
        case stopped
        /// No worker runs under that id.
        case notFound
    }

    /// The pool's name.
    public let name: String
    /// How the pool registers its workers.
    public let adapter: Adapter
    /// The adapter's metadata (its registry, a cluster membership).
    public let meta: Adapter.Meta
    /// The adapter's child — a cluster node's registry and membership — to run before the
    /// pool's supervisor, under `rest_for_one` (a new registration means new workers). A
    /// cluster pool cannot start workers without it. A local pool's registry works
    /// without its host; if you run the host, run it this way too: when a host stops, its
    /// registry drops its entries, and only `rest_for_one` stops the workers with them.
    public let registrationSpec: ChildSpec
    /// The registry of the pool's workers on this node: id → worker, with the value each
    /// registered.
    public let registry: Registry<ID, Adapter.HolderValue>
    /// The options the pool was made with.
    public let options: Options
    @usableFromInline
    let registered: @Sendable (ID, Worker.Arguments) -> Adapter.Registered
    @usableFromInline
    let current = Lock<DynamicSupervisor?>(nil)
    /// The pool's metrics (``WorkerRegistryMetrics``); `nil` when its factory records
    /// nothing.
    @usableFromInline
    let instruments: PoolInstruments?

    /// Creates a pool over `adapter` (not yet running: put ``registrationSpec`` and
    /// ``childSpec(id:)`` in a supervisor, or start it with ``start(runtime:)``).
    ///
    /// - Parameters:
    ///   - worker: the server type each worker runs.
    ///   - name: the pool's name, also its supervisor's name in metrics: give each pool a
    ///     fixed one.
    ///   - adapter: how workers are registered: ``RegistryAdapter`` on this node, a
    ///     cluster adapter across nodes.
    ///   - options: restart and shutdown policies, intensity, limits.
    ///   - metrics: where the pool's metrics go (``WorkerRegistryMetrics``); by default
    ///     the factory bootstrapped (or task-local) when the pool is created.
    ///   - registering: what each worker registers with, given to the adapter's start.
    @inlinable
    public init(
        _ worker: Worker.Type, name: String, adapter: Adapter, options: Options = Options(),
        metrics: any MetricsFactory = MetricsSystem.factory,
        registering: @escaping @Sendable (ID, Worker.Arguments) -> Adapter.Registered
    ) {
        self.name = name
        self.adapter = adapter
        let (spec, meta) = adapter.childSpec()
        self.meta = meta
        self.registrationSpec = spec
        self.registry = adapter.holders(meta: meta)
        self.options = options
        self.registered = registering
        self.instruments = PoolInstruments.make(pool: name, factory: metrics)
    }

    /// Creates a pool over `adapter`, whose workers register nothing of the pool's (a
    /// cluster adapter registers each claim's fencing token). See
    /// ``init(_:name:adapter:options:metrics:registering:)``.
    @inlinable
    public convenience init(
        _ worker: Worker.Type, name: String, adapter: Adapter, options: Options = Options(),
        metrics: any MetricsFactory = MetricsSystem.factory
    ) where Adapter.Registered == Void {
        self.init(worker, name: name, adapter: adapter, options: options, metrics: metrics, registering: { _, _ in () })
    }

    /// Creates a pool on this node (not yet running: start it with ``start(runtime:)``
    /// or put ``childSpec(id:)`` in a supervisor).
    ///
    /// - Parameters:
    ///   - worker: the server type each worker runs.
    ///   - id: the type of the workers' ids (a session id, a phone number …).
    ///   - name: the pool's name, also its registry's and its supervisor's name in
    ///     metrics: give each pool a fixed one.
    ///   - options: restart and shutdown policies, intensity, limits, partitions.
    ///   - listeners: told of every worker registered and removed (`RegistryListener`).
    ///   - metrics: where the pool's and its registry's metrics go
    ///     (``WorkerRegistryMetrics``); by default the factory bootstrapped (or
    ///     task-local) when the pool is created. The pool's supervisor reports its
    ///     `SupervisionMetrics`, under the pool's name, to its runtime's factory.
    ///   - value: the value each worker registers with its id (shown by dashboards).
    ///
    /// Inlinable so that the pool's registry is made where `ID` and `Value` are known:
    /// its exit hook — which runs in every worker's exit — is then specialized code, not
    /// generic code that instantiates metadata at run time.
    @inlinable
    public convenience init<LocalID, Value>(
        _ worker: Worker.Type, id: LocalID.Type, name: String, options: Options = Options(),
        listeners: [RegistryListener<LocalID, Value>] = [],
        metrics: any MetricsFactory = MetricsSystem.factory,
        value: @escaping @Sendable (LocalID, Worker.Arguments) -> Value
    ) where Adapter == RegistryAdapter<LocalID, Value> {
        var adapter = RegistryAdapter<LocalID, Value>(label: name, partitions: options.partitions, listeners: listeners,
                                                      metrics: metrics)
        #if FAULTS
        adapter.skipsStartedRecheck = options.skipsStartedRecheck
        #endif
        self.init(worker, name: name, adapter: adapter, options: options, metrics: metrics, registering: value)
    }

    /// Creates a pool on this node whose workers register no value (see
    /// ``init(_:id:name:options:listeners:metrics:value:)``).
    @inlinable
    public convenience init<LocalID>(
        _ worker: Worker.Type, id: LocalID.Type, name: String, options: Options = Options(),
        listeners: [RegistryListener<LocalID, Void>] = [], metrics: any MetricsFactory = MetricsSystem.factory
    ) where Adapter == RegistryAdapter<LocalID, Void> {
        self.init(worker, id: id, name: name, options: options, listeners: listeners, metrics: metrics, value: { _, _ in () })
    }

    // MARK: - Lifetime

    private var supervisorOptions: DynamicSupervisor.Options {
        var supervisor = DynamicSupervisor.Options(maxChildren: options.maxChildren, metricsName: name)
        supervisor.intensity = options.intensity
        #if FAULTS
        supervisor.faults = options.supervisorFaults
        #endif
        return supervisor
    }

    /// Starts the pool's supervisor, linked to the calling process.
    @discardableResult
    nonisolated(nonsending) public func start(runtime: Runtime? = nil) async throws(StartError) -> DynamicSupervisor {
        let supervisor = try await DynamicSupervisor.start(options: supervisorOptions, runtime: runtime)
        current.withLock { $0 = supervisor }
        return supervisor
    }

    /// A spec to run the pool under a supervisor. Each (re)start of the pool's
    /// supervisor becomes the pool's current supervisor.
    public func childSpec(id: String? = nil) -> ChildSpec {
        let options = supervisorOptions
        return ChildSpec(id: id ?? "pool \(name)", restart: .permanent, shutdown: .infinity, type: .supervisor) { [self] in
            let supervisor = try await DynamicSupervisor.start(options: options)
            current.withLock { $0 = supervisor }
            return supervisor.pid
        }
    }

    /// The pool's current supervisor, if it has been started.
    public var supervisor: DynamicSupervisor? { current.withLock { $0 } }

    /// Stops every worker and the pool's supervisor, and waits for them.
    nonisolated(nonsending) public func stopPool() async {
        guard let supervisor else { return }
        try? await supervisor.stop(.shutdown)
    }

    // MARK: - Workers

    /// Where the worker of `id` runs, or `nil`: gen_registry's `lookup`. Never returns a
    /// dead worker of this node. A local pool answers its pid; a cluster pool answers
    /// here, or the node its view last saw holding the id.
    ///
    /// - Complexity: O(1); no allocation, no process, no lock readers contend on (a
    ///   local pool).
    @inlinable @inline(__always)
    public func lookup(_ id: ID) -> Adapter.Placement? {
        adapter.placement(meta: meta, name: id)
    }

    /// The worker of `id` on this node, or `nil`. O(1), a memory read.
    @inlinable @inline(__always)
    public func whereis(_ id: ID) -> PID? {
        registry.whereis(id)
    }

    /// A name that reaches the worker of `id` on this node: calls, casts and sends.
    public func via(_ id: ID) -> any ProcessName {
        adapter.via(meta: meta, name: id)
    }

    /// The worker running under `id`, starting it with `arguments` if there is none:
    /// gen_registry's `lookup_or_start`.
    ///
    /// Concurrent calls for one id start exactly one worker and all return its pid.
    ///
    /// - Parameters:
    ///   - id: the worker's id in the pool.
    ///   - arguments: passed to the worker's `initialize` if it is started.
    ///   - timeout: how long the worker's `initialize` may take.
    /// - Throws: the adapter's failure — a local pool's `StartError`: `initFailed`,
    ///   `ignored`, `timeout`, `maxChildren`, `supervisorNotRunning`. Nothing is
    ///   registered then, and other workers run on.
    @inlinable
    nonisolated(nonsending) public func lookupOrStart(
        _ id: ID, arguments: Worker.Arguments, timeout: Timeout = .seconds(5)
    ) async throws(Adapter.Failure) -> Adapter.Placement {
        if let placement = adapter.placement(meta: meta, name: id) {
            instruments?.hits.increment()
            return placement
        }
        instruments?.misses.increment()
        return try await startWorker(id, arguments: arguments, timeout: timeout, reuseExisting: true, checkingStore: false)
    }

    /// ``lookupOrStart(_:arguments:timeout:)`` that does not trust this node's view of
    /// the other nodes: the adapter's store says who holds `id` (a cluster claim, starting
    /// the worker here if nobody does). For the retry after a request routed to the node
    /// the view named found the worker gone. A local pool's store is its view: the same
    /// as ``lookupOrStart(_:arguments:timeout:)``. Counted as a miss.
    @inlinable
    nonisolated(nonsending) public func lookupOrStart(
        _ id: ID, arguments: Worker.Arguments, timeout: Timeout = .seconds(5), checkingStore: Bool
    ) async throws(Adapter.Failure) -> Adapter.Placement {
        guard checkingStore else { return try await lookupOrStart(id, arguments: arguments, timeout: timeout) }
        instruments?.misses.increment()
        return try await startWorker(id, arguments: arguments, timeout: timeout, reuseExisting: true, checkingStore: true)
    }

    /// Starts a worker under `id`: gen_registry's `start`, which tells the caller
    /// whether it started the worker.
    ///
    /// - Throws: the adapter's "already started" error with where the running worker
    ///   lives if `id` is taken (a local pool's `StartError/alreadyStarted(_:)`), and the
    ///   errors of ``lookupOrStart(_:arguments:timeout:)``.
    @inlinable
    nonisolated(nonsending) public func start(
        _ id: ID, arguments: Worker.Arguments, timeout: Timeout = .seconds(5)
    ) async throws(Adapter.Failure) -> Adapter.Placement {
        try await startWorker(id, arguments: arguments, timeout: timeout, reuseExisting: false, checkingStore: false)
    }

    // Inlinable, so that the worker's spec — and with it the server's message handling —
    // is compiled for the concrete `Worker` in the module that asks for workers: made
    // here in generic code, every message would instantiate generic metadata at run time.
    @inlinable
    nonisolated(nonsending)
    func startWorker(
        _ id: ID, arguments: Worker.Arguments, timeout: Timeout, reuseExisting: Bool, checkingStore: Bool
    ) async throws(Adapter.Failure) -> Adapter.Placement {
        let options = options
        let spec: @Sendable (any ProcessName) -> ChildSpec = { name in
            ChildSpec.worker(
                Worker.self, arguments: arguments, id: "\(id)", name: name,
                restart: options.restart, shutdown: options.shutdown, startTimeout: timeout)
        }
        return try await startWorker(id, registering: registered(id, arguments), spec: spec, reuseExisting: reuseExisting,
                                     checkingStore: checkingStore)
    }

    /// Starts (or finds) the worker, and records the start's duration or its failure.
    @usableFromInline
    nonisolated(nonsending)
    func startWorker(
        _ id: ID, registering: Adapter.Registered, spec: @escaping @Sendable (any ProcessName) -> ChildSpec,
        reuseExisting: Bool, checkingStore: Bool
    ) async throws(Adapter.Failure) -> Adapter.Placement {
        guard let supervisor else { throw adapter.supervisorNotRunning(id) }
        guard let instruments else {
            return try await place(id, registering: registering, supervisor: supervisor, spec: spec, reuseExisting: reuseExisting,
                                   checkingStore: checkingStore)
        }
        let began = ContinuousClock.now
        do throws(Adapter.Failure) {
            let placement = try await place(id, registering: registering, supervisor: supervisor, spec: spec,
                                            reuseExisting: reuseExisting, checkingStore: checkingStore)
            instruments.started(since: began)
            return placement
        } catch {
            if !adapter.isAlreadyStarted(error) { instruments.startFailures.increment() }
            throw error
        }
    }

    /// The adapter's start, with `start`'s refusal of a name already held.
    nonisolated(nonsending)
    private func place(
        _ id: ID, registering: Adapter.Registered, supervisor: DynamicSupervisor,
        spec: @escaping @Sendable (any ProcessName) -> ChildSpec, reuseExisting: Bool, checkingStore: Bool
    ) async throws(Adapter.Failure) -> Adapter.Placement {
        switch try await adapter.startWorker(meta: meta, name: id, registering: registering, supervisor: supervisor,
                                             checkingStore: checkingStore, spec: spec) {
        case .started(let started): return started
        case .found(let found):
            guard reuseExisting else { throw adapter.alreadyStarted(id, holder: found) }
            return found
        }
    }

    /// Stops the worker under `id` — its shutdown policy runs — and returns once it is
    /// dead and unregistered: gen_registry's `stop`. The worker is not restarted.
    ///
    /// A worker whose restarts keep failing (it has no pid now) is stopped too: its
    /// retries end, and `stop` returns once no attempt of it runs. Finding it is
    /// O(restarting workers); restarting workers are told apart by their id's description.
    ///
    /// Over a cluster adapter, only a worker on this node is stopped: the id of one held
    /// on another node is `notFound` here (stop it there).
    @discardableResult
    nonisolated(nonsending) public func stop(_ id: ID) async -> StopResult {
        guard let supervisor else { return .notFound }
        var stopped = false
        if let pid = registry.whereis(id), (try? await supervisor.terminateChild(pid)) != nil {
            stopped = true
        }
        // And any child under the id whose restarts keep failing (what holds the id meanwhile
        // is an attempt still initializing, or another worker that took the id): ending it
        // ends its retries, and stops what an attempt under way started.
        let childID = "\(id)"
        for child in supervisor.restartingChildren() where child.id == childID {
            guard let last = child.lastPID else { continue }
            // Not found: ended meanwhile.
            if (try? await supervisor.terminateChild(last)) != nil { stopped = true }
        }
        return stopped ? .stopped : .notFound
    }

    /// The number of running workers on this node. O(1).
    @inlinable
    public func count() -> Int {
        registry.count()
    }

    /// Folds over the running workers: gen_registry's `reduce`. O(workers).
    public func reduce<Result>(_ initial: Result, _ next: (Result, (id: ID, pid: PID)) -> Result) -> Result {
        toList().reduce(initial, next)
    }

    /// A running worker, or `nil` when there is none: gen_registry's `sample`.
    /// O(workers).
    public func sample() -> (id: ID, pid: PID)? {
        toList().randomElement()
    }

    /// Every running worker: gen_registry's `to_list`. O(workers).
    public func toList() -> [(id: ID, pid: PID)] {
        registry.select { id, pid, _ in (id, pid) }
    }
}

/// A pool of workers on this node, registered in a local ``Registry``: see
/// ``RegistrationPool``.
public typealias WorkerPool<Worker: GenServer, ID: Hashable & Sendable, Value: Sendable> =
    RegistrationPool<Worker, RegistryAdapter<ID, Value>>
