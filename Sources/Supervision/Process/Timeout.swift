/// How long to wait for a reply, a start or a message: a duration or for ever.
public enum Timeout: Sendable, Hashable, CustomStringConvertible {
    /// Wait at most this long.
    case after(Duration)
    /// Wait for ever.
    case infinity

    /// Wait at most `seconds` seconds.
    public static func seconds(_ seconds: Int64) -> Timeout { .after(.seconds(seconds)) }
    /// Wait at most `milliseconds` milliseconds.
    public static func milliseconds(_ milliseconds: Int64) -> Timeout { .after(.milliseconds(milliseconds)) }

    /// OTP's default for `GenServer.call`: five seconds.
    public static let `default` = Timeout.seconds(5)

    /// `infinity`, or the duration.
    public var description: String {
        switch self {
        case .after(let duration): return "\(duration)"
        case .infinity: return "infinity"
        }
    }
}
