import CoreMetrics
import ScalableLocks
import Supervision
import Synchronization

/// The keys one process holds in a partition: inline for the usual one key. A process
/// that held keys and has none now stays known (``none``): the partition's exit hook
/// is still attached to it, and must not be attached again.
@usableFromInline
enum OwnedKeys<Key: Hashable> {
    case none
    case one(Key)
    case many([Key])

    @usableFromInline
    var all: [Key] {
        switch self {
        case .none: return []
        case .one(let key): return [key]
        case .many(let keys): return keys
        }
    }

    @usableFromInline
    mutating func append(_ key: Key) {
        switch self {
        case .none: self = .one(key)
        case .one(let first): self = .many([first, key])
        case .many(var keys):
            self = .none  // release the array before appending to it
            keys.append(key)
            self = .many(keys)
        }
    }

    /// Removes `count` occurrences of `key` (one per entry removed), the last ones first.
    @usableFromInline
    func removing(_ key: Key, count: Int) -> OwnedKeys {
        guard case .many(var keys) = self else { return count > 0 ? removing(key) : self }
        var left = count
        var index = keys.endIndex
        while left > 0 && index > keys.startIndex {
            index -= 1
            if keys[index] == key {
                keys.remove(at: index)
                left -= 1
            }
        }
        return Self(keys)
    }

    /// Removes every occurrence of `key`.
    @usableFromInline
    func removing(_ key: Key) -> OwnedKeys {
        switch self {
        case .none: return .none
        case .one(let only): return only == key ? .none : self
        case .many(let keys): return Self(keys.filter { $0 != key })
        }
    }

    /// The keys in their smallest form.
    @usableFromInline
    init(_ keys: [Key]) {
        switch keys.count {
        case 0: self = .none
        case 1: self = .one(keys[0])
        default: self = .many(keys)
        }
    }
}

/// State shared by a registry's partitions: the entry count and the listeners.
@usableFromInline
final class RegistryShared<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    @usableFromInline
    let name: String
    @usableFromInline
    let count = Atomic<Int>(0)
    /// Set while the registry is closed (its host process stopped).
    @usableFromInline
    let closed = Atomic<Bool>(false)
    /// The listeners given at creation, then those added since, in the order added.
    private let listeners: Lock<[(id: UInt64, listener: RegistryListener<Key, Value>)]>
    private let nextListenerID = Atomic<UInt64>(0)
    /// How many listeners there are: the one load a registration pays when there are
    /// none.
    @usableFromInline
    let listenerCount: Atomic<Int>

    /// The `registry_entries` meter; `nil` when the registry's metrics factory records
    /// nothing.
    @usableFromInline
    let entriesMeter: Meter?

    @usableFromInline
    init(name: String, listeners: [RegistryListener<Key, Value>], metrics: any MetricsFactory) {
        self.name = name
        self.entriesMeter = metrics.recordsNothing ? nil : Meter(
            label: WorkerRegistryMetrics.entries, dimensions: [(WorkerRegistryMetrics.registryDimension, name)],
            factory: metrics)
        self.listeners = Lock(listeners.map { (id: UInt64.max, listener: $0) })
        self.listenerCount = Atomic(listeners.count)
    }

    /// Adds `delta` to the entry count and the entries meter. Called under a
    /// partition's write lock.
    @inlinable @inline(__always)
    func entriesChanged(by delta: Int) {
        count.add(delta, ordering: .relaxed)
        guard let entriesMeter, delta != 0 else { return }
        if delta > 0 { entriesMeter.increment(by: Double(delta)) } else { entriesMeter.decrement(by: Double(-delta)) }
    }

    @inlinable
    var hasListeners: Bool { listenerCount.load(ordering: .relaxed) > 0 }

    func addListener(_ listener: RegistryListener<Key, Value>) -> UInt64 {
        let id = nextListenerID.add(1, ordering: .relaxed).oldValue
        listeners.withLock { $0.append((id, listener)) }
        listenerCount.add(1, ordering: .releasing)
        return id
    }

    func removeListener(_ id: UInt64) {
        let removed = listeners.withLock { listeners -> Bool in
            guard let index = listeners.firstIndex(where: { $0.id == id }) else { return false }
            listeners.remove(at: index)
            return true
        }
        if removed { listenerCount.subtract(1, ordering: .releasing) }
    }

    @usableFromInline
    func notify(_ events: [RegistryEvent<Key, Value>]) {
        guard hasListeners, !events.isEmpty else { return }
        let current = listeners.withLock { $0 }
        for event in events {
            for entry in current { entry.listener.deliver(event) }
        }
    }
}

/// The exit hook a partition attaches to each process registered in it: removes the
/// process's entries as part of the process's exit.
///
/// It is not generic: it calls functions made where the registry's key and value types
/// are concrete, so the removal runs specialized code, not generic code looking up
/// type metadata on every exit.
@usableFromInline
final class PartitionExitHook: ProcessExitHook, Sendable {
    @usableFromInline
    let exiting: @Sendable (PID, ExitReason) -> Void
    @usableFromInline
    let namesOf: @Sendable (PID) -> [String]

