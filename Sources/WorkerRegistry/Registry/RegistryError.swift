import Supervision

/// Why a registry operation failed.
public enum RegistryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The key of a unique registry is held by this live process.
    case alreadyRegistered(PID)
    /// The process to register is exiting or dead.
    case noProcess(PID)
    /// The operation registers "the calling process" and was called from plain code;
    /// use the overload that takes a pid.
    case notInProcess
    /// The calling process does not hold the key (``Registry/updateValue(_:_:)``).
    case notOwner
    /// The operation needs a unique registry.
    case notUnique
    /// The registry is closed: its host process has stopped.
    case closed

    /// A one-line message for logs and tools.
    public var description: String {
        switch self {
        case .alreadyRegistered(let pid): return "already registered by \(pid)"
        case .noProcess(let pid): return "process \(pid) is not alive"
        case .notInProcess: return "there is no calling process; pass a pid"
        case .notOwner: return "the calling process does not own the key"
        case .notUnique: return "the registry does not have unique keys"
        case .closed: return "the registry is closed"
        }
    }
}
