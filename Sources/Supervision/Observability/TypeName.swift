import ScalableLocks

/// Type names for diagnostics, computed once per type: `String(describing:)` on a
/// metatype goes through reflection and is far too slow for every process start.
@usableFromInline
enum TypeName {
    private static let cache = Lock<[ObjectIdentifier: String]>([:])

    /// The unqualified name of `type`.
    @usableFromInline
    static func of(_ type: Any.Type) -> String {
        let id = ObjectIdentifier(type)
        if let name = cache.withLock({ $0[id] }) { return name }
        let name = String(describing: type)
        cache.withLock { $0[id] = name }
        return name
    }
}
