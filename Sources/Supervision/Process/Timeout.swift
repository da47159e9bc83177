import CPlatform

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

    /// OTP's default for `GenServer.call`: five seconds — times the slowdown of a
    /// sanitizer the program runs under (ThreadSanitizer 5, AddressSanitizer 3), so that a
    /// call made slow only by the sanitizer's instrumentation is not reported as a server
    /// that does not answer. A reply that never comes still times out.
    public static let `default` = Timeout.seconds(5 * Int64(cplatform_sanitizer_slowdown()))

    /// `infinity`, or the duration.
    public var description: String {
        switch self {
        case .after(let duration): return "\(duration)"
        case .infinity: return "infinity"
        }
    }
}
