/// A server process in the shape of OTP's `gen_server`: state initialised from start
/// arguments, then one message at a time — calls (request → reply), casts and plain
/// messages — until it stops.
///
/// Conforming types are the server's *state*. The runtime owns the value: it is created
/// by ``initialize(_:)`` inside the new process, mutated only by the handlers, one
/// message at a time and never concurrently, and dropped when the process exits. It
/// therefore need not be `Sendable`, like an actor's stored properties.
///
/// ```swift
/// struct Counter: GenServer {
///     enum Request: Sendable { case get, increment(by: Int) }
///     var value: Int
///
///     static func initialize(_ start: Int) async throws -> InitResult<Counter> {
///         .ok(Counter(value: start))
///     }
///
///     mutating func handleCall(_ request: Request, from caller: Caller<Int>) async throws -> CallResult<Int> {
///         switch request {
///         case .get: return .reply(value)
///         case .increment(let n): value += n; return .reply(value)
///         }
///     }
/// }
///
/// let counter = try await Counter.start(41)
/// try await counter.call(.increment(by: 1))   // 42
/// ```
///
/// Every handler may throw: the process then crashes with ``ExitReason/error(_:)``,
/// ``terminate(_:)`` runs, and a pending caller gets ``CallError/exited(_:)``.
public protocol GenServer: SendableMetatype {
    /// What ``initialize(_:)`` receives from the starter.
    associatedtype Arguments: Sendable = Void
    /// Requests accepted by ``handleCall(_:from:)``.
    associatedtype Request: Sendable = Never
    /// Replies to those requests.
    associatedtype Reply: Sendable = Void
    /// Casts — one-way requests, ``ServerRef/cast(_:)`` — accepted by
    /// ``handleCast(_:)``: what OTP's `handle_cast/2` receives.
    associatedtype Cast: Sendable = Never
    /// Plain messages (`Process/send(_:_:)`, timers, anything not a call or a cast)
    /// accepted by ``handleInfo(_:)``: OTP's `Info` in `handle_info/2`.
    associatedtype Info: Sendable = Never
    /// Work a handler asks to run next, before any message (``Then/continue(_:)``),
    /// handed to ``handleContinue(_:)``: the term of OTP's `{:continue, term}`.
    associatedtype Continue: Sendable = Never

    /// Creates the state inside the new process: OTP's `init/1`.
    ///
    /// Runs as the new process (``Process/current`` is its pid; names registered here
    /// belong to it; `Process.flag(trapExit:)` applies to it). The starter waits for it.
    /// Return ``InitResult/ok(_:)`` to run, ``InitResult/ignore`` to start nothing, or
    /// ``InitResult/stop(_:)`` (or throw) to fail the start.
    static func initialize(_ arguments: Arguments) async throws -> InitResult<Self>

    /// Handles a call: OTP's `handle_call/3`.
    mutating func handleCall(_ request: Request, from caller: Caller<Reply>) async throws -> CallResult<Reply>

    /// Handles a cast: OTP's `handle_cast/2`.
    mutating func handleCast(_ message: Cast) async throws -> HandleResult

    /// Handles a plain message: OTP's `handle_info/2`.
    mutating func handleInfo(_ message: Info) async throws -> HandleResult

    /// Handles an exit signal received as a message because the server traps exits
    /// (OTP delivers these to `handle_info`). An exit signal from the server's parent is
    /// not delivered here: as in OTP, the server then runs ``terminate(_:)`` and exits
    /// with the same reason. Defaults to ignoring the signal.
    mutating func handleExit(from pid: PID?, reason: ExitReason) async throws -> HandleResult

    /// Handles the `DOWN` of a monitor this server set (OTP delivers these to
    /// `handle_info`). Defaults to ignoring it.
    mutating func handleDown(_ monitor: MonitorRef, reason: ExitReason) async throws -> HandleResult

