import Logging
import ServiceLifecycle
import Supervision
import SupervisionLifecycle
import Testing
import TestSupport

/// A supervision tree as a service in a `ServiceGroup`: started by the group, stopped the
/// OTP way on graceful shutdown, and a tree that gives up is an error the group sees.
@Suite("SupervisionTree: a supervision tree in a ServiceGroup", .timeLimit(.minutes(Slowdown.scaled(1))))
struct SupervisionTreeTests {
    private let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    /// A worker that traps exits, so that a supervisor's `shutdown` runs its terminate.
    struct Worker: GenServer {
        struct Arguments: Sendable {
            var id: String
            var log: Recorder<String>
            /// Fired when terminate begins; a stubborn worker then never finishes it.
            var terminating: Latch? = nil
        }
        enum Cast: Sendable { case crash }

        let arguments: Arguments

        static func initialize(_ arguments: Arguments) async throws -> InitResult<Worker> {
            try Process.flag(trapExit: true)
            arguments.log.record("start \(arguments.id)")
            return .ok(Worker(arguments: arguments))
        }

        mutating func handleCast(_ message: Cast) async throws -> HandleResult {
            throw TestFailure("\(arguments.id) crashed")
        }

        mutating func terminate(_ reason: ExitReason) async {
            if let terminating = arguments.terminating {
                arguments.log.record("terminating \(arguments.id)")
                terminating.fire()
                await suspendUntilCancelled()  // until the supervisor kills it
                return
            }
            arguments.log.record("stop \(arguments.id) (\(reason))")
        }
    }

    private func spec(_ id: String, _ log: Recorder<String>, shutdown: ShutdownPolicy, terminating: Latch? = nil) -> ChildSpec {
        .worker(Worker.self, arguments: .init(id: id, log: log, terminating: terminating), id: id, shutdown: shutdown)
    }

    @Test("started() waits until the tree runs and returns its root, to waiters that asked before and after; onStarted comes first")
    func startedIsTheReadyPoint() async throws {
        let runtime = quietRuntime()
        let log = Recorder<String>()
        let tree = SupervisionTree(name: "tree", onStarted: { _ in log.record("onStarted") }) {
            try await Supervisor.start(children: [self.spec("a", log, shutdown: .brutalKill)], runtime: runtime)
        }
        // A service beside the tree asks before the group has started anything.
        let parked = Latch()
        let early = SupervisionTree.$waitingSeam.withValue({ parked.fire() }) {
            Task { try await tree.started() }
        }
        await parked.wait()
        let group = ServiceGroup(configuration: .init(services: [tree], logger: logger))
        let running = Task { try await group.run() }
        let root = try await early.value
        #expect(log.all == ["start a", "onStarted"], "the root's children started before the tree was ready")
        #expect(try await Supervisor(pid: root).whichChildren().map(\.id) == ["a"])
        #expect(try await tree.started() == root, "asked again: at once")

        await group.triggerGracefulShutdown()
        try await running.value
        await #expect(throws: SupervisionTreeError.stopped) { try await tree.started() }
    }

    @Test("started() throws notStarted when the tree's start fails, and a waiter that gives up gets cancelled")
    func startedFails() async throws {
        let failing = SupervisionTree(name: "broken") { () async throws -> Supervisor in throw TestFailure("no config") }
        let waiter = Task { try await failing.started() }
        await #expect(throws: TestFailure("no config")) { try await failing.run() }
        let error = await #expect(throws: SupervisionTreeError.self) { try await waiter.value }
        #expect(error?.code == .notStarted && error?.description.contains("no config") == true)

        let never = SupervisionTree(name: "never run") { try await Supervisor.start(children: []) }
        let parked = Latch()
        let impatient = SupervisionTree.$waitingSeam.withValue({ parked.fire() }) {
            Task { try await never.started() }
        }
        await parked.wait()
        impatient.cancel()
        await #expect(throws: SupervisionTreeError.cancelled) { try await impatient.value }
    }

    @Test("graceful shutdown through the group stops the children in reverse order, each within its shutdown policy, and run returns")
    func gracefulShutdown() async throws {
        let clock = ManualClock()
        let runtime = quietRuntime(clock: clock)
        let log = Recorder<String>()
        let started = Latch()
        let stubborn = Latch()
        let tree = SupervisionTree(name: "tree") {
            let root = try await Supervisor.start(children: [
                spec("a", log, shutdown: .timeout(.seconds(5))),
                spec("b", log, shutdown: .timeout(.seconds(5)), terminating: stubborn),
                spec("c", log, shutdown: .brutalKill),
            ], runtime: runtime)
            started.fire()
            return root
        }
        let group = ServiceGroup(configuration: .init(services: [tree], logger: logger))
        let running = Task { try await group.run() }
        await started.wait()
        #expect(log.all == ["start a", "start b", "start c"])

        await group.triggerGracefulShutdown()
        // c went first and was killed outright (no terminate); b got `shutdown` and hangs
        // in terminate: the supervisor waits its 5 s (virtual) before killing it, and a
        // has not been touched yet.
        await stubborn.wait()
        await clock.waitForTimers(atLeast: 1)
        #expect(log.all == ["start a", "start b", "start c", "terminating b"])
        clock.advance(by: .seconds(5))

        try await running.value
        #expect(log.all == ["start a", "start b", "start c", "terminating b", "stop a (shutdown)"])
        #expect(runtime.liveProcessCount == 0)
    }

    @Test("a tree that gives up (a restart past its root's intensity) ends run with rootExited, and the group throws it")
    func escalation() async throws {
        let runtime = quietRuntime()
        let log = Recorder<String>()
        let roots = Recorder<Supervisor>()
        let started = Latch()
        let tree = SupervisionTree {
            let root = try await Supervisor.start(children: [spec("w", log, shutdown: .brutalKill)],
                                                  options: .init(maxRestarts: 0), runtime: runtime)
            roots.record(root)
            started.fire()
            return root
        }
        let group = ServiceGroup(configuration: .init(services: [tree], logger: logger))
        let running = Task { try await group.run() }
        await started.wait()
        let worker = try #require(try await roots.all[0].whichChildren().first?.pid)
        ServerRef<Worker>(pid: worker).cast(.crash)

        let error = await #expect(throws: SupervisionTreeError.self) { try await running.value }
        #expect(error?.code == .rootExited)
        #expect(error?.reason == .shutdown)
        #expect(runtime.liveProcessCount == 0)
    }

    @Test("a tree that cannot start ends run with the start's error; cancelling the service kills a running tree")
    func startFailureAndCancellation() async throws {
        let runtime = quietRuntime()
        let failing = SupervisionTree {
            try await Supervisor.start(children: [], options: .init(maxRestarts: -1), runtime: runtime)
        }
        let error = await #expect(throws: StartError.self) { try await failing.run() }
        #expect(error?.code == .invalidOption)

        let log = Recorder<String>()
        let started = Latch()
        let tree = SupervisionTree {
            let root = try await DynamicSupervisor.start(runtime: runtime)
            try await root.startChild(spec("d", log, shutdown: .brutalKill))
            started.fire()
            return root
        }
        let running = Task { try await tree.run() }
        await started.wait()
        running.cancel()
        try await running.value
        #expect(runtime.liveProcessCount == 0)
    }
}
