/// Errors of the process primitives (`link`, `monitor` from outside a process, …).
public enum ProcessError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The target process is not alive.
    case noProcess(PID)
    /// The operation needs a calling process and was called from plain Swift code.
    case notInProcess(operation: String)
    /// The calling process has exited; its code can no longer act.
    case callerExited(PID)

    /// A one-line message for logs and the dashboard.
    public var description: String {
        switch self {
        case .noProcess(let pid): return "no process \(pid)"
        case .notInProcess(let operation): return "\(operation) must be called from inside a process"
        case .callerExited(let pid): return "the calling process \(pid) has exited"
        }
    }
}

/// Why a `call` failed.
///
/// A struct, not an enum, so that new kinds of failure can be added without breaking
/// code that handles these (swift-service-lifecycle's `ServiceGroupError` is the model):
/// match on ``code`` (`error.code == .timeout`) or compare whole errors with `==`
/// (`catch .cancelled`, `#expect(throws: CallError.timeout(.seconds(1)))`), and read
/// what a kind carries from its property (``target``, ``timeout``, ``reason``).
public struct CallError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kinds of call failure. New kinds may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        @usableFromInline
        enum Base: Hashable, Sendable { case noProcess, timeout, exited, callingSelf, wrongServerType, cancelled }
        @usableFromInline
        let base: Base
        @inlinable
        init(_ base: Base) { self.base = base }

        /// No process is alive at the target.
        public static let noProcess = Code(.noProcess)
        /// No reply within the timeout.
        public static let timeout = Code(.timeout)
        /// The server exited before replying.
        public static let exited = Code(.exited)
        /// A process tried to call itself.
        public static let callingSelf = Code(.callingSelf)
        /// The process at the target runs another server type.
        public static let wrongServerType = Code(.wrongServerType)
        /// The calling task was cancelled.
        public static let cancelled = Code(.cancelled)

        /// The kind's name, as in OTP where it has one (`noproc`, `timeout`).
        public var description: String {
            switch base {
            case .noProcess: return "noproc"
            case .timeout: return "timeout"
            case .exited: return "exited"
            case .callingSelf: return "calling_self"
            case .wrongServerType: return "wrong_server_type"
            case .cancelled: return "cancelled"
            }
        }
    }

    @usableFromInline
    enum Storage: Sendable, Equatable {
        case noProcess(target: String)
        case timeout(Timeout)
        case exited(ExitReason)
        case callingSelf
        case wrongServerType(target: String, expected: String)
        case cancelled
    }

    @usableFromInline
    let storage: Storage

    @inlinable
    init(_ storage: Storage) { self.storage = storage }

    /// No process is alive at the target (a dead pid, or a name nobody holds).
    @inlinable
    public static func noProcess(target: String) -> CallError { CallError(.noProcess(target: target)) }
    /// No reply within the timeout. The request may still be handled later; its reply
    /// is then dropped.
    @inlinable
    public static func timeout(_ timeout: Timeout) -> CallError { CallError(.timeout(timeout)) }
    /// The server exited before replying.
    @inlinable
    public static func exited(_ reason: ExitReason) -> CallError { CallError(.exited(reason)) }
    /// A process tried to call itself, which would deadlock.
    public static var callingSelf: CallError { CallError(.callingSelf) }
    /// The process at the target does not run the expected server type.
    public static func wrongServerType(target: String, expected: String) -> CallError {
        CallError(.wrongServerType(target: target, expected: expected))
    }
    /// The calling task was cancelled (for a calling process: it was killed).
    @inlinable
    public static var cancelled: CallError { CallError(.cancelled) }

    /// The kind of failure.
    @inlinable
    public var code: Code {
        switch storage {
        case .noProcess: return .noProcess
        case .timeout: return .timeout
        case .exited: return .exited
        case .callingSelf: return .callingSelf
        case .wrongServerType: return .wrongServerType
        case .cancelled: return .cancelled
        }
    }

    /// The address called, for ``Code/noProcess`` and ``Code/wrongServerType``.
    public var target: String? {
        switch storage {
        case .noProcess(let target), .wrongServerType(let target, _): return target
        default: return nil
        }
    }

    /// The timeout that passed, for ``Code/timeout``.
    public var timeout: Timeout? {
        if case .timeout(let timeout) = storage { return timeout }
        return nil
    }

    /// Why the server exited, for ``Code/exited``.
    @inlinable
    public var reason: ExitReason? {
        if case .exited(let reason) = storage { return reason }
        return nil
    }

    /// A one-line message for logs and the dashboard.
    public var description: String {
        switch storage {
        case .noProcess(let target): return "no process at \(target)"
        case .timeout(let timeout): return "no reply within \(timeout)"
        case .exited(let reason): return "server exited: \(reason)"
        case .callingSelf: return "a process cannot call itself"
        case .wrongServerType(let target, let expected): return "\(target) does not run \(expected)"
        case .cancelled: return "call cancelled"
        }
    }
}

