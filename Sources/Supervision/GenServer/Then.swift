/// What a server does after a handler returned, before it takes a message as usual: OTP's
/// `timeout` and `{:continue, term}` in a callback's result.
public enum Then: Sendable {
    /// Wait at most this long for the next message; if none arrives,
    /// ``GenServer/handleTimeout()`` runs (a duration of zero or less: at once, unless a
    /// message is already waiting). Any message that arrives first cancels it. OTP's
    /// `{:noreply, state, timeout}`, `{:reply, reply, state, timeout}`.
    case timeout(Duration)
    /// Run ``GenServer/handleContinue(_:)`` with this work before taking any message:
    /// OTP's `{:continue, term}`. The work must be the server's `Continue`; anything else
    /// crashes the server with ``UnexpectedContinue``.
    case `continue`(any Sendable)
}
