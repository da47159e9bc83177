import Supervision

/// One registration: the process and the value it registered.
public struct RegistryEntry<Value: Sendable>: Sendable {
    /// The registered process.
    public let pid: PID
    /// The value it registered with the key.
    public let value: Value

    /// An entry of `pid` with `value`.
    @inlinable
    public init(pid: PID, value: Value) {
        self.pid = pid
        self.value = value
    }
}

extension RegistryEntry: Equatable where Value: Equatable {}
extension RegistryEntry: Hashable where Value: Hashable {}

extension RegistryEntry: CustomStringConvertible {
    /// `(pid, value)`, as OTP prints the tuple.
    public var description: String { "(\(pid), \(value))" }
}

/// The entries of one key, as a lookup returns them: OTP's `[{pid, value}]`.
///
/// A key of a unique registry has at most one entry, and then the collection stores it
/// inline: a lookup allocates nothing.
public struct RegistryEntries<Value: Sendable>: RandomAccessCollection, Sendable {
    @usableFromInline
    enum Storage: Sendable {
        case none
        case one(RegistryEntry<Value>)
        case many(ContiguousArray<RegistryEntry<Value>>)
    }

    @usableFromInline
    let storage: Storage

    @inlinable
    init(_ storage: Storage) {
        self.storage = storage
    }

    /// Always 0.
    @inlinable
    public var startIndex: Int { 0 }

    /// The number of entries. O(1).
    @inlinable
    public var endIndex: Int {
        switch storage {
        case .none: return 0
        case .one: return 1
        case .many(let entries): return entries.count
        }
    }

    /// The entry at `position`, in registration order. O(1).
    @inlinable
    public subscript(position: Int) -> RegistryEntry<Value> {
        switch storage {
        case .none:
            preconditionFailure("index out of range")
        case .one(let entry):
            precondition(position == 0, "index out of range")
            return entry
        case .many(let entries):
            return entries[position]
        }
    }

    /// The pids, in registration order.
    public var pids: [PID] { map(\.pid) }
}

extension RegistryEntries: CustomStringConvertible {
    /// The entries as OTP prints the list: `[(pid, value), …]`.
    public var description: String { "[" + map(\.description).joined(separator: ", ") + "]" }
}
