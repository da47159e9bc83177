import Foundation
import InspectorProtocol
import PoolInspector
import Supervision
import Testing
import WorkerRegistry
import TestSupport

/// The README's "Watch your own app" example, compiled and run: every line of the
/// README's code block appears here, in order (checked by the second test), with the
/// test's own checks between them.
@Suite("README: embedding the inspector in a service", .timeLimit(.minutes(Slowdown.scaled(1))))
struct ReadmeEmbeddingTests {
    struct Session: GenServer, StateDescribing {
        struct Arguments: Sendable { var user: String }
        var user: String
        var carts = 0

        static func initialize(_ arguments: Arguments) async throws -> InitResult<Session> {
            .ok(Session(user: arguments.user))
        }

        func describeState() -> String { "user \(user), \(carts) carts" }
    }

    @Test("the example serves its pool and registry; a client attaches, sees them and may do what the app allows")
    func example() async throws {
        let sessions = WorkerPool(Session.self, id: String.self, name: "sessions")
        let tenants = Registry<String, Int>(keys: .unique, name: "tenants")
        let root = try await Supervisor.start(children: [
            sessions.registry.childSpec(), sessions.childSpec(), tenants.childSpec(),
        ])

        let inspector = Inspector(name: "billing", options: .init(commands: [.stop, .kill, .lookupOrStart]))
        try inspector.watch(sessions) { user in Session.Arguments(user: user) }   // lookupOrStart from the dashboard
        try inspector.watch(tenants)                                              // a plain registry
        try await inspector.start()                                               // pooltui ls · pooltui attach billing

        // What `pooltui attach billing` sees.
        let client = try await InspectorClient.connect(path: try #require(inspector.socketPath), client: "readme")
        #expect(client.hello.app == "billing" && client.hello.pools.map(\.name) == ["sessions", "tenants"])
        #expect(client.hello.pools[0].commands == [.stop, .kill, .lookupOrStart])
        #expect(client.hello.pools[1].commands == [.kill], "a registry has no supervisor to stop through, nor a way to start")
        guard case .command(let started) = try await client.request(.command(CommandRequest(pool: "sessions", .lookupOrStart(id: "alice")))) else {
            Issue.record("lookupOrStart was refused")
            return
        }
        #expect(started.pid == sessions.lookup("alice")?.description)
        guard case .rows(let rows) = try await client.request(.rows(RowsQuery(pool: "sessions"))),
              case .state(let state) = try await client.request(.describeState(StateQuery(pool: "sessions", ref: rows.rows[0].ref, pid: rows.rows[0].pid, timeoutMilliseconds: 5_000)))
        else { return }
        #expect(state.state == "user alice, 0 carts")
        client.close()

        // … the service runs …
        await inspector.stop()
        try await root.stop()
    }

    @Test("the README shows this example, line for line")
    func readmeMatches() throws {
        let here = URL(fileURLWithPath: #filePath)
        let readme = try String(contentsOf: here.deletingLastPathComponent().appendingPathComponent("../../README.md"), encoding: .utf8)
        let source = try String(contentsOf: here, encoding: .utf8)
        let marker = "<!-- embedding example: Tests/PoolInspectorTests/ReadmeEmbeddingTests.swift -->"
        let block = try #require(readme.components(separatedBy: marker).dropFirst().first?
            .components(separatedBy: "```swift\n").dropFirst().first?.components(separatedBy: "```").first)
        var remaining = source.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }[...]
        for line in block.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) where !line.isEmpty && !line.hasPrefix("import ") {
            guard let found = remaining.firstIndex(of: line) else {
                Issue.record("the README's line is not in the test, in order: \(line)")
                return
            }
            remaining = remaining[(found + 1)...]
        }
    }
}
