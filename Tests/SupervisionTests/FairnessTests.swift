import Foundation
import Logging
import Supervision
import Synchronization
import Testing
import TestSupport

/// A count shared between a busy process and the one that reads it.
final class Tally: Sendable {
    let count = Atomic<Int>(0)
    func add() { count.add(1, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}

/// Counts every cast.
struct Flood: GenServer {
    enum Cast: Sendable { case one }
    let tally: Tally
    static func initialize(_ tally: Tally) async throws -> InitResult<Flood> { .ok(Flood(tally: tally)) }
    mutating func handleCast(_ message: Cast) async throws -> HandleResult {
        tally.add()
        return .noreply
    }
}

/// Answers how far a tally had got when its call was handled.
struct Ping: GenServer {
    enum Request: Sendable { case read }
    typealias Reply = Int
    let tally: Tally
    static func initialize(_ tally: Tally) async throws -> InitResult<Ping> { .ok(Ping(tally: tally)) }
    mutating func handleCall(_ request: Request, from caller: Caller<Int>) async throws -> CallResult<Int> {
        .reply(tally.value)
    }
}

@Suite("Fairness: a busy process gives its thread back")
struct FairnessTests {
    /// A runtime on one thread, whose clock stands still: only the message budget counts.
    func oneThread(_ fairness: Runtime.Fairness) -> (Runtime, SingleThreadExecutor) {
        let executor = SingleThreadExecutor("a fairness test's runtime")
        let runtime = Runtime(clock: ManualClock(), executor: executor,
                              logger: Logger(label: "fairness", factory: { _ in SwiftLogNoOpLogHandler() }),
                              label: "fairness", fairness: fairness)
        return (runtime, executor)
    }

    /// Runs `body` as a process of `runtime` and returns what it returns.
    func inProcess<T: Sendable>(_ runtime: Runtime, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let (stream, continuation) = AsyncStream<Result<T, any Error>>.makeStream()
        Process.spawn(runtime: runtime) { _ in
            do { continuation.yield(.success(try await body())) } catch { continuation.yield(.failure(error)) }
            continuation.finish()
        }
        for await result in stream { return try result.get() }
        throw TestFailure("the process ended without an answer")
    }

    /// Casts 10,000 messages to a server, then calls another one on the same thread:
    /// how many of the casts had been handled when the call was answered.
    func handledBeforePing(_ fairness: Runtime.Fairness) async throws -> (beforePing: Int, flooded: Tally, runtime: Runtime, executor: SingleThreadExecutor) {
        let (runtime, executor) = oneThread(fairness)
        let flooded = Tally()
        let flood = try await Flood.start(flooded, runtime: runtime)
        let ping = try await Ping.start(flooded, runtime: runtime)
        let seen = try await inProcess(runtime) {
            for _ in 0..<10_000 { flood.cast(.one) }
            return try await ping.call(.read)
        }
        return (seen, flooded, runtime, executor)
    }

    @Test("a server with 10,000 casts queued lets another server answer after its budget of 100")
    func floodedServerYields() async throws {
        let (seen, flooded, runtime, executor) = try await handledBeforePing(.init(messagesPerSlice: 100, timePerSlice: .seconds(1)))
        defer { executor.shutdown() }
        #expect(seen == 100)
        // The flood is still all handled, in its own time.
        let ping = try await Ping.start(flooded, runtime: runtime)
        let all = try await inProcess(runtime) {
            while flooded.value < 10_000 { _ = try await ping.call(.read) }
            return flooded.value
        }
        #expect(all == 10_000)
    }

    @Test("with no budget the same flood holds the thread until its mailbox is empty (what OTP's preemption prevents)")
    func unboundedServerStarves() async throws {
        let (seen, _, _, executor) = try await handledBeforePing(.unbounded)
        defer { executor.shutdown() }
        #expect(seen == 10_000)
    }

    @Test("a receive loop with mail always waiting yields after its budget")
    func receiveLoopYields() async throws {
        let (runtime, executor) = oneThread(.init(messagesPerSlice: 100, timePerSlice: .seconds(1)))
        defer { executor.shutdown() }
        let received = Tally()
        let ping = try await Ping.start(received, runtime: runtime)
        let seen = try await inProcess(runtime) {
            let reader = Process.spawn { inbox in
                while true {
                    _ = try await inbox.receive()
                    received.add()
                }
            }
            for index in 0..<10_000 { Process.send(reader, index) }
            return try await ping.call(.read)
        }
        #expect(seen == 100)
    }

    @Test("a supervisor retrying a restart that keeps failing lets other processes run")
    func restartLoopYields() async throws {
        let (runtime, executor) = oneThread(.init(messagesPerSlice: 100, timePerSlice: .seconds(1)))
        defer { executor.shutdown() }
        let attempts = Tally()
        let mended = Atomic<Bool>(false)
        let ping = try await Ping.start(attempts, runtime: runtime)
        let supervisor = try await DynamicSupervisor.start(options: .init(maxRestarts: 100_000, period: .seconds(3_600)), runtime: runtime)
        // The child starts once, crashes at once, and every restart of it fails.
        let spec = ChildSpec(id: "doomed") {
            attempts.add()
            if mended.load(ordering: .relaxed) { return try await Counter.startLink(0).pid! }
            guard attempts.value == 1 else { throw TestFailure("cannot start") }
            return Process.spawn(link: true) { _ in throw TestFailure("crash") }
        }
        let seen = try await inProcess(runtime) {
            _ = try await supervisor.startChild(spec)
            // Wait until the retries are under way, then ask.
            var seen = try await ping.call(.read)
            while seen < 2 { seen = try await ping.call(.read) }
            seen = try await ping.call(.read)
            // The next attempt succeeds: the loop ends well before its intensity runs out.
            mended.store(true, ordering: .relaxed)
            return seen
        }
        #expect(seen < 1_000, "the ping was answered while the supervisor kept retrying (\(seen) attempts)")
        try await supervisor.sync()
        #expect(supervisor.pid.isAlive && supervisor.countChildren().active == 1)
        try await supervisor.stop()
    }

    @Test("a run of messages that takes too long on the runtime's clock yields before its count is spent")
    func timeBudgetYields() async throws {
        let clock = ManualClock()
        let executor = SingleThreadExecutor("a fairness test's runtime")
        defer { executor.shutdown() }
        let runtime = Runtime(clock: clock, executor: executor,
                              logger: Logger(label: "fairness", factory: { _ in SwiftLogNoOpLogHandler() }),
                              label: "fairness", fairness: .init(messagesPerSlice: 10_000, timePerSlice: .milliseconds(1)))
        let handled = Tally()
        // Each message takes 100 µs of the runtime's clock.
        let slow = try await Slow.start(.init(tally: handled, clock: clock, cost: .microseconds(100)), runtime: runtime)
        let ping = try await Ping.start(handled, runtime: runtime)
        let seen = try await inProcess(runtime) {
            for _ in 0..<1_000 { slow.cast(.one) }
            return try await ping.call(.read)
        }
        // The clock is read on every eighth message: the run's time counts from its eighth
        // (at 0.7 ms), and at the 24th 1.6 ms have passed: it yields with 23 handled.
        #expect(seen == 23)
    }
}

/// Counts casts, each advancing a manual clock by `cost`.
struct Slow: GenServer {
    struct Arguments: Sendable {
        var tally: Tally
        var clock: ManualClock
        var cost: Duration
    }
    enum Cast: Sendable { case one }
    let arguments: Arguments
    static func initialize(_ arguments: Arguments) async throws -> InitResult<Slow> { .ok(Slow(arguments: arguments)) }
    mutating func handleCast(_ message: Cast) async throws -> HandleResult {
        arguments.clock.advance(by: arguments.cost)
        arguments.tally.add()
        return .noreply
    }
}
