import Supervision
import Testing
import TestSupport

/// A server in the shape of an Elixir worker with an idle timeout and continuations: it
/// writes what runs, in order, to its journal.
struct Idler: GenServer, StateDescribing {
    struct Arguments: Sendable {
        var journal: Recorder<String>
        /// What `initialize` asks for after it returns.
        var then: Then?
        /// A message `initialize` sends to the server itself before returning.
        var pokesItself = false
    }
    enum Request: Sendable {
        /// Answers at once and asks for `then`, after poking itself.
        case ping(then: Then?)
        /// Answers later, from `handleContinue("answer")`.
        case answerFromContinue
        /// Answers later, from `handleTimeout()`, after 5 s without a message.
        case answerOnTimeout
    }
    typealias Reply = String
    enum Cast: Sendable {
        /// Asks for `then` (nothing: `.noreply`).
        case touch(then: Then?)
    }
    enum Info: Sendable { case poke }
    typealias Continue = String

    let journal: Recorder<String>
    var pending: Caller<String>?

    static func initialize(_ arguments: Arguments) async throws -> InitResult<Idler> {
        arguments.journal.record("init")
        if arguments.pokesItself { Process.send(Process.current!, Info.poke) }
        let idler = Idler(journal: arguments.journal)
        guard let then = arguments.then else { return .ok(idler) }
        return .ok(idler, then: then)
    }

    mutating func handleCall(_ request: Request, from caller: Caller<String>) async throws -> CallResult<String> {
        switch request {
        case .ping(let then):
            journal.record("ping")
            Process.send(Process.current!, Info.poke)
            guard let then else { return .reply("pong") }
            return .reply("pong", then: then)
        case .answerFromContinue:
            journal.record("deferred")
            pending = caller
            return .continue("answer")
        case .answerOnTimeout:
            journal.record("deferred")
            pending = caller
            return .timeout(.seconds(5))
        }
    }

    mutating func handleCast(_ message: Cast) async throws -> HandleResult {
        guard case .touch(let then) = message else { return .noreply }
        journal.record("touch")
        switch then {
        case nil: return .noreply
        case .timeout(let duration)?: return .timeout(duration)
        case .continue(let work)?: return .continue(work)
        }
    }

    mutating func handleInfo(_ message: Info) async throws -> HandleResult {
        journal.record("poke")
        return .noreply
    }

    mutating func handleContinue(_ work: String) async throws -> HandleResult {
        journal.record("continue \(work)")
        switch work {
        case "answer":
            pending?.reply("answered")
            return .noreply
        case "again": return .continue("last")
        case "then idle": return .timeout(.seconds(1))
        case "stop": return .stop(.normal)
        default: return .noreply
        }
    }

    mutating func handleTimeout() async throws -> HandleResult {
        journal.record("timeout")
        pending?.reply("timed out")
        pending = nil
        return .noreply
    }

    func describeState() -> String { "idler" }
}

/// A server that asks for a timeout it does not handle.
struct Forgetful: GenServer {
    enum Request: Sendable { case get }
    typealias Reply = Int
    static func initialize(_ arguments: Void) async throws -> InitResult<Forgetful> { .ok(Forgetful(), then: .timeout(.seconds(1))) }
    mutating func handleCall(_ request: Request, from caller: Caller<Int>) async throws -> CallResult<Int> { .reply(7) }
}

/// OTP's timeouts and continuations (`{:noreply, state, timeout}`, `handle_info(:timeout, …)`,
/// `{:continue, term}`, `handle_continue/2`), on the runtime's clock.
@Suite("GenServer timeouts and continuations, as in OTP", .timeLimit(.minutes(Slowdown.scaled(1))))
struct TimeoutAndContinueTests {
    let clock = ManualClock()
    let runtime: Runtime
    let journal = Recorder<String>()

    init() {
        runtime = quietRuntime(clock: clock)
    }

    func start(then: Then? = nil, pokesItself: Bool = false) async throws -> ServerRef<Idler> {
        try await Idler.start(.init(journal: journal, then: then, pokesItself: pokesItself), runtime: runtime)
    }

    /// The journal once everything the server had in its mailbox, then a ping and the
    /// poke the ping sends itself, were handled.
    func settled(_ server: ServerRef<Idler>) async throws -> [String] {
        _ = try await server.call(.ping(then: nil))
        await server.sync()
        return journal.all
    }

    // MARK: Timeouts

    @Test("a timeout asked for by initialize runs handleTimeout once the server was idle that long, on the runtime's clock")
    func timeoutFromInit() async throws {
        let server = try await start(then: .timeout(.seconds(10)))
        await clock.waitForTimers(atLeast: 1)
        clock.advance(by: .seconds(9))
        await server.castAndSync(.touch(then: .timeout(.seconds(10))))
        #expect(journal.all == ["init", "touch"], "not yet, and the touch re-armed it")
        clock.advance(by: .seconds(9))
        await server.sync()
        #expect(journal.all == ["init", "touch"])
        clock.advance(by: .seconds(1))
        #expect(try await settled(server) == ["init", "touch", "timeout", "ping", "poke"])
    }

    @Test("any message cancels a pending timeout")
    func messageCancels() async throws {
        let server = try await start(then: .timeout(.seconds(10)))
        await clock.waitForTimers(atLeast: 1)
        await server.castAndSync(.touch(then: nil))
        clock.advance(by: .seconds(60))
        #expect(try await settled(server) == ["init", "touch", "ping", "poke"], "no timeout")
    }

