import Supervision
import SupervisionTesting
import WorkerRegistry

/// Lockstep invariants of registries: what ``SupervisionTesting`` cannot know about, since
/// it depends on the runtime alone.
extension Invariant {
    /// No registry entry refers to a dead process — PoolTUI's promise: a process's names
    /// go as part of its exit, not later.
    public static func registryEntriesAreAlive<Key, Value>(_ registry: Registry<Key, Value>) -> Invariant {
        Invariant("no registry entry refers to a dead process") {
            for (key, entry) in registry.entries() where !entry.pid.isAlive {
                return "\(registry.name): key \(key) still maps to dead \(entry.pid)"
            }
            return nil
        }
    }

    /// A unique registry maps each key to at most one live process.
    public static func uniqueKeysHaveOneProcess<Key, Value>(_ registry: Registry<Key, Value>) -> Invariant {
        Invariant("a unique key maps to at most one live process") {
            var seen: [Key: PID] = [:]
            for (key, entry) in registry.entries() where entry.pid.isAlive {
                if let other = seen[key], other != entry.pid {
                    return "\(registry.name): key \(key) maps to \(other) and \(entry.pid)"
                }
                seen[key] = entry.pid
            }
            return nil
        }
    }
}
