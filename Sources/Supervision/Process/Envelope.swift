/// What a mailbox holds: user messages and the signals OTP turns into messages.
@usableFromInline
enum Envelope: Sendable {
    /// A `call`; the slot holds the typed request and the caller's continuation.
    case call(CallSlot)
    /// A `cast` to a server (typed by the server's `Cast`).
    case cast(any Sendable)
    /// A plain message from `send` (typed by the server's `Info` when it has one).
    case info(any Sendable)
    /// An exit signal turned into a message because the process traps exits.
    case exit(from: PID?, reason: ExitReason)
    /// A monitor fired.
    case down(MonitorRef, reason: ExitReason)
    /// `GenServer`'s orderly stop: run `terminate(reason)` and exit with `reason`.
    case stop(ExitReason)
    /// A tool asks the process to describe its state (OTP's `sys:get_state` /
    /// `format_status`): answered between messages, in mailbox order, with `nil` when
    /// the process's behaviour does not adopt ``StateDescribing``.
    case describe(ReplySlot<String?>)
    /// A server's idle timeout (``Then/timeout(_:)``) fired: handled only if it is still
    /// the one armed, no message having arrived since.
    case timeout(MessageTimer)
}

/// A message as a spawned process receives it from its ``Inbox``.
public enum Message: Sendable, CustomStringConvertible {
    /// A message from `Process/send(_:_:)` or a cast.
    case message(any Sendable)
    /// An exit signal from a linked process or from `Process.exit`, received as a
    /// message because the process traps exits.
    case exit(from: PID?, reason: ExitReason)
    /// A monitor fired: the monitored process (`ref.target`) exited with `reason`.
    case down(MonitorRef, reason: ExitReason)

    /// For logs: `message(…)`, `EXIT(from, reason)` (`external` when no process sent it), or
    /// `DOWN(ref, pid, reason)`.
    public var description: String {
        switch self {
        case .message(let value): return "message(\(value))"
        case .exit(let from, let reason): return "EXIT(\(from.map(String.init(describing:)) ?? "external"), \(reason))"
        case .down(let ref, let reason): return "DOWN(\(ref), \(ref.target), \(reason))"
        }
    }

    /// The payload of a ``message(_:)`` if it has type `T`.
    public func payload<T>(as type: T.Type = T.self) -> T? {
        if case .message(let value) = self { return value as? T }
        return nil
    }
}
