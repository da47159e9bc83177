import Supervision
import Testing
import TestSupport

/// The code of the "Getting started" article, run.
@Suite("Article: Getting started", .timeLimit(.minutes(Slowdown.scaled(1))))
struct GettingStartedTests {
    struct Cart: GenServer {
        enum Request: Sendable { case count }
        enum Cast: Sendable { case add(String) }
        typealias Reply = Int

        var items: [String] = []

        static func initialize(_ owner: String) async throws -> InitResult<Cart> {
            .ok(Cart())
        }

        mutating func handleCall(_ request: Request, from caller: Caller<Int>) async throws -> CallResult<Int> {
            .reply(items.count)
        }

        mutating func handleCast(_ message: Cast) async throws -> HandleResult {
            if case .add(let item) = message { items.append(item) }
            return .noreply
        }
    }

    @Test("start, cast, call")
    func startAndTalk() async throws {
        let runtime = quietRuntime()
        try await runtime.run {
            let cart = try await Cart.start("alice")
            cart.cast(.add("book"))
            let count = try await cart.call(.count)   // 1: the cast was handled first
            #expect(count == 1)
        }
    }

    @Test("a supervised cart is restarted after a crash, with fresh state")
    func supervise() async throws {
        let runtime = quietRuntime()
        try await runtime.run {
            var restarts = RestartWatch(runtime)
            let root = try await Supervisor.start(children: [
                .worker(Cart.self, arguments: "alice", id: "cart"),
            ], options: .init(strategy: .oneForOne, maxRestarts: 3, period: .seconds(5)))
            let first = try await root.whichChildren()[0].pid!
            ServerRef<Cart>(pid: first).cast(.add("pen"))
            Process.exit(first, .kill)                 // a crash, as far as the supervisor knows
            let second = try #require(await restarts.restart(of: first))
            #expect(second != first)
            #expect(try await root.whichChildren()[0].pid == second)
            #expect(try await ServerRef<Cart>(pid: second).call(.count) == 0, "fresh state")
            try await root.stop()
        }
    }
}
