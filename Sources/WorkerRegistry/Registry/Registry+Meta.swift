import ScalableLocks
extension Registry {
    /// The metadata stored under `key`, if it has type `T`: OTP's `meta`.
    public func meta<T: Sendable>(_ key: String, as type: T.Type = T.self) -> T? {
        metadata.withLock { $0[key] as? T }
    }

    /// Stores metadata: OTP's `put_meta`.
    public func putMeta(_ key: String, _ value: any Sendable) {
        metadata.withLock { $0[key] = value }
    }

    /// Removes metadata: OTP's `delete_meta`.
    public func deleteMeta(_ key: String) {
        metadata.withLock { _ = $0.removeValue(forKey: key) }
    }

    /// All metadata, for display.
    public func allMeta() -> [String: any Sendable] {
        metadata.withLock { $0 }
    }
}
