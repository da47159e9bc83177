/// The error a server crashes with when a handler asked to continue with work that is not
/// of its `Continue` type (or its `Continue` is `Never`).
public struct UnexpectedContinue: Error, CustomStringConvertible {
    /// The type of the work given.
    public var given: String
    /// The server's `Continue` type.
    public var expected: String

    @usableFromInline
    init(given: String, expected: String) {
        self.given = given
        self.expected = expected
    }

    /// What was wrong, as a sentence.
    public var description: String {
        "a handler asked to continue with a \(given), but the server's Continue is \(expected)"
    }
}
