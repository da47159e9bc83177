import CoreMetrics
import Supervision
import ScalableLocks
import Synchronization

/// OTP's `Registry` in Swift: a local key–process store with unique or duplicate keys,
/// values, metadata, listeners and via names.
///
/// Where OTP removes the entries of a dead process *later*, when the registry handles
/// the exit signal — so a lookup can return a dead pid for a few microseconds — this
/// registry removes them *as part of the exit*: the moment a process is dead (its kill
/// returned, its `DOWN` was delivered, its supervisor saw it exit), no lookup, match,
/// select, dispatch, count or keys call returns it, and listeners hear of the removal.
///
/// Reads take no lock that other readers write to (see `ReadMostlyLock`); a lookup in
/// a unique registry allocates nothing. Writes are serialised per partition.
///
/// ```swift
/// let sessions = Registry<String, Int>(keys: .unique, name: "sessions")
/// try sessions.register("alice", value: 42)          // the calling process
/// sessions.lookup("alice")                           // [(<0.80.0>, 42)]
/// let name = sessions.via("bob", value: 0)           // start, call, cast, send by name
/// ```
public final class Registry<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    /// Whether a key maps to at most one process.
    public enum Keys: String, Sendable {
        /// At most one process per key; registering a taken key fails.
        case unique
        /// Any number of entries per key, even several from one process.
        case duplicate
    }

    /// The registry's mode.
    public let keys: Keys
    /// A name for diagnostics (`ProcessSnapshot/names`, via-name descriptions).
    public let name: String
    /// The number of independently locked partitions.
    public var partitionCount: Int { partitions.count }

    /// Owns the partitions.
    @usableFromInline
    let partitions: [RegistryPartition<Key, Value>]
    /// The same partitions, unretained: the read path reaches them without reference
    /// counting, which would make concurrent readers write to one shared object.
    @usableFromInline
    let unretainedPartitions: [Unmanaged<RegistryPartition<Key, Value>>]
    @usableFromInline
    let shared: RegistryShared<Key, Value>
    @usableFromInline
    let metadata: Lock<[String: any Sendable]>

    /// Creates a registry, open and ready for use.
    ///
    /// - Parameters:
    ///   - keys: ``Keys/unique`` or ``Keys/duplicate``.
    ///   - partitions: independently locked partitions (OTP's option, default 1). Reads
    ///     never contend; more partitions let writes of different keys proceed in
    ///     parallel.
    ///   - listeners: told about every registration and removal, including removals
    ///     because a process exited.
    ///   - meta: initial metadata.
    ///   - name: for diagnostics, and the `registry` dimension of its metrics: give each
    ///     registry a fixed name.
    ///   - metrics: where its `registry_entries` meter goes (``WorkerRegistryMetrics``);
    ///     by default the factory bootstrapped (or task-local) when it is created. With
    ///     none, nothing is recorded.
    @inlinable
    public init(
        keys: Keys, partitions: Int = 1, listeners: [RegistryListener<Key, Value>] = [],
        meta: [String: any Sendable] = [:], name: String = "registry",
        metrics: any MetricsFactory = MetricsSystem.factory
    ) {
        precondition(partitions >= 1, "a registry needs at least one partition")
        self.keys = keys
        self.name = name
        let shared = RegistryShared(name: name, listeners: listeners, metrics: metrics)
        self.shared = shared
        let owned = (0..<partitions).map { _ in RegistryPartition(shared: shared) }
        self.partitions = owned
        self.unretainedPartitions = owned.map { Unmanaged.passUnretained($0) }
        self.metadata = Lock(meta)
    }

    @inlinable @inline(__always)
    func partition(for key: Key) -> RegistryPartition<Key, Value> {
        partitions.count == 1 ? partitions[0] : partitions[partitionIndex(for: key)]
    }

    @inlinable @inline(__always)
    func partitionIndex(for key: Key) -> Int {
        Int(UInt(bitPattern: key.hashValue) % UInt(unretainedPartitions.count))
    }

    /// Runs `body` with the partition of `key`, without retaining it.
    @inlinable @inline(__always)
    func withPartition<Result>(for key: Key, _ body: (RegistryPartition<Key, Value>) -> Result) -> Result {
        let index = unretainedPartitions.count == 1 ? 0 : partitionIndex(for: key)
        return unretainedPartitions[index]._withUnsafeGuaranteedRef(body)
    }

    /// Whether the registry is closed (its host process stopped). A closed registry is
    /// empty and refuses registrations.
    @inlinable
    public var isClosed: Bool { shared.closed.load(ordering: .acquiring) }

    // MARK: - Register

    /// Registers the calling process under `key` with `value`.
    ///
    /// - Throws: ``RegistryError/alreadyRegistered(_:)`` if a unique key is taken,
    ///   ``RegistryError/notInProcess`` from plain code, ``RegistryError/closed``.
    /// - Complexity: O(1) amortised.
    @inlinable
    public func register(_ key: Key, value: Value) throws(RegistryError) {
        guard let caller = Process.current else { throw .notInProcess }
        try register(key, value: value, for: caller)
    }

    /// Registers `pid` under `key` with `value`: for code that is not the process itself.
    ///
    /// The entry exists only while `pid` lives: if `pid` is exiting or dead this throws
    /// ``RegistryError/noProcess(_:)`` and registers nothing.
    @inlinable
    public func register(_ key: Key, value: Value, for pid: PID) throws(RegistryError) {
        guard !isClosed else { throw .closed }
        let partition = partition(for: key)
        // The exit hook goes on before the entry goes in (once per partition and process:
        // attaching it again is a no-op), and the entry goes in only while the process
        // still accepts messages, checked under the partition's lock. So an exit either
        // began before — nothing is inserted — or its hook runs after and removes the
        // entry. Before, the entry went in first: for an instant a lookup could return a
        // process killed in between (found by `pool-bench torture`).
        if !partition.knows(pid) {
            guard Process.addExitHook(partition.exitHook, to: pid) else { throw .noProcess(pid) }
        }
        #if FAULTS
        RegistrySeams.runBeforeInsert()
        #endif
        // Closed is read under the same lock: a `close()` racing this either empties the
        // partition after the entry went in, or is seen here and nothing goes in.
        switch partition.insert(key, RegistryEntry(pid: pid, value: value), unique: keys == .unique,
                                alive: { !isClosed && pid.acceptsMessages }) {
        case .taken(let holder):
            throw .alreadyRegistered(holder)
        case .notAlive:
            throw isClosed ? .closed : .noProcess(pid)
        case .inserted:
            break
        }
        if shared.hasListeners { shared.notify([.registered(key: key, pid: pid, value: value)]) }
    }

    /// Removes every entry of the calling process under `key`. Always succeeds.
    @inlinable
    public func unregister(_ key: Key) {
        guard let caller = Process.current else { return }
        unregister(key, for: caller)
    }

    /// Removes every entry of `pid` under `key`.
    @inlinable
    public func unregister(_ key: Key, for pid: PID) {
        let removed = partition(for: key).remove(key, of: pid)
        if removed > 0 && shared.hasListeners {
            shared.notify(Array(repeating: .unregistered(key: key, pid: pid, cause: .unregistered), count: removed))
        }
    }

    /// Removes the calling process's entries under `key` whose value `predicate`
    /// accepts: OTP's `unregister_match`.
    ///
    /// `predicate` runs under the key's partition write lock: it must only inspect the
    /// value. One that calls into this registry waits for that lock forever (the lock is
    /// not reentrant).
    public func unregisterMatch(_ key: Key, where predicate: (Value) -> Bool) {
        guard let caller = Process.current else { return }
        unregisterMatch(key, for: caller, where: predicate)
    }

    /// Removes `pid`'s entries under `key` whose value `predicate` accepts.
    public func unregisterMatch(_ key: Key, for pid: PID, where predicate: (Value) -> Bool) {
        let removed = partition(for: key).remove(key, of: pid, where: predicate)
        if removed > 0 && shared.hasListeners {
            shared.notify(Array(repeating: .unregistered(key: key, pid: pid, cause: .unregistered), count: removed))
        }
    }

    // MARK: - Read

    /// The entries under `key`: OTP's `lookup`. Never contains a dead process.
    ///
    /// - Complexity: O(entries under the key); allocation-free for unique keys.
    @inlinable @inline(__always)
    public func lookup(_ key: Key) -> RegistryEntries<Value> {
        withPartition(for: key) { $0.lookup(key) }
    }

    /// The process holding `key` in a unique registry, or `nil`: the allocation-free
    /// lookup behind via names and pools. In a duplicate registry, `nil` unless exactly
    /// one entry exists.
    @inlinable @inline(__always)
    public func whereis(_ key: Key) -> PID? {
        withPartition(for: key) { $0.holder(of: key) }
    }

    /// The keys `pid` holds, in registration order per partition; `[]` for a dead pid.
    public func keys(for pid: PID) -> [Key] {
        partitions.flatMap { $0.keys(of: pid) }
    }

    /// The values `pid` registered under `key`.
    public func values(_ key: Key, for pid: PID) -> [Value] {
        lookup(key).filter { $0.pid == pid }.map(\.value)
    }

    /// The number of entries. O(1).
    @inlinable
    public func count() -> Int {
        shared.count.load(ordering: .relaxed)
    }

    /// Replaces the value of the calling process's entry under a unique `key`, returning
    /// the new and the old value: OTP's `update_value`.
    ///
    /// `transform` runs under the key's partition write lock: it must only compute the
    /// new value. One that calls into this registry waits for that lock forever (the lock
    /// is not reentrant).
    ///
    /// - Throws: ``RegistryError/notOwner`` if the caller does not hold the key,
    ///   ``RegistryError/notUnique``, ``RegistryError/notInProcess``.
    @discardableResult
    public func updateValue(_ key: Key, _ transform: (Value) -> Value) throws(RegistryError) -> (new: Value, old: Value) {
        guard let caller = Process.current else { throw .notInProcess }
        return try updateValue(key, for: caller, transform)
    }

    /// Replaces the value of `pid`'s entry under a unique `key`.
    @discardableResult
    public func updateValue(_ key: Key, for pid: PID, _ transform: (Value) -> Value) throws(RegistryError) -> (new: Value, old: Value) {
        guard keys == .unique else { throw .notUnique }
        guard let updated = partition(for: key).update(key, of: pid, transform) else { throw .notOwner }
        return updated
    }

    // MARK: - Lifetime

    /// Empties the registry and refuses registrations until ``reopen()``. Listeners hear
    /// of every removed entry with cause ``UnregisterCause/registryClosed``.
    public func close() {
        shared.closed.store(true, ordering: .releasing)
        for partition in partitions {
            let removed = partition.removeEverything()
            shared.notify(removed.map { .unregistered(key: $0.0, pid: $0.1.pid, cause: .registryClosed) })
        }
    }

    /// Accepts registrations again after ``close()``.
    public func reopen() {
        shared.closed.store(false, ordering: .releasing)
    }
}

extension Registry: CustomStringConvertible {
    /// The name, key kind and entry count, for logs.
    public var description: String { "Registry(\(name), \(keys.rawValue), \(count()) entries)" }
}
