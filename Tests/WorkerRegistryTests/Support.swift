import Logging
import Supervision
import Testing
import WorkerRegistry
import TestSupport
import ScalableLocks

/// Runs `body` as a process and returns what it returns: for APIs that act on "the
/// calling process".
func inProcess<T: Sendable>(runtime: Runtime, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let result = Lock<Result<T, any Error>?>(nil)
    let done = Latch()
    Process.spawn(runtime: runtime) { _ in
        let outcome: Result<T, any Error>
        do { outcome = .success(try await body()) } catch { outcome = .failure(error) }
        result.withLock { $0 = outcome }
        done.fire()
    }
    await done.wait()
    return try result.withLock { $0! }.get()
}

/// A process that registers keys on request and otherwise waits: the "caller" of
/// registry operations in tests. Ends when killed.
struct Holder: Sendable {
    let pid: PID
    private let requests: AsyncStream<@Sendable () -> Void>.Continuation

    init(runtime: Runtime) async {
        let (stream, continuation) = AsyncStream<@Sendable () -> Void>.makeStream()
        let ready = Latch()
        pid = Process.spawn(runtime: runtime) { _ in
            ready.fire()
            for await request in stream { request() }
        }
        requests = continuation
        await ready.wait()
    }

    /// Runs `body` inside the holder process and returns its result.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let result = Lock<Result<T, any Error>?>(nil)
        let done = Latch()
        requests.yield {
            result.withLock { $0 = Result { try body() } }
            done.fire()
        }
        await done.wait()
        return try result.withLock { $0! }.get()
    }
}

/// The worker of the pool tests.
struct PoolWorker: GenServer {
    enum Mode: Sendable {
        case ok, fail, ignore, hang(Latch), startsOnce(StartCount)
        /// Starts at once the first time; every later start (a restart) fires `entered`
        /// and waits for `gate`.
        case restartsWait(StartCount, entered: Latch, gate: Latch)
    }
    struct Arguments: Sendable {
        var value: Int
        var mode: Mode = .ok
        init(_ value: Int, mode: Mode = .ok) {
            self.value = value
            self.mode = mode
        }
    }
    enum Request: Sendable { case value, crash }
    typealias Reply = Int

    var value: Int

    static func initialize(_ arguments: Arguments) async throws -> InitResult<PoolWorker> {
        switch arguments.mode {
        case .ok: return .ok(PoolWorker(value: arguments.value))
        case .fail: throw TestFailure("invalid arguments \(arguments.value)")
        case .startsOnce(let starts):
            guard starts.next() == 1 else { throw TestFailure("cannot start again") }
            return .ok(PoolWorker(value: arguments.value))
        case .restartsWait(let starts, let entered, let gate):
            if starts.next() > 1 {
                entered.fire()
                await gate.wait()
            }
            return .ok(PoolWorker(value: arguments.value))
        case .ignore: return .ignore
        case .hang(let entered):
            entered.fire()
            await suspendUntilCancelled()
            return .ok(PoolWorker(value: arguments.value))
        }
    }

    mutating func handleCall(_ request: Request, from caller: Caller<Int>) async throws -> CallResult<Int> {
        switch request {
        case .value: return .reply(value)
        case .crash: throw TestFailure("crash")
        }
    }
}

/// Counts a worker's starts; `third` fires when the third begins (its second restart).
final class StartCount: Sendable {
    private let count = Lock(0)
    let third = Latch()
    func next() -> Int {
        let value = count.withLock { $0 += 1; return $0 }
        if value == 3 { third.fire() }
        return value
    }
    var value: Int { count.withLock { $0 } }
}
