import ScalableLocks

/// Every process that has not fully exited, by serial: how a ``PID`` — a plain number,
/// as in Erlang — reaches its process.
///
/// A process is inserted when it is created and removed at the instant its exit
/// completes (after its names were released, before its links and monitors are
/// signalled): that removal is the moment it becomes dead to everyone. Holding a `PID`
/// therefore keeps nothing alive, and copying one costs no reference counting.
///
/// Lookups take the read side of a shard's ``ReadMostlyLock``: concurrent senders never
/// contend with each other.
@usableFromInline
final class ProcessTable: Sendable {
    @usableFromInline
    static let shared = ProcessTable()

    // @unchecked: `cores` is touched only under `lock` (a ReadMostlyLock).
    private final class Shard: @unchecked Sendable {
        let lock = ReadMostlyLock()
        // Guarded by `lock`.
        @exclusivity(unchecked)
        var cores: [UInt64: ProcessCore] = [:]
    }

    private static let shardCount: UInt64 = 64
    private let owned: [Shard]
    // Unretained references, to reach a shard without reference counting: safe because
    // `owned` keeps every shard alive for the life of the table (a process-wide singleton).
    private let shards: [Unmanaged<Shard>]

    private init() {
        owned = (0..<Self.shardCount).map { _ in Shard() }
        shards = owned.map { Unmanaged.passUnretained($0) }
    }

    @inline(__always)
    private func withShard<Result>(_ serial: UInt64, _ body: (Shard) -> Result) -> Result {
        shards[Int(serial % Self.shardCount)]._withUnsafeGuaranteedRef(body)
    }

    func insert(_ core: ProcessCore) {
        withShard(core.serial) { shard in
            shard.lock.withWriteLock { shard.cores[core.serial] = core }
        }
    }

    func remove(_ serial: UInt64) {
        withShard(serial) { shard in
            shard.lock.withWriteLock { _ = shard.cores.removeValue(forKey: serial) }
        }
    }

    /// Every process of `runtime` that has not fully exited, oldest first. O(processes).
    func cores(of runtime: Runtime) -> [ProcessCore] {
        var found: [ProcessCore] = []
        for shard in owned {
            let stripe = shard.lock.readLock()
            for core in shard.cores.values where core.runtime === runtime { found.append(core) }
            shard.lock.readUnlock(stripe)
        }
        return found.sorted { $0.serial < $1.serial }
    }

    /// The process with this serial, if it has not fully exited.
    @usableFromInline
    func core(_ serial: UInt64) -> ProcessCore? {
        withShard(serial) { shard in
            let stripe = shard.lock.readLock()
            defer { shard.lock.readUnlock(stripe) }
            return shard.cores[serial]
        }
    }

    @inline(__always)
    func contains(_ serial: UInt64) -> Bool {
        withShard(serial) { shard in
            let stripe = shard.lock.readLock()
            defer { shard.lock.readUnlock(stripe) }
            return shard.cores.index(forKey: serial) != nil
        }
    }
}