    @inlinable
    init(exiting: @escaping @Sendable (PID, ExitReason) -> Void, namesOf: @escaping @Sendable (PID) -> [String]) {
        self.exiting = exiting
        self.namesOf = namesOf
    }

    @usableFromInline
    func processExiting(_ pid: PID, reason: ExitReason) { exiting(pid, reason) }

    @usableFromInline
    func names(of pid: PID) -> [String] { namesOf(pid) }
}

/// One partition of a registry: entries by key, keys by owner, under one read-mostly
/// lock, and the exit hook that removes a process's entries when it exits.
// @unchecked: `entries` and `owners` are touched only under `lock` (a ReadMostlyLock);
// `exitHook` is written once, in init, before the partition is shared.
@usableFromInline
final class RegistryPartition<Key: Hashable & Sendable, Value: Sendable>: @unchecked Sendable {
    @usableFromInline
    typealias Entry = RegistryEntry<Value>

    @usableFromInline
    let shared: RegistryShared<Key, Value>
    @usableFromInline
    let lock = ReadMostlyLock()
    // Guarded by `lock` (which is why dynamic exclusivity checks are off for them).
    @usableFromInline @exclusivity(unchecked)
    var entries: [Key: RegistryEntries<Value>.Storage] = [:]
    @usableFromInline @exclusivity(unchecked)
    var owners: [PID: OwnedKeys<Key>] = [:]

    /// Attached once to every process registered in this partition.
    @usableFromInline
    private(set) var exitHook: PartitionExitHook!

    @inlinable
    init(shared: RegistryShared<Key, Value>) {
        self.shared = shared
        exitHook = PartitionExitHook(
            exiting: { [weak self] pid, reason in self?.processExiting(pid, reason: reason) },
            namesOf: { [weak self] pid in self?.names(of: pid) ?? [] })
    }

    // MARK: - Reads

    @inlinable @inline(__always)
    func lookup(_ key: Key) -> RegistryEntries<Value> {
        let stripe = lock.readLock()
        let storage = entries[key]
        lock.readUnlock(stripe)
        return RegistryEntries(storage ?? .none)
    }

    /// The holder of a unique key. Allocation-free.
    @inlinable @inline(__always)
    func holder(of key: Key) -> PID? {
        let stripe = lock.readLock()
        defer { lock.readUnlock(stripe) }
        if case .one(let entry) = entries[key] { return entry.pid }
        return nil
    }

    @inlinable
    func keys(of pid: PID) -> [Key] {
        lock.withReadLock { owners[pid]?.all ?? [] }
    }

    /// Calls `body` for every entry, under the read lock.
    func forEach(_ body: (Key, Entry) -> Void) {
        lock.withReadLock {
            for (key, storage) in entries {
                switch storage {
                case .none: break
                case .one(let entry): body(key, entry)
                case .many(let list): for entry in list { body(key, entry) }
                }
            }
        }
    }

    // MARK: - Writes

    @usableFromInline
    enum Insertion {
        case inserted
        case taken(PID)
        /// The process is exiting or dead: nothing was inserted.
        case notAlive
    }

    /// Whether `pid` holds (or held) keys here: the partition's exit hook is attached to it.
    @inlinable
    func knows(_ pid: PID) -> Bool {
        lock.withReadLock { owners[pid] != nil }
    }

    /// Inserts `entry` under `key` if `pid` is still alive, read under the write lock: an
    /// entry is never visible for a process that has begun exiting. The caller has
    /// attached the partition's hook first (see ``Registry/register(_:value:for:)``), so
    /// an exit that begins after this check removes the entry in that hook, which waits
    /// for this lock.
    @inlinable
    func insert(_ key: Key, _ entry: Entry, unique: Bool, alive: () -> Bool) -> Insertion {
        lock.withWriteLock { () -> Insertion in
            guard alive() else { return .notAlive }
            // Each dictionary is hashed once: its slot is changed in place.
            let taken = Self.withSlot(&entries[key]) { slot -> PID? in
                switch slot {
                case nil, .some(.none):
                    slot = .one(entry)
                case .some(.one(let existing)):
                    if unique { return existing.pid }
                    slot = .many([existing, entry])
                case .some(.many(var list)):
                    slot = RegistryEntries<Value>.Storage.none  // release the array before appending
                    list.append(entry)
                    slot = .many(list)
                }
                return nil
            }
            if let taken { return .taken(taken) }
            Self.withSlot(&owners[entry.pid]) { keys in
                guard var owned = keys else {
                    keys = .one(key)
                    return
                }
                keys = OwnedKeys.none  // release the array before appending
                owned.append(key)
                keys = owned
            }
            shared.entriesChanged(by: 1)
            return .inserted
        }
    }

    /// Runs `body` on a dictionary slot passed `inout` (`&dictionary[key]`): one lookup
    /// of the key for reading and writing it (setting `nil` removes the key).
    @inlinable @inline(__always)
    static func withSlot<Slot, Result>(_ slot: inout Slot, _ body: (inout Slot) -> Result) -> Result {
        body(&slot)
    }

