/// Why a process exited, with OTP's meaning for links and supervisors.
///
/// | reason | linked process that does not trap exits | transient child restarted | logged |
/// |---|---|---|---|
/// | ``normal`` | unaffected | no | no |
/// | ``shutdown`` / ``shutdownWith(_:)`` | exits too | no | no |
/// | ``killed`` / ``error(_:)`` / others | exits too | yes | yes |
///
/// ``kill`` is a *signal*, not a reason a process exits with: `Process.exit(pid, .kill)`
/// cannot be trapped and makes the target exit with ``killed``.
public enum ExitReason: Sendable, CustomStringConvertible {
    /// The process finished its work. Links are not affected.
    case normal
    /// An orderly stop asked for by a supervisor or owner.
    case shutdown
    /// An orderly stop with a detail, OTP's `{shutdown, Detail}`.
    case shutdownWith(String)
    /// The untrappable signal. A process never *exits* with this reason: the target of
    /// `exit(pid, .kill)` exits with ``killed``.
    case kill
    /// The process was killed by the untrappable ``kill`` signal.
    case killed
    /// The process did not exist (a monitor or link set on a dead PID).
    case noproc
    /// The process crashed with an error.
    case error(any Error)

    /// `true` for ``normal``, ``shutdown`` and ``shutdownWith(_:)``: the reasons for which
    /// a transient child is not restarted and that are not logged as crashes.
    public var isOrderly: Bool {
        switch self {
        case .normal, .shutdown, .shutdownWith: return true
        case .kill, .killed, .noproc, .error: return false
        }
    }

    /// `true` for ``shutdown`` and ``shutdownWith(_:)``.
    public var isShutdown: Bool {
        switch self {
        case .shutdown, .shutdownWith: return true
        default: return false
        }
    }

    /// `true` for ``normal`` only.
    public var isNormal: Bool {
        if case .normal = self { return true }
        return false
    }

    /// The reason a process exits with when it stops for `self`: ``kill`` becomes
    /// ``killed``; every other reason is kept.
    @usableFromInline
    var asExitReason: ExitReason {
        if case .kill = self { return .killed }
        return self
    }

    /// `normal`, `shutdown`, `shutdown(detail)`, `kill`, `killed`, `noproc` or `error(…)`: OTP's atoms, and a call-like form for the tuples.
    public var description: String {
        switch self {
        case .normal: return "normal"
        case .shutdown: return "shutdown"
        case .shutdownWith(let detail): return "shutdown(\(detail))"
        case .kill: return "kill"
        case .killed: return "killed"
        case .noproc: return "noproc"
        case .error(let error): return "error(\(String(describing: error)))"
        }
    }
}

extension ExitReason: Equatable {
    /// Reasons are equal when they are the same case; two errors are equal when they
    /// have the same type and the same description.
    public static func == (lhs: ExitReason, rhs: ExitReason) -> Bool {
        switch (lhs, rhs) {
        case (.normal, .normal), (.shutdown, .shutdown), (.kill, .kill), (.killed, .killed), (.noproc, .noproc):
            return true
        case let (.shutdownWith(a), .shutdownWith(b)):
            return a == b
        case let (.error(a), .error(b)):
            return type(of: a) == type(of: b) && String(reflecting: a) == String(reflecting: b)
        default:
            return false
        }
    }
}
