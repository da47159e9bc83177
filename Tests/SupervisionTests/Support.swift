import Logging
import Supervision
import Testing
import TestSupport
import ScalableLocks

/// Reads a runtime's lifecycle events in order. Subscribe *before* the action whose
/// events the test waits for.
struct EventLog {
    private var iterator: AsyncStream<SupervisionEvent>.Iterator

    init(_ runtime: Runtime) {
        iterator = runtime.events.subscribe().makeAsyncIterator()
    }

    /// The next event that `predicate` accepts; earlier ones are skipped.
    mutating func next(where predicate: (SupervisionEvent.Kind) -> Bool) async -> SupervisionEvent.Kind {
        while let event = await iterator.next() {
            if predicate(event.kind) { return event.kind }
        }
        Issue.record("event stream ended")
        fatalError("event stream ended")
    }

    /// Waits for `pid` to be restarted and returns the new pid.
    mutating func restart(of pid: PID) async -> PID {
        let event = await next {
            if case .restarted(_, _, let old, _, _) = $0 { return old == pid }
            return false
        }
        guard case .restarted(_, _, _, let new, _) = event else { fatalError() }
        return new
    }

    /// Waits for `pid` to exit and returns the reason.
    mutating func exit(of pid: PID) async -> ExitReason {
        let event = await next {
            if case .exited(let exited, _, _) = $0 { return exited == pid }
            return false
        }
        guard case .exited(_, let reason, _) = event else { fatalError() }
        return reason
    }
}

/// A minimal name table for tests, implementing `ProcessName` with an exit hook the way
/// a registry does.
final class NameTable: ProcessExitHook, Sendable {
    private let names = Lock<[String: PID]>([:])

    func name(_ key: String) -> Name { Name(table: self, key: key) }

    struct Name: ProcessName {
        let table: NameTable
        let key: String
        var description: String { "name(\(key))" }
        func whereis() -> PID? { table.names.withLock { $0[key] } }
        func register(_ pid: PID) -> NameRegistration {
            let outcome = table.names.withLock { names -> NameRegistration in
                if let holder = names[key] { return .taken(by: holder) }
                names[key] = pid
                return .registered
            }
            guard outcome == .registered else { return outcome }
            guard Process.addExitHook(table, to: pid) else {
                table.names.withLock { _ = $0.removeValue(forKey: key) }
                return .notAlive
            }
            return .registered
        }
    }

    func processExiting(_ pid: PID, reason: ExitReason) {
        names.withLock { names in
            for (key, holder) in names where holder == pid { names.removeValue(forKey: key) }
        }
    }

    func names(of pid: PID) -> [String] {
        names.withLock { $0.filter { $0.value == pid }.map(\.key).sorted() }
    }
}

// MARK: - Servers used across the suite

/// A server with an integer state.
struct Counter: GenServer {
    enum Request: Sendable {
        case get
        case add(Int)
        case crash
        case stop(ExitReason)
        case whoami
        case deferred
        case parent
    }
    enum Cast: Sendable { case add(Int), crash, stop(ExitReason) }
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
        case .whoami: return .reply(Int(Process.current!.serial))
        case .parent: return .reply(Int(Process.info(Process.current!)?.parent?.serial ?? 0))
        case .deferred:
            let value = self.value
            Task { caller.reply(value * 10) }
            return .noreply
        }
    }

    mutating func handleCast(_ message: Cast) async throws -> HandleResult {
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

/// A server whose `block` call signals `entered` and then suspends until the process is
/// killed.
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
            return .reply("cancelled")
        }
    }
}

/// What `Scripted.initialize` does.
enum InitScript: Sendable {
    case ok
    case ignore
    case stop(ExitReason)
    case throwError(String)
    case hang(Latch)
    case trapExits
}

/// A server whose `initialize` follows a script and which records its `terminate`.
struct Scripted: GenServer {
    struct Arguments: Sendable {
        var script: InitScript
        var terminated: Recorder<ExitReason>? = nil
        var terminateHangs: Latch? = nil
    }
    enum Request: Sendable { case ping }
    typealias Reply = String

    let arguments: Arguments

    static func initialize(_ arguments: Arguments) async throws -> InitResult<Scripted> {
        switch arguments.script {
        case .ok: return .ok(Scripted(arguments: arguments))
        case .ignore: return .ignore
        case .stop(let reason): return .stop(reason)
        case .throwError(let message): throw TestFailure(message)
        case .hang(let entered):
            entered.fire()
            await suspendUntilCancelled()
            return .ok(Scripted(arguments: arguments))
        case .trapExits:
            try Process.flag(trapExit: true)
            return .ok(Scripted(arguments: arguments))
        }
    }

    mutating func handleCall(_ request: Request, from caller: Caller<String>) async throws -> CallResult<String> {
        .reply("pong")
    }

    mutating func terminate(_ reason: ExitReason) async {
        arguments.terminated?.record(reason)
        if let hangs = arguments.terminateHangs {
            hangs.fire()
            await suspendUntilCancelled()
        }
    }
}

/// A worker that records its start and its terminate in a shared log, traps exits (so
/// terminate runs on shutdown) and can be told to exit with any reason.
struct Tracked: GenServer {
    struct Arguments: Sendable {
        var id: String
        var log: Recorder<String>
        var failStart: Toggle? = nil
    }
    enum Request: Sendable { case id }
    typealias Reply = String
    enum Cast: Sendable { case exit(ExitReason), crash }

    let arguments: Arguments

    static func initialize(_ arguments: Arguments) async throws -> InitResult<Tracked> {
        if arguments.failStart?.isOn == true {
            arguments.log.record("fail \(arguments.id)")
            throw TestFailure("start of \(arguments.id) refused")
        }
        try Process.flag(trapExit: true)
        arguments.log.record("start \(arguments.id)")
        return .ok(Tracked(arguments: arguments))
    }

    mutating func handleCall(_ request: Request, from caller: Caller<String>) async throws -> CallResult<String> {
        .reply(arguments.id)
    }

    mutating func handleCast(_ message: Cast) async throws -> HandleResult {
        switch message {
        case .exit(let reason): return .stop(reason)
        case .crash: throw TestFailure("crash of \(arguments.id)")
        }
    }

    mutating func terminate(_ reason: ExitReason) async {
        arguments.log.record("stop \(arguments.id)")
    }

    static func spec(_ id: String, log: Recorder<String>, restart: RestartPolicy = .permanent,
                     failStart: Toggle? = nil) -> ChildSpec {
        .worker(Tracked.self, arguments: .init(id: id, log: log, failStart: failStart), id: id, restart: restart)
    }
}

/// A flag shared between a test and the code under test.
final class Toggle: Sendable {
    private let value: Lock<Bool>
    init(_ value: Bool = false) { self.value = Lock(value) }
    var isOn: Bool { value.withLock { $0 } }
    func set(_ on: Bool) { value.withLock { $0 = on } }
}

extension Supervisor {
    /// The pid of the running child `id`.
    func pid(of id: String) async throws -> PID? {
        try await whichChildren().first { $0.id == id }?.pid
    }

    /// Waits until the watched child has exited and the supervisor has handled its exit:
    /// the watch fires after the exit signal reached the supervisor's mailbox, and the
    /// snapshot call is handled after it.
    func afterExit(of watch: ExitWatch) async throws -> SupervisorSnapshot {
        _ = try await watch.reason
        return try await snapshot()
    }
}
