import Supervision
import Testing
import TestSupport
import WorkerRegistry

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

    @Test("a call's failure is matched by its code with a guard, in a loop; other failures go on up")
    func callFailures() async throws {
        let runtime = quietRuntime()
        try await runtime.run {
            let live = try await Cart.start("alice")
            live.cast(.add("book"))
            let gone = try await Cart.start("bob")
            try await gone.stop()
            let carts = [live, gone]
            var counts: [Int] = []
            for cart in carts {
                do throws(CallError) {
                    counts.append(try await cart.call(.count))
                } catch {
                    guard error.code == .noProcess else { throw error }   // a cart that is gone counts as none
                }
            }
            #expect(counts == [1])
        }
    }

    /// The same pattern in the loops the other errors are handled in (a `while` retrying,
    /// a `for` over many): it must compile wherever people put it. (`catch let error
    /// where …` in these shapes crashed Swift 6.3.1: Scripts/compiler-bugs.)
    @Test("the documented matching pattern compiles and works in retry loops, for each error type")
    func patternInLoops() async throws {
        let runtime = quietRuntime()
        try await runtime.run {
            let gone = try await Cart.start("carol")
            try await gone.stop()
            var attempts = 0
            while attempts < 3 {
                do throws(CallError) {
                    _ = try await gone.call(.count)
                } catch {
                    guard error.code == .noProcess else { throw error }
                    attempts += 1
                }
            }
            #expect(attempts == 3)

            let registry = Registry<String, Void>(keys: .unique, name: "carts")
            let tree = try await Supervisor.start(children: [registry.childSpec(id: "registry")])
            let first = try await Cart.start("dave", name: registry.via("dave"))
            var holders: [PID] = []
            while holders.count < 2 {
                do throws(StartError) {
                    _ = try await Cart.start("dave", name: registry.via("dave"))
                } catch {
                    guard error.code == .alreadyStarted, let holder = error.holder else { throw error }
                    holders.append(holder)
                }
            }
            #expect(holders == [first.pid!, first.pid!])

            var missing = 0
            for id in ["nobody", "nothing"] {
                do throws(SupervisorError) {
                    try await tree.terminateChild(id: id)
                } catch {
                    guard error.code == .notFound else { throw error }
                    missing += 1
                }
            }
            #expect(missing == 2)

            // A whole error compared with ==, in a loop. (`catch .ignored` is no way to do
            // it: in Swift 6.3.1 it crashes the compiler, or hangs it inside a loop.)
            struct Refuser: GenServer {
                static func initialize(_ arguments: Void) async throws -> InitResult<Refuser> { .ignore }
            }
            var ignored = 0
            for _ in 0..<2 {
                do throws(StartError) {
                    _ = try await Refuser.start()
                } catch {
                    guard error == .ignored else { throw error }
                    ignored += 1
                }
            }
            #expect(ignored == 2)
            try await tree.stop()
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
