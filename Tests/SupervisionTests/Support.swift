import Logging
import Supervision
import Testing

/// A runtime whose crash reports are silenced (tests crash processes on purpose).
func quietRuntime(clock: any SupervisionClock = SystemClock.shared, label: String = "test") -> Runtime {
    Runtime(clock: clock, logger: Logger(label: label, factory: { _ in SwiftLogNoOpLogHandler() }), label: label)
}

struct TestFailure: Error, Equatable, CustomStringConvertible {
    var message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// A server with an integer state, used across the suite.
struct Counter: GenServer {
    enum Request: Sendable {
        case get
        case add(Int)
        case crash
        case stop(ExitReason)
        case slow(reply: Int)
        case whoami
        case deferred
        case sleepForever
    }
    enum Message: Sendable { case add(Int), crash, stop(ExitReason) }
    typealias Reply = Int
    typealias Info = Int

    var value: Int

    static func initialize(_ start: Int) async throws -> InitResult<Counter> {
        .ok(Counter(value: start))
    }

    mutating func handleCall(_ request: Request, from caller: Caller<Int>) async throws -> CallResult<Int> {
        switch request {
        case .get: return .reply(value)
        case .add(let n): value += n; return .reply(value)
        case .crash: throw TestFailure("boom")
        case .stop(let reason): return .stop(reason, reply: value)
        case .slow(let reply): await Task.yield(); return .reply(reply)
        case .whoami: return .reply(Int(Process.current!.serial))
        case .deferred:
            let value = self.value
            Task { caller.reply(value * 10) }
            return .noreply
        case .sleepForever:
            try await Task.sleep(for: .seconds(3600))
            return .reply(-1)
        }
    }

    mutating func handleCast(_ message: Message) async throws -> HandleResult {
        switch message {
        case .add(let n): value += n; return .noreply
        case .crash: throw TestFailure("cast boom")
        case .stop(let reason): return .stop(reason)
        }
    }

    mutating func handleInfo(_ message: Int) async throws -> HandleResult {
        value += message
        return .noreply
    }
}

import Synchronization

/// A one-shot event a test can wait on: fired once by the code under test.
final class Latch: Sendable {
    private let state = Mutex<(fired: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    init() {}

    func fire() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard !state.fired else { return [] }
            state.fired = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    var isFired: Bool { state.withLock { $0.fired } }

    func wait() async {
        await withCheckedContinuation { continuation in
            let fired = state.withLock { state -> Bool in
                if state.fired { return true }
                state.waiters.append(continuation)
                return false
            }
            if fired { continuation.resume() }
        }
    }
}

/// A server whose `block` call signals `entered` and then never returns (until killed
/// or cancelled).
struct Blocker: GenServer {
    typealias Arguments = Latch
    enum Request: Sendable { case block, ping }
    typealias Reply = String
    let entered: Latch

    static func initialize(_ entered: Latch) async throws -> InitResult<Blocker> {
        .ok(Blocker(entered: entered))
    }

    mutating func handleCall(_ request: Request, from caller: Caller<String>) async throws -> CallResult<String> {
        switch request {
        case .ping:
            return .reply("pong")
        case .block:
            entered.fire()
            await suspendUntilCancelled()
            return .reply("unreachable")
        }
    }
}

/// Suspends until the calling task is cancelled (for a process: until it is killed).
func suspendUntilCancelled() async {
    let (stream, continuation) = AsyncStream<Never>.makeStream()
    for await _ in stream {}
    continuation.finish()
}
