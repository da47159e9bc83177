import Logging
import ServiceLifecycle
import Supervision
import SupervisionLifecycle
import Testing
import TestSupport
import WorkerRegistry

/// The code of the "Running a tree in a ServiceGroup" article, run.
@Suite("Article: Running a tree in a ServiceGroup", .timeLimit(.minutes(Slowdown.scaled(1))))
struct RunningInAServiceGroupTests {
    /// Fired when a session is touched (this suite's one test touches one).
    static let touched = Latch()

    struct Session: GenServer {
        enum Request: Sendable { case touch }
        let user: String
        static func initialize(_ user: String) async throws -> InitResult<Session> { .ok(Session(user: user)) }
        mutating func handleCall(_ request: Request, from caller: Caller<Void>) async throws -> CallResult<Void> {
            RunningInAServiceGroupTests.touched.fire()
            return .reply(())
        }
    }

    @Test("a service beside the tree waits for started() and then uses its pool; the group's shutdown stops the tree")
    func frontendWaitsForTheTree() async throws {
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let runtime = quietRuntime()
        try await runtime.run {
            let sessions = WorkerPool(Session.self, id: String.self, name: "sessions")
            let tree = SupervisionTree(name: "sessions") {
                try await Supervisor.start(children: [sessions.registry.childSpec(id: "registry"), sessions.childSpec(id: "pool")])
            }

            struct Frontend: Service {
                let tree: SupervisionTree
                let sessions: WorkerPool<Session, String, Void>

                func run() async throws {
                    try await tree.started()                                  // the pool runs from here on
                    let session = try await sessions.lookupOrStart("alice", arguments: "alice")
                    try await ServerRef<Session>(pid: session).call(.touch)
                    try await gracefulShutdown()                              // serve until the group stops
                }
            }

            let group = ServiceGroup(configuration: .init(
                services: [tree, Frontend(tree: tree, sessions: sessions)], gracefulShutdownSignals: [.sigterm], logger: logger))
            let running = Task { try await group.run() }
            let root = try await tree.started()
            #expect(root.isAlive)
            // The frontend started alice's session once the pool ran, and called it.
            await Self.touched.wait()
            #expect(sessions.lookup("alice") != nil)
            await group.triggerGracefulShutdown()
            try await running.value
            #expect(!root.isAlive)
            await #expect(throws: SupervisionTreeError.stopped) { try await tree.started() }
        }
    }
}
