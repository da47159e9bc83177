import ServiceLifecycle
import Supervision
import Synchronization

/// A supervision tree run as a swift-service-lifecycle `Service`, so that it can sit in a
/// `ServiceGroup` beside an HTTP server or a queue consumer.
///
/// ``run()`` starts the tree and returns when it has stopped:
///
/// - **Graceful shutdown** (SIGTERM or SIGINT through the group, or
///   `triggerGracefulShutdown()`) stops the tree the OTP way: the root stops its children
///   in reverse start order, each within its own shutdown policy (`ShutdownPolicy`:
///   `brutalKill`, a timeout after which it is killed, or `infinity`), and nested
///   supervisors do the same below them. `run()` then returns normally.
/// - **Cancellation** of the service's task (the group cancelling itself) kills the root,
///   and with it, through its links, the tree, and returns.
/// - **A tree that gives up** — a restart more than its root's intensity allows, so the
///   root stops its children and exits — ends `run()` with
///   ``SupervisionTreeError/rootExited(_:)``, which the group handles by its
///   `failureTerminationBehavior` (by default, it shuts the other services down and
///   rethrows).
///
/// A `ServiceGroup` never restarts a service that failed (swift-service-lifecycle's
/// issue #208 asks for a "relaunch" behaviour); restarting is what the supervisors inside
/// the tree are for. Give the root the intensity that says when restarting no longer
/// helps: past it, the failure is the group's to act on.
///
/// ```swift
/// let tree = SupervisionTree(name: "sessions") {
///     try await Supervisor.start(children: [registry.childSpec(id: "registry"), pool.childSpec(id: "pool")],
///                                options: .init(strategy: .restForOne))
/// }
/// let group = ServiceGroup(configuration: .init(services: [tree, httpServer],
///                                               gracefulShutdownSignals: [.sigterm], logger: logger))
/// try await group.run()
/// ```
public struct SupervisionTree: Service, CustomStringConvertible {
    private let name: String
    private let start: @Sendable () async throws -> PID
    private let stop: @Sendable (PID) async -> Void
    private let onStarted: @Sendable (PID) -> Void
    /// Where ``started()`` waits; shared by the copies of this value.
    private let readiness = TreeReadiness()

    /// A tree whose root is a `Supervisor`, started by `start` when the service runs.
    ///
    /// - Parameters:
    ///   - name: names the service in the group's logs.
    ///   - stopTimeout: how long a graceful shutdown waits for the root to stop its
    ///     children (each child's own shutdown policy applies within it); `infinity` by
    ///     default, as OTP gives a supervisor.
    ///   - onStarted: called with the root's pid once the tree has started — every child
    ///     of the root started — before ``started()`` returns to anyone waiting.
    ///   - start: starts the root supervisor (with its children) in the service's task.
    public init(name: String = "supervision-tree", stopTimeout: Timeout = .infinity,
                onStarted: @escaping @Sendable (PID) -> Void = { _ in },
                start: @escaping @Sendable () async throws -> Supervisor) {
        self.name = name
        self.start = { try await start().pid }
        self.stop = { pid in try? await Supervisor(pid: pid).stop(.shutdown, timeout: stopTimeout) }
        self.onStarted = onStarted
    }

    /// A tree whose root is a `DynamicSupervisor`, started by `start` when the service
    /// runs.
    public init(name: String = "supervision-tree", stopTimeout: Timeout = .infinity,
                onStarted: @escaping @Sendable (PID) -> Void = { _ in },
                start: @escaping @Sendable () async throws -> DynamicSupervisor) {
        self.name = name
        self.start = { try await start().pid }
        self.stop = { pid in try? await DynamicSupervisor(pid: pid)?.stop(.shutdown, timeout: stopTimeout) }
        self.onStarted = onStarted
    }

    /// Waits until the tree has started — ``run()`` started the root, and the root
    /// started its children — and returns the root's pid: the point from which a service
    /// beside it in a `ServiceGroup` can use its pools and servers. Returns at once once
    /// the tree runs.
    ///
    /// ```swift
    /// func run() async throws {          // a service in the same group
    ///     try await tree.started()
    ///     // … serve requests that call the tree's pools
    /// }
    /// ```
    ///
    /// - Throws: ``SupervisionTreeError/Code/notStarted`` if `start` threw,
    ///   ``SupervisionTreeError/Code/stopped`` if the tree has stopped (it ran and
    ///   ended, or `run()` ended before starting it), ``SupervisionTreeError/Code/cancelled``
    ///   if the waiting task is cancelled.
    @discardableResult
    public func started() async throws(SupervisionTreeError) -> PID {
        try await readiness.wait(parked: Self.waitingSeam)
    }

