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

    /// A tree whose root is a `Supervisor`, started by `start` when the service runs.
    ///
    /// - Parameters:
    ///   - name: names the service in the group's logs.
    ///   - stopTimeout: how long a graceful shutdown waits for the root to stop its
    ///     children (each child's own shutdown policy applies within it); `infinity` by
    ///     default, as OTP gives a supervisor.
    ///   - start: starts the root supervisor (with its children) in the service's task.
    public init(name: String = "supervision-tree", stopTimeout: Timeout = .infinity,
                start: @escaping @Sendable () async throws -> Supervisor) {
        self.name = name
        self.start = { try await start().pid }
        self.stop = { pid in try? await Supervisor(pid: pid).stop(.shutdown, timeout: stopTimeout) }
    }

    /// A tree whose root is a `DynamicSupervisor`, started by `start` when the service
    /// runs.
    public init(name: String = "supervision-tree", stopTimeout: Timeout = .infinity,
                start: @escaping @Sendable () async throws -> DynamicSupervisor) {
        self.name = name
        self.start = { try await start().pid }
        self.stop = { pid in try? await DynamicSupervisor(pid: pid)?.stop(.shutdown, timeout: stopTimeout) }
    }

    /// The service's name.
    public var description: String { name }

    /// Starts the tree and returns once it has stopped; see the type's discussion.
    ///
    /// - Throws: what `start` throws (the tree did not start), or
    ///   ``SupervisionTreeError/rootExited(_:)`` if the root exited when no shutdown was
    ///   asked for.
    public func run() async throws {
        let root = try await start()
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

/// Whether a graceful shutdown was asked for, set once from the group's handler.
private final class ShutdownRequest: Sendable {
    private let made = Atomic<Bool>(false)

    /// Records the request; `false` if one was already made.
    func make() -> Bool { !made.exchange(true, ordering: .acquiringAndReleasing) }

    var wasMade: Bool { made.load(ordering: .acquiring) }
}