    /// Runs the work a handler (or `initialize`) asked for with ``Then/continue(_:)``,
    /// before the server takes its next message: OTP's `handle_continue/2`. Use it for
    /// work that must not delay the starter or the caller — loading state after
    /// `initialize` returned, sending after a reply — and that no message may overtake.
    mutating func handleContinue(_ work: Continue) async throws -> HandleResult

    /// Called when the server was idle for the ``Then/timeout(_:)`` a handler (or
    /// `initialize`) asked for: no message arrived meanwhile. OTP's `handle_info(:timeout, …)`.
    /// Any message that arrives first cancels the timeout; a tool reading the server's
    /// state (``StateDescribing``) neither cancels nor restarts it (OTP's system
    /// messages restart it). Measured on the runtime's clock, so
    /// `ManualClock` and Lockstep drive it. Defaults to logging a warning and going on.
    mutating func handleTimeout() async throws -> HandleResult

    /// Called when the server stops in an orderly way: a handler returned `.stop`, a
    /// handler threw, ``ServerRef/stop(_:timeout:)`` was called, or — when it traps
    /// exits — its parent asked it to shut down. Not called when it is killed, or when
    /// it does not trap exits and a linked process or its parent ends it.
    mutating func terminate(_ reason: ExitReason) async
}

/// What ``GenServer/initialize(_:)`` decided: ``ok(_:)``, ``ok(_:then:)``, ``ignore`` or
/// ``stop(_:)``.
public struct InitResult<Server> {
    @usableFromInline
    enum Decision {
        case ok(Server, then: Then?)
        case ignore
        case stop(ExitReason)
    }

    @usableFromInline
    let decision: Decision

    @inlinable
    init(_ decision: Decision) {
        self.decision = decision
    }

    /// Run with this state.
    @inlinable
    public static func ok(_ server: Server) -> InitResult { InitResult(.ok(server, then: nil)) }

    /// Run with this state, and first ``Then/continue(_:)`` or wait at most a
    /// ``Then/timeout(_:)``: OTP's `{:ok, state, timeout | {:continue, term}}`. The starter
    /// is answered before the continuation runs.
    @inlinable
    public static func ok(_ server: Server, then: Then) -> InitResult { InitResult(.ok(server, then: then)) }

    /// Start nothing: the starter gets ``StartError/ignored``, a supervisor keeps no
    /// child. The process exits with reason ``ExitReason/normal``.
    @inlinable
    public static var ignore: InitResult { InitResult(.ignore) }

    /// Fail the start with this reason.
    @inlinable
    public static func stop(_ reason: ExitReason) -> InitResult { InitResult(.stop(reason)) }
}

/// What ``GenServer/handleCall(_:from:)`` decided: ``reply(_:)``, ``reply(_:then:)``,
/// ``noreply``, ``timeout(_:)``, ``continue(_:)`` or ``stop(_:reply:)``.
public struct CallResult<Reply> {
    @usableFromInline
    enum Decision {
        case reply(Reply, then: Then?)
        case noreply(then: Then?)
        case stop(ExitReason, reply: Reply)
    }

    @usableFromInline
    let decision: Decision

    @inlinable
    init(_ decision: Decision) {
        self.decision = decision
    }

    /// Answer the caller now.
    @inlinable
    public static func reply(_ reply: Reply) -> CallResult { CallResult(.reply(reply, then: nil)) }

    /// Answer the caller now, then ``Then/continue(_:)`` or wait at most a
    /// ``Then/timeout(_:)``: OTP's `{:reply, reply, state, timeout | {:continue, term}}`.
    @inlinable
    public static func reply(_ reply: Reply, then: Then) -> CallResult { CallResult(.reply(reply, then: then)) }

    /// Answer later with ``Caller/reply(_:)``, from this or another handler or task.
    @inlinable
    public static var noreply: CallResult { CallResult(.noreply(then: nil)) }

    /// Answer later (as ``noreply``), and if no message arrives within `duration`, run
    /// ``GenServer/handleTimeout()``: OTP's `{:noreply, state, timeout}`.
    @inlinable
    public static func timeout(_ duration: Duration) -> CallResult { CallResult(.noreply(then: .timeout(duration))) }

