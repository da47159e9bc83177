import CoreMetrics
import CPlatform
import Logging
import Synchronization
import ScalableLocks

/// The environment processes run in: a clock, an optional task executor, a logger and
/// an event stream, plus live counters.
///
/// Every process belongs to one runtime, inherited from the process (or the
/// ``Runtime/run(_:)`` scope) that started it, so a test can run a whole supervision
/// tree on a ``ManualClock`` or count its live processes without seeing those of other
/// tests running in parallel. Plain code outside any process uses ``shared``.
public final class Runtime: Sendable {
    /// The clock every timeout and restart-intensity window of this runtime reads.
    public let clock: any SupervisionClock
    /// The executor process code runs on, or `nil` for Swift's global concurrent
    /// executor.
    public let executor: (any TaskExecutor)?
    /// Where crash reports and unexpected messages are logged (OTP logs both).
    public let logger: Logger
    /// Lifecycle events of every process and supervisor of this runtime.
    public let events: EventBus
    /// A name for the runtime, shown in diagnostics.
    public let label: String
    /// How long a process may keep its thread before it yields to the others.
    public let fairness: Fairness
    /// Whether a call to (or start of) an idle server may run the server's code
    /// directly on the caller's thread until its first suspension, instead of
    /// scheduling it. Off when an executor is given, so that it decides every job.
    let runsInline: Bool
    /// The executor again when it confines the runtime's work (a lockstep scheduler):
    /// told of every spawn, delivery and exit, so that work from elsewhere is caught.
    @usableFromInline
    let confinement: (any ConfiningExecutor)?

    let counters = Counters()
    /// The runtime's metrics; `nil` when its factory records nothing.
    let instruments: RuntimeInstruments?
    /// Where the runtime's and its supervisors' metrics go (see ``SupervisionMetrics``).
    public let metricsFactory: any MetricsFactory
    /// The supervisors of this runtime, for tools that draw its tree.
    let roster = SupervisorRoster()

    /// The runtime of plain code that runs outside any process and any ``run(_:)``.
    ///
    /// Its logger is the application's default (swift-log's `Logger.current` outside any
    /// `withLogger` scope, whatever task first touches `shared`); its metrics go to the
    /// factory bootstrapped by then.
    public static let shared = Runtime(logger: unscopedLogger(), label: "shared")

    /// `Logger.current` as a thread outside any task sees it: the process-wide default,
    /// not the task-local logger of whoever happens to touch ``shared`` first.
    private static func unscopedLogger() -> Logger {
        let box = Lock<Logger?>(nil)
        OSThread.join("reading the default logger") { box.withLock { $0 = Logger.current } }
        return box.withLock { $0! }
    }

    /// Creates a runtime.
    ///
    /// - Parameters:
    ///   - clock: the clock for timeouts and intensity windows (``SystemClock/shared``).
    ///   - executor: where process code runs; `nil` for Swift's global executor.
    ///   - logger: where crash and supervisor reports go, as structured records: a crash
    ///     (`error`, with `process.pid`, `process.parent`, `process.behaviour`,
    ///     `error.reason`), a restart (`info`, with `supervisor.pid`,
    ///     `supervisor.child_id` for a static supervisor, `process.pid`,
    ///     `process.previous_pid`, `supervisor.restarts`), a failed restart and a
    ///     supervisor giving up at its intensity (`error`, with `supervisor.max_restarts`,
    ///     `supervisor.period`), an unexpected message (`warning`). By default the
    ///     task-local logger (swift-log's `Logger.current`) where the runtime is made:
    ///     the library makes no logger of its own.
    ///   - label: a name for diagnostics.
    ///   - fairness: how many messages, or how long, a process handles in a row before it
    ///     gives its thread back (``Fairness/default``).
    ///   - metrics: where the metrics of ``SupervisionMetrics`` go. The default is the
    ///     factory `MetricsSystem.bootstrap` installed (or the task-local one of
    ///     `withMetricsFactory`) when this runtime is created; with none, nothing is
    ///     recorded. The runtime never bootstraps a backend itself.
    public init(
        clock: any SupervisionClock = SystemClock.shared,
        executor: (any TaskExecutor)? = nil,
        logger: Logger = Logger.current,
        label: String = "runtime",
        fairness: Fairness = .default,
        metrics: any MetricsFactory = MetricsSystem.factory
    ) {
        self.metricsFactory = metrics
        self.instruments = metrics.recordsNothing ? nil : RuntimeInstruments(factory: metrics)
        self.fairness = fairness
        self.clock = clock
        self.events = EventBus(clock: clock)
        self.executor = executor
        self.runsInline = executor == nil
        self.confinement = executor as? any ConfiningExecutor
        self.logger = logger
        self.label = label
    }

