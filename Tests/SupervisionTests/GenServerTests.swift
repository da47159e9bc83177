import Supervision
import Testing

@Suite("GenServer: calls, casts, ordering")
struct GenServerTests {
    let runtime = quietRuntime()

    @Test("a call returns the server's reply")
    func callReturnsReply() async throws {
        let counter = try await Counter.start(41, runtime: runtime)
        #expect(try await counter.call(.add(1)) == 42)
        #expect(try await counter.call(.get) == 42)
    }

    @Test("a cast followed by a call from one sender is handled in that order")
    func castThenCallOrdering() async throws {
        let counter = try await Counter.start(0, runtime: runtime)
        for i in 1...1000 {
            counter.cast(.add(1))
            #expect(try await counter.call(.get) == i)
        }
    }

    @Test("a call to a dead pid throws noProcess")
    func callDeadPid() async throws {
        let counter = try await Counter.start(0, runtime: runtime)
        Process.exit(counter.pid!, .kill)
        await #expect(throws: CallError.noProcess(target: counter.description)) {
            try await counter.call(.get)
        }
    }

    @Test("a server that crashes while handling gives the caller exited(error)")
    func callCrash() async throws {
        let counter = try await Counter.start(0, runtime: runtime)
        await #expect(throws: CallError.exited(.error(TestFailure("boom")))) {
            try await counter.call(.crash)
        }
        #expect(counter.pid!.isAlive == false)
    }

    @Test("the server knows its own pid as the calling process")
    func selfPid() async throws {
        let counter = try await Counter.start(0, runtime: runtime)
        #expect(try await counter.call(.whoami) == Int(counter.pid!.serial))
    }

    @Test("a deferred reply reaches the caller")
    func deferredReply() async throws {
        let counter = try await Counter.start(7, runtime: runtime)
        #expect(try await counter.call(.deferred) == 70)
    }

    @Test("kill while a call is in flight: the caller gets exited(killed) once kill returns")
    func killDuringCall() async throws {
        let entered = Latch()
        let blocker = try await Blocker.start(entered, runtime: runtime)
        let pid = blocker.pid!
        let call = Task { try await blocker.call(.block, timeout: .infinity) }
        await entered.wait()
        Process.exit(pid, .kill)
        #expect(!pid.isAlive)
        await #expect(throws: CallError.exited(.killed)) { try await call.value }
    }
}
