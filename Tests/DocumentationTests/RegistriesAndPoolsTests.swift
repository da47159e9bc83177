import Supervision
import Testing
import TestSupport
import WorkerRegistry

/// The code of the "Registries and pools" article, run.
@Suite("Article: Registries and pools", .timeLimit(.minutes(Slowdown.scaled(1))))
struct RegistriesAndPoolsTests {
    struct Cart: GenServer {
        enum Request: Sendable { case count }
        typealias Reply = Int
        var count: Int
        static func initialize(_ count: Int) async throws -> InitResult<Cart> { .ok(Cart(count: count)) }
        mutating func handleCall(_ request: Request, from caller: Caller<Int>) async throws -> CallResult<Int> {
            .reply(count)
        }
    }

    @Test("a via name starts, finds and calls a server; its entry ends with it")
    func registry() async throws {
        let runtime = quietRuntime()
        try await runtime.run {
            let sessions = Registry<String, Void>(keys: .unique, name: "sessions")
            let cart = try await Cart.start(0, name: sessions.via("alice"))
            let holder = sessions.whereis("alice")                        // cart's pid
            let count = try await ServerRef<Cart>(name: sessions.via("alice")).call(.count)
            #expect(holder == cart.pid)
            #expect(count == 0)
            await #expect(throws: StartError.alreadyStarted(cart.pid!)) {
                try await Cart.start(5, name: sessions.via("alice"))
            }

            Process.exit(cart.pid!, .kill)
            let gone = sessions.whereis("alice")           // nil: gone when the kill returns
            #expect(gone == nil)
            #expect(sessions.count() == 0)
        }
    }

    @Test("a pool starts one worker per id, finds it, counts it and stops it")
    func pool() async throws {
        let runtime = quietRuntime()
        try await runtime.run {
            let carts = WorkerPool(Cart.self, id: String.self, name: "carts")
            try await carts.start()
            let pid = try await carts.lookupOrStart("bob", arguments: 0)
            let same = carts.lookup("bob")                 // pid again; no allocation, no lock
            let running = carts.count()                    // 1
            #expect(same == pid && running == 1)
            await carts.stop("bob")                        // returns once bob's cart is dead and unregistered
            #expect(!pid.isAlive && carts.lookup("bob") == nil)
            await carts.stopPool()
        }
    }
}