/// Why starting a server failed.
///
/// A struct, not an enum, so that new kinds of failure can be added without breaking
/// code that handles these: match on ``code`` (`error.code == .alreadyStarted`) or
/// compare whole errors with `==` (`catch .ignored`), and read what a kind carries from
/// its property (``holder``, ``reason``, ``timeout``, ``parent``, ``field``, ``problem``).
public struct StartError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kinds of start failure. New kinds may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        @usableFromInline
        enum Base: Hashable, Sendable {
            case ignored, alreadyStarted, initFailed, timeout, parentExited, maxChildren, supervisorNotRunning, invalidOption
            case contended, cancelled
        }
        @usableFromInline
        let base: Base
        @inlinable
        init(_ base: Base) { self.base = base }

        /// `initialize` asked to be ignored.
        public static let ignored = Code(.ignored)
        /// The name is held by a live process.
        public static let alreadyStarted = Code(.alreadyStarted)
        /// `initialize` threw or asked to stop.
        public static let initFailed = Code(.initFailed)
        /// `initialize` did not finish in time.
        public static let timeout = Code(.timeout)
        /// The parent-to-be has exited.
        public static let parentExited = Code(.parentExited)
        /// A supervisor's `maxChildren` was reached.
        public static let maxChildren = Code(.maxChildren)
        /// The supervisor is not running.
        public static let supervisorNotRunning = Code(.supervisorNotRunning)
        /// An option out of range.
        public static let invalidOption = Code(.invalidOption)
        /// Other starts held the name each time, and each of them failed.
        public static let contended = Code(.contended)
        /// The starting task was cancelled while `initialize` ran: the process was killed.
        public static let cancelled = Code(.cancelled)

        /// The kind's name, as in OTP where it has one (`already_started`, `max_children`).
        public var description: String {
            switch base {
            case .ignored: return "ignore"
            case .alreadyStarted: return "already_started"
            case .initFailed: return "init_failed"
            case .timeout: return "timeout"
            case .parentExited: return "parent_exited"
            case .maxChildren: return "max_children"
            case .supervisorNotRunning: return "supervisor_not_running"
            case .invalidOption: return "invalid_option"
            case .contended: return "contended"
            case .cancelled: return "cancelled"
            }
        }
    }

    @usableFromInline
    enum Storage: Sendable, Equatable {
        case ignored
        case alreadyStarted(PID)
        case initFailed(ExitReason)
        case timeout(Timeout)
        case parentExited(PID)
        case maxChildren
        case supervisorNotRunning
        case invalidOption(field: String, problem: String)
        case contended(attempts: Int)
        case cancelled
    }

    @usableFromInline
    let storage: Storage

    @inlinable
    init(_ storage: Storage) { self.storage = storage }

    /// The server's `initialize` asked to be ignored; nothing was started.
    @inlinable
    public static var ignored: StartError { StartError(.ignored) }
    /// The name is already held by a live process, `holder`.
    @inlinable
    public static func alreadyStarted(_ holder: PID) -> StartError { StartError(.alreadyStarted(holder)) }
    /// `initialize` threw or asked to stop; the process exited with this reason.
    @inlinable
    public static func initFailed(_ reason: ExitReason) -> StartError { StartError(.initFailed(reason)) }
    /// `initialize` did not finish within the timeout; the process was killed.
    @inlinable
    public static func timeout(_ timeout: Timeout) -> StartError { StartError(.timeout(timeout)) }
    /// The process that would have been linked as parent has exited.
    @inlinable
    public static func parentExited(_ parent: PID) -> StartError { StartError(.parentExited(parent)) }
    /// A supervisor refused to start another child (`maxChildren` reached).
    @inlinable
    public static var maxChildren: StartError { StartError(.maxChildren) }
    /// The supervisor is not running.
    @inlinable
    public static var supervisorNotRunning: StartError { StartError(.supervisorNotRunning) }
    /// An option or child spec field out of range, named with the problem (OTP's
    /// `invalid_max_children`, `invalid_shutdown` …): nothing was started.
    public static func invalidOption(field: String, problem: String) -> StartError {
        StartError(.invalidOption(field: field, problem: problem))
    }
    /// Each of `attempts` tries found the name held by another start that then failed
    /// (gen_registry's `lookup_or_start` racing starts that keep failing); nothing was
    /// started. Trying again later may succeed.
    public static func contended(attempts: Int) -> StartError { StartError(.contended(attempts: attempts)) }
    /// The starting task was cancelled before `initialize` finished; the process was
    /// killed and nothing was started.
    public static var cancelled: StartError { StartError(.cancelled) }

    /// The kind of failure.
    @inlinable
    public var code: Code {
        switch storage {
        case .ignored: return .ignored
        case .alreadyStarted: return .alreadyStarted
        case .initFailed: return .initFailed
        case .timeout: return .timeout
        case .parentExited: return .parentExited
        case .maxChildren: return .maxChildren
        case .supervisorNotRunning: return .supervisorNotRunning
        case .invalidOption: return .invalidOption
        case .contended: return .contended
        case .cancelled: return .cancelled
        }
    }

    /// The live process holding the name, for ``Code/alreadyStarted``.
    @inlinable
    public var holder: PID? {
        if case .alreadyStarted(let pid) = storage { return pid }
        return nil
    }

    /// The reason `initialize` failed with, for ``Code/initFailed``.
    @inlinable
    public var reason: ExitReason? {
        if case .initFailed(let reason) = storage { return reason }
        return nil
    }

    /// The timeout that passed, for ``Code/timeout``.
    public var timeout: Timeout? {
        if case .timeout(let timeout) = storage { return timeout }
        return nil
    }

    /// The parent that had exited, for ``Code/parentExited``.
    public var parent: PID? {
        if case .parentExited(let pid) = storage { return pid }
        return nil
    }

    /// The option out of range, for ``Code/invalidOption``.
    public var field: String? {
        if case .invalidOption(let field, _) = storage { return field }
        return nil
    }

    /// What is wrong with ``field``, for ``Code/invalidOption``.
    public var problem: String? {
        if case .invalidOption(_, let problem) = storage { return problem }
        return nil
    }

    /// The tries made, for ``Code/contended``.
    public var attempts: Int? {
        if case .contended(let attempts) = storage { return attempts }
        return nil
    }

    /// A one-line message for logs and the dashboard.
    public var description: String {
        switch storage {
        case .ignored: return "ignored"
        case .alreadyStarted(let pid): return "already started as \(pid)"
        case .initFailed(let reason): return "init failed: \(reason)"
        case .timeout(let timeout): return "init did not finish within \(timeout)"
        case .parentExited(let pid): return "parent \(pid) has exited"
        case .maxChildren: return "max children reached"
        case .supervisorNotRunning: return "supervisor is not running"
        case .invalidOption(let field, let problem): return "invalid \(field): \(problem)"
        case .contended(let attempts): return "the name was held by another start that failed, \(attempts) times in a row"
        case .cancelled: return "the start was cancelled"
        }
    }
}