    @TaskLocal static var scoped: Runtime?

    /// The runtime of the calling process, else of the enclosing ``run(_:)``, else
    /// ``shared``.
    public static var current: Runtime {
        if let core = ProcessContext.current { return core.runtime }
        return scoped ?? shared
    }

    /// Runs `body` with this runtime as ``current``: processes and supervisors it
    /// starts belong to this runtime.
    public func run<T: Sendable>(_ body: () async throws -> T) async rethrows -> T {
        try await Runtime.$scoped.withValue(self) { try await body() }
    }

    /// Starts a task for process code: on ``executor`` if one is set, else on the global
    /// executor. Detached, so the starter's task-locals do not leak into the process.
    func spawnTask(_ operation: sending @escaping @isolated(any) () async -> Void) -> Task<Void, Never> {
        if let executor {
            return Task.detached(executorPreference: executor, operation: operation)
        }
        return Task.detached(operation: operation)
    }

    /// Starts a task for process code that runs synchronously on the calling thread
    /// until its first suspension (SE-0472's `Task.immediate`), when the runtime allows
    /// and nesting is shallow; otherwise schedules it like ``spawnTask(_:)``.
    func spawnInlineTask(_ operation: sending @escaping @isolated(any) () async -> Void) -> Task<Void, Never> {
        guard runsInline && cplatform_inline_depth() < ProcessContext.maxInlineDepth else {
            return spawnTask(operation)
        }
        // The task runs on this thread, on this stack, until it first suspends: count
        // the nesting so that chains of inline calls stay shallow.
        _ = cplatform_inline_depth_enter()
        defer { cplatform_inline_depth_leave() }
        return Task.immediate(operation: operation)
    }

    /// Processes of this runtime that have started and not yet exited.
    ///
    /// - Complexity: O(1).
    public var liveProcessCount: Int { counters.live.load(ordering: .relaxed) }

    /// Processes of this runtime ever created.
    public var spawnedProcessCount: Int { counters.spawned.load(ordering: .relaxed) }

    /// Stops what is left of this runtime: kills every process of it still alive,
    /// returns once all have exited, and lets its clock's timer thread end
    /// (``SystemClock/shutdown()``: at once when no other runtime has a timer armed on
    /// it).
    ///
    /// Stop a tree gracefully first (its supervisor's `stop`, or `SupervisionTree` in a
    /// service group); this is for what remains. Processes started after it returns run
    /// as before, and a timer they arm starts the clock's thread again.
    ///
    /// - Complexity: O(processes of every runtime), to find this runtime's.
    public func shutdown() async {
        for core in ProcessTable.shared.cores(of: self) {
            core.receiveExitSignal(from: nil, reason: .kill)
        }
        await counters.empty()
        // Off the cooperative pool: the clock's shutdown waits for its timer thread to end.
        if let clock = clock as? SystemClock {
            _ = await OSThread.run("the system clock's shutdown") { clock.shutdown() }
        }
    }

    final class Counters: Sendable {
        let live = Atomic<Int>(0)
        let spawned = Atomic<Int>(0)
        /// Waiting for `live` to reach zero.
        private let waiters = Lock<[CheckedContinuation<Void, Never>]>([])

        /// One process fewer; wakes ``empty()`` at zero.
        func exited() {
            if live.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 {
                let woken = waiters.withLock { waiters in
                    defer { waiters = [] }
                    return waiters
                }
                for waiter in woken { waiter.resume() }
            }
        }

        /// Returns once no process is live.
        func empty() async {
            await withCheckedContinuation { continuation in
                let ready = waiters.withLock { waiters -> Bool in
                    if live.load(ordering: .acquiring) == 0 { return true }
                    waiters.append(continuation)
                    return false
                }
                if ready { continuation.resume() }
            }
        }
    }
}

/// The process whose code is running, carried by the task.
@usableFromInline
enum ProcessContext {
    @usableFromInline @TaskLocal static var current: ProcessCore?
    /// Inline activations nest at most this deep on one thread's stack before falling
    /// back to scheduling.
    static let maxInlineDepth: Int32 = 4
}

/// A task executor that must run all of a runtime's work itself — a deterministic
/// scheduler such as `SupervisionTesting`'s lockstep executor.
///
/// A runtime created with such an executor calls ``checkConfinement(_:)`` whenever one of
/// its processes is created, is sent a message or exits, so the executor can tell work
/// that escaped it (a plain `Task {}`, a real sleep, another thread) from its own.
public protocol ConfiningExecutor: TaskExecutor {
    /// Called on the thread that performs `operation` (`"spawn"`, `"deliver"`, `"exit"`).
    func checkConfinement(_ operation: StaticString)
}
