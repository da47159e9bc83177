import CoreMetrics
import Supervision
import ScalableLocks

/// A pool of workers of one `GenServer` type, one per id, started on demand under a
/// `DynamicSupervisor`: Discord's `gen_registry`, in Swift.
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
public final class WorkerPool<Worker: GenServer, ID: Hashable & Sendable, Value: Sendable>: Sendable {
    /// How the pool runs its workers.
    public struct Options: Sendable {
        /// Restart policy of every worker (gen_registry's workers are temporary).
        public var restart: RestartPolicy
        /// How a worker is stopped by ``WorkerPool/stop(_:)`` and when the pool stops.
        public var shutdown: ShutdownPolicy
        /// The pool supervisor's restart intensity (the same type as every supervisor's
        /// options: `Supervisor/Options`, `DynamicSupervisor/Options`).
        public var intensity: RestartIntensity
        /// The most workers at once; `nil` for no limit.
        public var maxChildren: Int?
        /// Partitions of the pool's registry.
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
    /// The registry of the pool's workers: id → worker, with the value each registered.
    public let registry: Registry<ID, Value>
    /// The options the pool was made with.
    public let options: Options
    @usableFromInline
    let registeredValue: @Sendable (ID, Worker.Arguments) -> Value
    @usableFromInline
    let current = Lock<DynamicSupervisor?>(nil)
    /// The pool's metrics (``WorkerRegistryMetrics``); `nil` when its factory records
    /// nothing.
    @usableFromInline
    let instruments: PoolInstruments?

    /// Creates a pool (not yet running: start it with ``start(runtime:)`` or put
    /// ``childSpec(id:)`` in a supervisor).
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
    public init(
        _ worker: Worker.Type, id: ID.Type, name: String, options: Options = Options(),
        listeners: [RegistryListener<ID, Value>] = [],
        metrics: any MetricsFactory = MetricsSystem.factory,
        value: @escaping @Sendable (ID, Worker.Arguments) -> Value
    ) {
        self.name = name
        self.options = options
        self.registeredValue = value
        self.registry = Registry(keys: .unique, partitions: options.partitions, listeners: listeners, name: name,
                                 metrics: metrics)
        self.instruments = PoolInstruments.make(pool: name, factory: metrics)
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

    /// The worker running under `id`, or `nil`: gen_registry's `lookup`. Never returns a
    /// dead worker.
    ///
    /// - Complexity: O(1); no allocation, no process, no lock readers contend on.
    @inlinable @inline(__always)
    public func lookup(_ id: ID) -> PID? {
        registry.whereis(id)
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
    /// - Throws: `StartError`: `initFailed`, `ignored`, `timeout`, `maxChildren`,
    ///   `supervisorNotRunning`. Nothing is registered then, and other workers run on.
    @inlinable
    nonisolated(nonsending) public func lookupOrStart(
        _ id: ID, arguments: Worker.Arguments, timeout: Timeout = .seconds(5)
    ) async throws(StartError) -> PID {
        if let pid = registry.whereis(id) {
            instruments?.hits.increment()
            return pid
        }
        instruments?.misses.increment()
        return try await startWorker(id, arguments: arguments, timeout: timeout, reuseExisting: true)
    }

    /// Starts a worker under `id`: gen_registry's `start`, which tells the caller
    /// whether it started the worker.
    ///
    /// - Throws: `StartError/alreadyStarted(_:)` with the running worker if `id` is
    ///   taken, and the errors of ``lookupOrStart(_:arguments:timeout:)``.
    @inlinable
    nonisolated(nonsending) public func start(
        _ id: ID, arguments: Worker.Arguments, timeout: Timeout = .seconds(5)
    ) async throws(StartError) -> PID {
        try await startWorker(id, arguments: arguments, timeout: timeout, reuseExisting: false)
    }

    // Inlinable, so that the worker's spec — and with it the server's message handling —
    // is compiled for the concrete `Worker` in the module that asks for workers: made
    // here in generic code, every message would instantiate generic metadata at run time.
    @inlinable
    nonisolated(nonsending)
    func startWorker(
        _ id: ID, arguments: Worker.Arguments, timeout: Timeout, reuseExisting: Bool
    ) async throws(StartError) -> PID {
        guard supervisor != nil else { throw .supervisorNotRunning }
        let name = registry.via(id, value: registeredValue(id, arguments))
        let spec = ChildSpec.worker(
            Worker.self, arguments: arguments, id: "\(id)", name: name,
            restart: options.restart, shutdown: options.shutdown, startTimeout: timeout)
        return try await startWorker(id, spec: spec, reuseExisting: reuseExisting)
    }

    /// The `skipStartedRecheck` fault; a constant `false` in a release build.
    private var skipsStartedRecheck: Bool {
        #if FAULTS
        options.faults.contains(.skipStartedRecheck)
        #else
        false
        #endif
    }

    /// Starts (or finds) the worker, and records the start's duration or its failure.
    @usableFromInline
    nonisolated(nonsending)
    func startWorker(_ id: ID, spec: ChildSpec, reuseExisting: Bool) async throws(StartError) -> PID {
        guard let instruments else { return try await attemptStart(id, spec: spec, reuseExisting: reuseExisting) }
        let began = ContinuousClock.now
        do throws(StartError) {
            let pid = try await attemptStart(id, spec: spec, reuseExisting: reuseExisting)
            instruments.started(since: began)
            return pid
        } catch {
            if error.code != .alreadyStarted { instruments.startFailures.increment() }
            throw error
        }
    }

    nonisolated(nonsending)
    private func attemptStart(_ id: ID, spec: ChildSpec, reuseExisting: Bool) async throws(StartError) -> PID {
        guard let supervisor else { throw .supervisorNotRunning }
        // A holder found here may still be initializing and may yet fail; then the id
        // is free again and this caller tries its own start.
        let attempts = 8
        for _ in 0..<attempts {
            // A running holder answers at once: no process built and thrown away, no
            // supervisor slot reserved (a full pool still says "already started").
            if let holder = registry.whereis(id), skipsStartedRecheck ? true : await Process.awaitStarted(holder) {
                if reuseExisting { return holder }
                throw .alreadyStarted(holder)
            }
            do throws(StartError) {
                switch try await supervisor.startChild(spec) {
                case .started(let pid): return pid
                case .ignored: throw StartError.ignored
                }
            } catch let error where error.code == .alreadyStarted {
                guard let holder = error.holder else { continue }
                let started = skipsStartedRecheck ? true : await Process.awaitStarted(holder)
                if started {
                    if reuseExisting { return holder }
                    throw .alreadyStarted(holder)
                }
            }
        }
        throw .contended(attempts: attempts)
    }

    /// Stops the worker under `id` — its shutdown policy runs — and returns once it is
    /// dead and unregistered: gen_registry's `stop`. The worker is not restarted.
    ///
    /// A worker whose restarts keep failing (it has no pid now) is stopped too: its
    /// retries end, and `stop` returns once no attempt of it runs. Finding it is
    /// O(restarting workers); restarting workers are told apart by their id's description.
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

    /// The number of running workers. O(1).
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

extension WorkerPool where Value == Void {
    /// Creates a pool whose workers register no value (see
    /// ``init(_:id:name:options:listeners:metrics:value:)``).
    @inlinable
    public convenience init(
        _ worker: Worker.Type, id: ID.Type, name: String, options: Options = Options(),
        listeners: [RegistryListener<ID, Value>] = [], metrics: any MetricsFactory = MetricsSystem.factory
    ) {
        self.init(worker, id: id, name: name, options: options, listeners: listeners, metrics: metrics, value: { _, _ in () })
    }
}
