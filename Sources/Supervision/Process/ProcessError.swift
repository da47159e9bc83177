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
public enum CallError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No process is alive at the target (a dead pid, or a name nobody holds).
    case noProcess(target: String)
    /// No reply within the timeout. The request may still be handled later; its reply
    /// is then dropped.
    case timeout(Timeout)
    /// The server exited before replying.
    case exited(ExitReason)
    /// A process tried to call itself, which would deadlock.
    case callingSelf
    /// The process at the target does not run the expected server type.
    case wrongServerType(target: String, expected: String)
    /// The calling task was cancelled (for a calling process: it was killed).
    case cancelled

    /// A one-line message for logs and the dashboard.
    public var description: String {
        switch self {
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
public enum StartError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The server's `initialize` asked to be ignored; nothing was started.
    case ignored
    /// The name is already held by a live process.
    case alreadyStarted(PID)
    /// `initialize` threw or asked to stop; the process exited with this reason.
    case initFailed(ExitReason)
    /// `initialize` did not finish within the timeout; the process was killed.
    case timeout(Timeout)
    /// The process that would have been linked as parent has exited.
    case parentExited(PID)
    /// A supervisor refused to start another child (`maxChildren` reached).
    case maxChildren
    /// The supervisor is not running.
    case supervisorNotRunning
    /// An option or child spec field out of range, named with the problem (OTP's
    /// `invalid_max_children`, `invalid_shutdown` …): nothing was started.
    case invalidOption(field: String, problem: String)

    /// A one-line message for logs and the dashboard.
    public var description: String {
        switch self {
        case .ignored: return "ignored"
        case .alreadyStarted(let pid): return "already started as \(pid)"
        case .initFailed(let reason): return "init failed: \(reason)"
        case .timeout(let timeout): return "init did not finish within \(timeout)"
        case .parentExited(let pid): return "parent \(pid) has exited"
        case .maxChildren: return "max children reached"
        case .supervisorNotRunning: return "supervisor is not running"
        case .invalidOption(let field, let problem): return "invalid \(field): \(problem)"
        }
    }
}