    /// Removes `pid`'s entries under `key` that `predicate` accepts. Returns how many it
    /// removed. Allocation-free for a key with one entry.
    @inlinable @discardableResult
    func remove(_ key: Key, of pid: PID, where predicate: (Value) -> Bool = { _ in true }) -> Int {
        lock.withWriteLock { () -> Int in
            // Each dictionary is hashed once: found by index, changed at that index (a
            // missing key changes nothing, not even the dictionary's capacity).
            guard let index = entries.index(forKey: key) else { return 0 }
            var removed = 0
            var pidKeepsKey = false
            switch entries.values[index] {
            case .none:
                return 0
            case .one(let entry):
                guard entry.pid == pid && predicate(entry.value) else { return 0 }
                entries.remove(at: index)
                removed = 1
            case .many(let list):
                var kept: ContiguousArray<Entry> = []
                for entry in list {
                    if entry.pid == pid && predicate(entry.value) {
                        removed += 1
                    } else {
                        kept.append(entry)
                        if entry.pid == pid { pidKeepsKey = true }
                    }
                }
                guard removed > 0 else { return 0 }
                switch kept.count {
                case 0: entries.remove(at: index)
                case 1: entries.values[index] = .one(kept[0])
                default: entries.values[index] = .many(kept)
                }
            }
            if let owner = owners.index(forKey: pid) {
                // One occurrence per entry: a process that keeps some entries under the
                // key keeps the key as often as it keeps entries (OTP's `keys/2`).
                let owned = owners.values[owner]
                owners.values[owner] = pidKeepsKey ? owned.removing(key, count: removed) : owned.removing(key)
            }
            shared.entriesChanged(by: -removed)
            return removed
        }
    }

    /// Removes every entry of `pid`; returns them with their keys if `collect` (for
    /// listeners), else an empty array.
    ///
    /// - Complexity: O(keys of `pid`); a process with one key (the usual case) hashes
    ///   its pid once and its key once, and allocates nothing unless `collect`.
    @inlinable
    func removeAll(of pid: PID, collect: Bool = true) -> [(Key, Entry)] {
        lock.withWriteLock { () -> [(Key, Entry)] in
            guard let owned = owners.removeValue(forKey: pid) else { return [] }
            var removed: [(Key, Entry)] = []
            var count = 0
            switch owned {
            case .none:
                break
            case .one(let key):
                removeEntries(of: pid, under: key, collect: collect, into: &removed, count: &count)
            case .many(let keys):
                for key in Set(keys) { removeEntries(of: pid, under: key, collect: collect, into: &removed, count: &count) }
            }
            shared.entriesChanged(by: -count)
            return removed
        }
    }

    /// Removes `pid`'s entries under `key`. Caller holds the write lock.
    @inlinable
    func removeEntries(
        of pid: PID, under key: Key, collect: Bool, into removed: inout [(Key, Entry)], count: inout Int
    ) {
        guard let index = entries.index(forKey: key) else { return }
        switch entries.values[index] {
        case .none:
            break
        case .one(let entry):
            guard entry.pid == pid else { return }
            entries.remove(at: index)
            count += 1
            if collect { removed.append((key, entry)) }
        case .many(let list):
            var kept: ContiguousArray<Entry> = []
            for entry in list {
                if entry.pid == pid {
                    count += 1
                    if collect { removed.append((key, entry)) }
                } else {
                    kept.append(entry)
                }
            }
            switch kept.count {
            case 0: entries.remove(at: index)
            case 1: entries.values[index] = .one(kept[0])
            default: entries.values[index] = .many(kept)
            }
        }
    }

    /// Replaces the value of `pid`'s entry under a unique `key`.
    func update(_ key: Key, of pid: PID, _ transform: (Value) -> Value) -> (new: Value, old: Value)? {
        lock.withWriteLock { () -> (new: Value, old: Value)? in
            guard case .one(let entry) = entries[key], entry.pid == pid else { return nil }
            let new = transform(entry.value)
            entries[key] = .one(Entry(pid: pid, value: new))
            return (new, entry.value)
        }
    }

    /// Empties the partition; returns what it held.
    func removeEverything() -> [(Key, Entry)] {
        lock.withWriteLock { () -> [(Key, Entry)] in
            var removed: [(Key, Entry)] = []
            for (key, storage) in entries {
                switch storage {
                case .none: break
                case .one(let entry): removed.append((key, entry))
                case .many(let list): for entry in list { removed.append((key, entry)) }
                }
            }
            entries = [:]
            owners = [:]
            shared.entriesChanged(by: -removed.count)
            return removed
        }
    }

    // MARK: - Exit hook

    @inlinable
    func processExiting(_ pid: PID, reason: ExitReason) {
        guard shared.hasListeners else {
            _ = removeAll(of: pid, collect: false)
            return
        }
        let removed = removeAll(of: pid)
        shared.notify(removed.map { .unregistered(key: $0.0, pid: pid, cause: .processExited(reason)) })
    }

    @inlinable
    func names(of pid: PID) -> [String] {
        keys(of: pid).map { "\(shared.name)/\($0)" }
    }
}