    /// Test seam: runs when a ``started()`` call starts waiting for the tree.
    @TaskLocal package static var waitingSeam: (@Sendable () -> Void)?

    /// The service's name.
    public var description: String { name }

    /// Starts the tree and returns once it has stopped; see the type's discussion.
    ///
    /// - Throws: what `start` throws (the tree did not start), or
    ///   ``SupervisionTreeError/rootExited(_:)`` if the root exited when no shutdown was
    ///   asked for.
    public func run() async throws {
        // Run again after it ended: wait for this run's start.
        readiness.reset()
        let root: PID
        do {
            root = try await start()
        } catch {
            readiness.end(.notStarted(error))
            throw error
        }
        defer { readiness.end(.stopped) }
        onStarted(root)
        readiness.start(root)
        let watch = Process.watch(root)
        let requested = ShutdownRequest()
        let reason = await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await watch.reasonIgnoringCancellation
            } onGracefulShutdown: { [stop] in
                // The first request stops the tree, on a task of its own; `run` returns
                // when the root's DOWN arrives.
                guard requested.make() else { return }
                Task { await stop(root) }
            }
        } onCancel: {
            Process.exit(root, .kill)
        }
        // A root that gave up exits with `shutdown` too, after stopping its children:
        // whether a shutdown was asked for is what tells the two apart.
        if requested.wasMade || Task.isCancelled { return }
        throw SupervisionTreeError.rootExited(reason)
    }
}

/// Whether the tree has started, for ``SupervisionTree/started()``: waiting until `run`
/// started the root, then its pid, until the tree ends.
private final class TreeReadiness: Sendable {
    private enum State {
        case waiting([OneShot<Result<PID, SupervisionTreeError>>])
        case running(PID)
        case ended(SupervisionTreeError)
    }
    private let state = Mutex(State.waiting([]))

    func wait(parked: (@Sendable () -> Void)?) async throws(SupervisionTreeError) -> PID {
        // The clock only matters for a deadline: there is none.
        let outcome = await OneShot<Result<PID, SupervisionTreeError>>.wait(
            deadline: .infinity, clock: SystemClock.shared, cancellable: true
        ) { waiter in
            let now = state.withLock { state -> Result<PID, SupervisionTreeError>? in
                switch state {
                case .waiting(var waiters):
                    waiters.append(waiter)
                    state = .waiting(waiters)
                    return nil
                case .running(let root): return .success(root)
                case .ended(let error): return .failure(error)
                }
            }
            if let now { waiter.resolve(now) } else { parked?() }
        } unregister: { waiter in
            state.withLock { state in
                if case .waiting(var waiters) = state {
                    waiters.removeAll { $0 === waiter }
                    state = .waiting(waiters)
                }
            }
        }
        return try (outcome ?? .failure(.cancelled)).get()
    }

    /// A run begins: a tree that ended is waited for again.
    func reset() {
        state.withLock { state in
            if case .ended = state { state = .waiting([]) }
        }
    }

    /// The root started: whoever waits gets its pid.
    func start(_ root: PID) {
        settle(.running(root), .success(root))
    }

    /// The tree ended (or never started): whoever waits gets `error`, and so does
    /// whoever asks from now on.
    func end(_ error: SupervisionTreeError) {
        settle(.ended(error), .failure(error))
    }

    private func settle(_ next: State, _ outcome: Result<PID, SupervisionTreeError>) {
        let waiters = state.withLock { state -> [OneShot<Result<PID, SupervisionTreeError>>] in
            // A tree that failed to start stays failed: `stopped` does not replace it.
            if case .ended = state { return [] }
            defer { state = next }
            if case .waiting(let waiters) = state { return waiters }
            return []
        }
        for waiter in waiters { waiter.resolve(outcome) }
    }
}

/// Whether a graceful shutdown was asked for, set once from the group's handler.
private final class ShutdownRequest: Sendable {
    private let made = Atomic<Bool>(false)

    /// Records the request; `false` if one was already made.
    func make() -> Bool { !made.exchange(true, ordering: .acquiringAndReleasing) }

    var wasMade: Bool { made.load(ordering: .acquiring) }
}
