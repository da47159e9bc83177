import Supervision

/// A via name in a unique ``Registry``: start a server under it, call, cast and send to
/// it wherever `Supervision` takes a `ProcessName` — OTP's `{:via, Registry, {reg, key}}`.
///
/// Starting under a taken name gives `StartError/alreadyStarted(_:)`; the name is
/// released as part of its holder's exit, so ``whereis()`` never returns a dead process.
public struct RegistryName<Key: Hashable & Sendable, Value: Sendable>: ProcessName {
    /// The registry the name lives in.
    public let registry: Registry<Key, Value>
    /// The key the process is registered under.
    public let key: Key
    /// The value registered with the key when a process is started under the name.
    public let value: Value
    // Made where `Key` and `Value` are concrete, so that resolving and registering
    // through the `ProcessName` existential runs specialized code.
    @usableFromInline
    let find: @Sendable () -> PID?
    @usableFromInline
    let claim: @Sendable (PID) -> NameRegistration

    @inlinable
    init(registry: Registry<Key, Value>, key: Key, value: Value) {
        self.registry = registry
        self.key = key
        self.value = value
        find = { registry.whereis(key) }
        claim = { pid in
            do throws(RegistryError) {
                try registry.register(key, value: value, for: pid)
                return .registered
            } catch where error.code == .alreadyRegistered {
                guard let holder = error.pid else { return .notAlive }
                return .taken(by: holder)
            } catch {
                return .notAlive
            }
        }
    }

    /// The live process registered under the key, if any. O(1), a memory read.
    public func whereis() -> PID? { find() }

    /// Registers `pid` under the key (with the value given to ``Registry/via(_:value:)``, if any), atomically.
    public func register(_ pid: PID) -> NameRegistration { claim(pid) }

    /// `via(registry, key)`, as OTP writes `{:via, Registry, {registry, key}}`.
    public var description: String { "via(\(registry.name), \(key))" }
}

extension Registry {
    /// A via name for `key`, registering `value` when a process starts under it.
    ///
    /// - Precondition: the registry has unique keys (as in OTP).
    @inlinable
    public func via(_ key: Key, value: Value) -> RegistryName<Key, Value> {
        precondition(keys == .unique, "via names need a registry with unique keys; \(name) has duplicate keys")
        return RegistryName(registry: self, key: key, value: value)
    }
}

extension Registry where Value == Void {
    /// A via name for `key` in a registry without values.
    @inlinable
    public func via(_ key: Key) -> RegistryName<Key, Value> {
        via(key, value: ())
    }
}
