import Supervision

/// Why an entry left the registry.
public enum UnregisterCause: Sendable, Equatable, CustomStringConvertible {
    /// `unregister` or `unregisterMatch` removed it.
    case unregistered
    /// Its process exited with this reason; the entry went as part of the exit.
    case processExited(ExitReason)
    /// The registry was closed (its host process stopped).
    case registryClosed

    /// A one-line summary for logs.
    public var description: String {
        switch self {
        case .unregistered: return "unregistered"
        case .processExited(let reason): return "process exited (\(reason))"
        case .registryClosed: return "registry closed"
        }
    }
}

/// What a registry tells its listeners.
///
/// Unlike OTP's `Registry`, which only reports explicit `register` and `unregister`
/// calls, this registry also reports entries removed because their process exited.
public enum RegistryEvent<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    /// `pid` registered `key` with `value`.
    case registered(key: Key, pid: PID, value: Value)
    /// `pid`'s entry under `key` was removed.
    case unregistered(key: Key, pid: PID, cause: UnregisterCause)
}

/// Who hears about registrations.
public enum RegistryListener<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    /// A process, sent each ``RegistryEvent`` as a plain message (OTP's listeners).
    case process(PID)
    /// A function, called synchronously on the thread that changed the registry; it must
    /// be quick and must not call back into the registry.
    case handler(@Sendable (RegistryEvent<Key, Value>) -> Void)

    func deliver(_ event: RegistryEvent<Key, Value>) {
        switch self {
        case .process(let pid): Process.send(pid, event)
        case .handler(let handler): handler(event)
        }
    }
}
