import Supervision

extension Registry {
    /// Calls `body` with the entries under `key` — never when there are none: OTP's
    /// `dispatch`. The entries are read first and `body` runs outside any lock, so it
    /// may message, call or register freely.
    ///
    /// - Returns: whether `body` was called.
    @discardableResult
    public func dispatch(_ key: Key, _ body: (RegistryEntries<Value>) throws -> Void) rethrows -> Bool {
        let entries = lookup(key)
        guard !entries.isEmpty else { return false }
        try body(entries)
        return true
    }

    /// Async form of ``dispatch(_:_:)``.
    @discardableResult
    public func dispatch(_ key: Key, _ body: (RegistryEntries<Value>) async throws -> Void) async rethrows -> Bool {
        let entries = lookup(key)
        guard !entries.isEmpty else { return false }
        try await body(entries)
        return true
    }
}
