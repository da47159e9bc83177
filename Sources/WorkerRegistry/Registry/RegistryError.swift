import Supervision

/// Why a registry operation failed.
///
/// A struct, not an enum, so that new kinds of failure can be added without breaking
/// code that handles these: match on ``code`` (`error.code == .alreadyRegistered`) or
/// compare whole errors with `==` (`catch .closed`), and read the process a kind names
/// from ``pid``.
public struct RegistryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kinds of registry error. New kinds may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        @usableFromInline
        enum Base: Hashable, Sendable { case alreadyRegistered, noProcess, notInProcess, notOwner, notUnique, closed }
        @usableFromInline
        let base: Base
        @inlinable
        init(_ base: Base) { self.base = base }

        /// The key of a unique registry is held by a live process.
        public static let alreadyRegistered = Code(.alreadyRegistered)
        /// The process to register is exiting or dead.
        public static let noProcess = Code(.noProcess)
        /// There is no calling process.
        public static let notInProcess = Code(.notInProcess)
        /// The calling process does not hold the key.
        public static let notOwner = Code(.notOwner)
        /// The operation needs a unique registry.
        public static let notUnique = Code(.notUnique)
        /// The registry is closed.
        public static let closed = Code(.closed)

        /// The kind's name, as Elixir's `Registry` spells it where it has one
        /// (`already_registered`).
        public var description: String {
            switch base {
            case .alreadyRegistered: return "already_registered"
            case .noProcess: return "noproc"
            case .notInProcess: return "not_in_process"
            case .notOwner: return "not_owner"
            case .notUnique: return "not_unique"
            case .closed: return "closed"
            }
        }
    }

    @usableFromInline
    enum Storage: Sendable, Equatable {
        case alreadyRegistered(PID)
        case noProcess(PID)
        case notInProcess
        case notOwner
        case notUnique
        case closed
    }

    @usableFromInline
    let storage: Storage

    @inlinable
    init(_ storage: Storage) { self.storage = storage }

    /// The key of a unique registry is held by this live process.
    @inlinable
    public static func alreadyRegistered(_ holder: PID) -> RegistryError { RegistryError(.alreadyRegistered(holder)) }
    /// The process to register is exiting or dead.
    @inlinable
    public static func noProcess(_ pid: PID) -> RegistryError { RegistryError(.noProcess(pid)) }
    /// The operation registers "the calling process" and was called from plain code;
    /// use the overload that takes a pid.
    @inlinable
    public static var notInProcess: RegistryError { RegistryError(.notInProcess) }
    /// The calling process does not hold the key (``Registry/updateValue(_:_:)``).
    @inlinable
    public static var notOwner: RegistryError { RegistryError(.notOwner) }
    /// The operation needs a unique registry.
    @inlinable
    public static var notUnique: RegistryError { RegistryError(.notUnique) }
    /// The registry is closed: its host process has stopped.
    @inlinable
    public static var closed: RegistryError { RegistryError(.closed) }

    /// The kind of failure.
    @inlinable
    public var code: Code {
        switch storage {
        case .alreadyRegistered: return .alreadyRegistered
        case .noProcess: return .noProcess
        case .notInProcess: return .notInProcess
        case .notOwner: return .notOwner
        case .notUnique: return .notUnique
        case .closed: return .closed
        }
    }

    /// The holder, for ``Code/alreadyRegistered``; the process that is not alive, for
    /// ``Code/noProcess``.
    @inlinable
    public var pid: PID? {
        switch storage {
        case .alreadyRegistered(let pid), .noProcess(let pid): return pid
        case .notInProcess, .notOwner, .notUnique, .closed: return nil
        }
    }

    /// A one-line message for logs and tools.
    public var description: String {
        switch storage {
        case .alreadyRegistered(let pid): return "already registered by \(pid)"
        case .noProcess(let pid): return "process \(pid) is not alive"
        case .notInProcess: return "there is no calling process; pass a pid"
        case .notOwner: return "the calling process does not own the key"
        case .notUnique: return "the registry does not have unique keys"
        case .closed: return "the registry is closed"
        }
    }
}
