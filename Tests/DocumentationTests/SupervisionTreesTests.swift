import Supervision
import Testing
import TestSupport

/// The code of the "Supervision trees" article, run.
@Suite("Article: Supervision trees", .timeLimit(.minutes(Slowdown.scaled(1))))
struct SupervisionTreesTests {
    /// A server with nothing to say: the tree's shape is what matters here.
    struct Directory: GenServer {
        static func initialize(_ arguments: Void) async throws -> InitResult<Directory> { .ok(Directory()) }
    }

    @Test("rest_for_one: a pool under a directory; a restart within the intensity; stop in reverse order")
    func tree() async throws {
        let runtime = quietRuntime()
        try await runtime.run {
            let root = try await Supervisor.start(children: [
                .worker(Directory.self, arguments: (), id: "directory"),
                DynamicSupervisor.childSpec(id: "sessions", options: .init(maxChildren: 10_000, metricsName: "sessions")),
            ], options: .init(strategy: .restForOne, maxRestarts: 3, period: .seconds(5), metricsName: "root"))

            let sessions = try await root.dynamicSupervisor(id: "sessions")
            let session = try await sessions.startChild(.worker(Directory.self, arguments: (), restart: .temporary))
            #expect(session.pid != nil)
            #expect(sessions.countChildren().active == 1)

            var restarts = RestartWatch(runtime)
            let watchSessions = Process.watch(sessions.pid)
            let first = try await root.whichChildren()[0].pid!
            Process.exit(first, .kill)                      // one restart: within the intensity
            // rest_for_one: the directory restarts, and the pool started after it too.
            let directory = try #require(await restarts.restart(of: first))
            #expect(try await watchSessions.reason == .shutdown)
            let children = try await root.whichChildren()
            #expect(children.map(\.id) == ["directory", "sessions"])
            #expect(children[0].pid == directory)
            #expect(children[1].pid != sessions.pid)

            let down = Process.watch(root.pid)
            try await root.stop()                           // sessions first, then the directory
            #expect(try await down.reason == .normal)
            #expect(runtime.liveProcessCount == 0)
        }
    }
}
