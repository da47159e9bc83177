/// The exit hooks attached to a process: the first one inline (the usual case is one,
/// the registry a process is named in), the others in an array. Saves an array
/// allocation per named process.
@usableFromInline
struct ExitHooks: Sequence {
    private var first: (any ProcessExitHook)?
    private var rest: [any ProcessExitHook] = []

    @usableFromInline
    init() {}

    /// How many hooks are attached.
    var count: Int { (first == nil ? 0 : 1) + rest.count }

    /// Attaches `hook` after the others.
    mutating func append(_ hook: any ProcessExitHook) {
        if first == nil, rest.isEmpty {
            first = hook
        } else {
            rest.append(hook)
        }
    }

    /// Whether `hook` is attached. O(hooks): usually one.
    func contains(_ hook: any ProcessExitHook) -> Bool {
        if let first, first === hook { return true }
        return rest.contains { $0 === hook }
    }

    /// Detaches every attachment of `hook`.
    mutating func removeAll(_ hook: any ProcessExitHook) {
        rest.removeAll { $0 === hook }
        if let current = first, current === hook {
            first = rest.isEmpty ? nil : rest.removeFirst()
        }
    }

    /// The hooks in the order they were attached, without allocating.
    @usableFromInline
    func makeIterator() -> Iterator {
        Iterator(first: first, rest: rest.makeIterator())
    }

    /// Walks the inline hook, then the others.
    @usableFromInline
    struct Iterator: IteratorProtocol {
        var first: (any ProcessExitHook)?
        var rest: IndexingIterator<[any ProcessExitHook]>

        @usableFromInline
        mutating func next() -> (any ProcessExitHook)? {
            if let hook = first {
                first = nil
                return hook
            }
            return rest.next()
        }
    }
}
