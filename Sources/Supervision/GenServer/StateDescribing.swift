/// A ``GenServer`` that describes its state to the people watching it: OTP's
/// `format_status`, as `:sys.get_state` and observer's state tab show it.
///
/// Adopting it is a decision about what may be shown: describe what helps an operator
/// and leave out secrets. A server that does not adopt it answers nothing, so no state
/// is ever shown without the type's consent.
///
/// ```swift
/// extension Session: StateDescribing {
///     func describeState() -> String { "user \(user), \(pending.count) pending" }
/// }
/// ```
public protocol StateDescribing {
    /// A description of the state right now, for dashboards and diagnostics.
    ///
    /// Called inside the server process between two messages (never while one is
    /// handled), so it sees a consistent state. Keep it quick: the server handles no
    /// other message meanwhile. Newlines separate lines in dashboards.
    func describeState() -> String
}