    @Test("a reply can ask for a timeout, which later messages cancel or re-arm")
    func replyWithTimeout() async throws {
        let server = try await start()
        #expect(try await server.call(.ping(then: .timeout(.seconds(5)))) == "pong")
        // The ping's own poke came after the reply: it cancelled the timeout.
        clock.advance(by: .seconds(10))
        #expect(try await settled(server) == ["init", "ping", "poke", "ping", "poke"])
        await server.castAndSync(.touch(then: .timeout(.seconds(5))))
        clock.advance(by: .seconds(5))
        #expect(try await settled(server) == ["init", "ping", "poke", "ping", "poke", "touch", "timeout", "ping", "poke"])
    }

    @Test("a tool reading the server's state does not cancel its timeout")
    func describeDoesNotCancel() async throws {
        let server = try await start(then: .timeout(.seconds(10)))
        await clock.waitForTimers(atLeast: 1)
        #expect(try await Process.describeState(of: server.pid!, timeout: .infinity) == "idler")
        clock.advance(by: .seconds(10))
        #expect(try await settled(server) == ["init", "timeout", "ping", "poke"])
    }

    @Test("a zero timeout fires at once when no message waits, and is cancelled by one that does")
    func zeroTimeout() async throws {
        let server = try await start(then: .timeout(.zero))
        #expect(try await settled(server) == ["init", "timeout", "ping", "poke"])
        // A message already waiting when the zero timeout is asked for wins.
        let waiting = try await start(then: .timeout(.zero), pokesItself: true)
        #expect(try await settled(waiting).suffix(4) == ["init", "poke", "ping", "poke"],
                "the poke sent during initialize came first and cancelled it")
    }

    @Test("a server that asks for a timeout it does not handle logs a warning when it fires, and goes on")
    func unhandledTimeout() async throws {
        let captured = LogCapture()
        let runtime = Runtime(clock: clock, logger: captured.logger(), label: "forgetful")
        let server = try await Forgetful.start(runtime: runtime)
        await clock.waitForTimers(atLeast: 1)
        #expect(!captured.records.contains { $0.message.contains("handleTimeout") })
        clock.advance(by: .seconds(1))
        // The timeout was in the mailbox before this call: handled by the time it returns.
        #expect(try await server.call(.get) == 7)
        let warning = try #require(captured.records.first { $0.message.contains("does not implement handleTimeout()") })
        #expect(warning.level == .warning && warning.metadata["process.pid"] == "\(server.pid!)")
        #expect(server.pid?.isAlive == true)
    }

    @Test("a call can be answered later with a timeout, and answered from handleTimeout")
    func callAnsweredOnTimeout() async throws {
        let server = try await start()
        let answer = Task { try await server.call(.answerOnTimeout, timeout: .infinity) }
        await clock.waitForTimers(atLeast: 1)
        clock.advance(by: .seconds(5))
        #expect(try await answer.value == "timed out")
        #expect(try await settled(server) == ["init", "deferred", "timeout", "ping", "poke"])
    }

    @Test("a timeout armed before the server stopped never fires into it")
    func timeoutAfterStop() async throws {
        let server = try await start(then: .timeout(.seconds(10)))
        await clock.waitForTimers(atLeast: 1)
        try await server.stop()
        #expect(clock.pendingTimerCount == 0, "the timer of a dead server is settled")
        clock.advance(by: .seconds(60))
        #expect(journal.all == ["init"])
        #expect(runtime.liveProcessCount == 0)
    }

    // MARK: Continuations

    @Test("a continuation asked for by initialize runs before any message, even one sent during initialize")
    func continueAfterInit() async throws {
        let server = try await start(then: .continue("load"), pokesItself: true)
        #expect(try await settled(server) == ["init", "continue load", "poke", "ping", "poke"])
    }

    @Test("a continuation asked for with a reply runs before the next message")
    func continueAfterReply() async throws {
        let server = try await start()
        #expect(try await server.call(.ping(then: .continue("after"))) == "pong")
        // The handler poked itself before replying: the continuation still came first.
        #expect(try await settled(server) == ["init", "ping", "continue after", "poke", "ping", "poke"])
    }

    @Test("a continuation can answer a deferred call, continue again, or arm a timeout")
    func continuationChains() async throws {
        let server = try await start()
        #expect(try await server.call(.answerFromContinue) == "answered")
        await server.castAndSync(.touch(then: .continue("again")))
        await server.castAndSync(.touch(then: .continue("then idle")))
        clock.advance(by: .seconds(1))
        #expect(try await settled(server) == ["init", "deferred", "continue answer", "touch", "continue again", "continue last",
                                              "touch", "continue then idle", "timeout", "ping", "poke"])
    }

    @Test("a continuation can stop the server, which runs terminate and exits with the reason")
    func continuationStops() async throws {
        let server = try await start()
        let watch = Process.watch(server.pid!)
        server.cast(.touch(then: .continue("stop")))
        #expect(try await watch.reason == .normal)
        #expect(journal.all == ["init", "touch", "continue stop"])
    }

    @Test("work that is not the server's Continue type crashes it with UnexpectedContinue")
    func wrongContinueType() async throws {
        let server = try await start()
        let watch = Process.watch(server.pid!)
        server.cast(.touch(then: .continue(42)))
        let reason = try await watch.reason
        guard case .error(let error) = reason, let unexpected = error as? UnexpectedContinue else {
            Issue.record("exited with \(reason)")
            return
        }
        #expect(unexpected.given == "Int" && unexpected.expected == "String")
    }
}

extension ServerRef where Server == Idler {
    /// Casts, then waits until the cast was handled (a call behind it returned).
    func castAndSync(_ message: Idler.Cast) async {
        cast(message)
        await sync()
    }

    /// Waits until everything sent before was handled, without adding to the journal.
    func sync() async {
        _ = try? await Process.describeState(of: pid!, timeout: .infinity)
    }
}