    /// Answer later (as ``noreply``), and first run ``GenServer/handleContinue(_:)`` with
    /// `work`: OTP's `{:noreply, state, {:continue, term}}`.
    @inlinable
    public static func `continue`(_ work: any Sendable) -> CallResult { CallResult(.noreply(then: .continue(work))) }

    /// Answer the caller, run ``GenServer/terminate(_:)`` and exit with the reason.
    @inlinable
    public static func stop(_ reason: ExitReason, reply: Reply) -> CallResult { CallResult(.stop(reason, reply: reply)) }
}

/// What a cast, info, exit or down handler decided.
public enum HandleResult: Sendable {
    /// Go on with the next message.
    case noreply
    /// Go on, and if no message arrives within the duration, run
    /// ``GenServer/handleTimeout()``: OTP's `{:noreply, state, timeout}`.
    case timeout(Duration)
    /// Run ``GenServer/handleContinue(_:)`` with the work before the next message: OTP's
    /// `{:noreply, state, {:continue, term}}`.
    case `continue`(any Sendable)
    /// Run ``GenServer/terminate(_:)`` and exit with the reason.
    case stop(ExitReason)
}

extension GenServer where Request == Never {
    /// A server without requests is never called (`Never` has no values).
    public mutating func handleCall(_ request: Never, from caller: Caller<Reply>) async throws -> CallResult<Reply> {}
}

extension GenServer where Cast == Never {
    /// A server without cast messages is never cast to (`Never` has no values).
    public mutating func handleCast(_ message: Never) async throws -> HandleResult {}
}

extension GenServer where Continue == Never {
    /// A server without continuations is never asked to continue (`Never` has no values).
    public mutating func handleContinue(_ work: Never) async throws -> HandleResult {}
}

extension GenServer where Info == Never {
    /// A server without plain messages drops any it is sent, with a warning in the log.
    public mutating func handleInfo(_ message: Never) async throws -> HandleResult {}
}

extension GenServer {
    /// Ignores the exit signal and goes on (OTP's default `handle_info` for `EXIT`).
    public mutating func handleExit(from pid: PID?, reason: ExitReason) async throws -> HandleResult { .noreply }
    /// Ignores the `DOWN` and goes on.
    public mutating func handleDown(_ monitor: MonitorRef, reason: ExitReason) async throws -> HandleResult { .noreply }
    /// Does nothing: a server with nothing to clean up need not write one.
    public mutating func terminate(_ reason: ExitReason) async {}
    /// Logs a warning — a handler asked for a timeout this server does not handle — and
    /// goes on (OTP's default `handle_info` logs an unexpected `:timeout` too).
    public mutating func handleTimeout() async throws -> HandleResult {
        if let current = ProcessContext.current {
            current.runtime.logger.warning("server timed out but does not implement handleTimeout()", metadata: [
                "process.pid": "\(current.pid)", "process.behaviour": "\(TypeName.of(Self.self))",
            ])
        }
        return .noreply
    }
}

/// The caller of a request being handled, and the way to answer it later.
///
/// Answering is idempotent: only the first of ``reply(_:)``, the server's exit, the
/// caller's timeout or cancellation settles the call. A server that has exited can no
/// longer reply: the caller already has ``CallError/exited(_:)``.
public struct Caller<Reply: Sendable>: Sendable {
    @usableFromInline
    let slot: ReplySlot<Reply>
    @usableFromInline
    let server: ProcessCore

    @inlinable
    init(slot: ReplySlot<Reply>, server: ProcessCore) {
        self.slot = slot
        self.server = server
    }

    /// The calling process, or `nil` when plain code called.
    public var pid: PID? { slot.caller }

    /// Answers the call. Returns `false` if the call was already settled (timed out,
    /// cancelled, or the server exited) and the reply was dropped.
    @discardableResult
    public func reply(_ reply: Reply) -> Bool {
        if let current = ProcessContext.current, !current.acceptsMessages { return false }
        guard slot.settle(.success(reply)) else { return false }
        server.forgetDeferred(slot)
        return true
    }
}
