import Supervision

extension Registry {
    /// The entries under `key` whose value `predicate` accepts: OTP's `match`.
    public func match(_ key: Key, where predicate: (Value) -> Bool) -> [RegistryEntry<Value>] {
        lookup(key).filter { predicate($0.value) }
    }

    /// How many entries under `key` `predicate` accepts: OTP's `count_match`.
    public func countMatch(_ key: Key, where predicate: (Value) -> Bool) -> Int {
        lookup(key).reduce(0) { predicate($1.value) ? $0 + 1 : $0 }
    }

    /// The non-`nil` results of `body` over every `(key, pid, value)` entry: the typed
    /// counterpart of OTP's `select` with a match spec (filter and transform in one).
    ///
    /// `body` runs under each partition's read lock: it must be quick and must not call
    /// into this registry — a registration or removal from `body` waits for readers to
    /// leave, and `body` is one of them: it would wait forever.
    ///
    /// - Complexity: O(entries).
    public func select<Result>(_ body: (Key, PID, Value) -> Result?) -> [Result] {
        var results: [Result] = []
        for partition in partitions {
            partition.forEach { key, entry in
                if let result = body(key, entry.pid, entry.value) { results.append(result) }
            }
        }
        return results
    }

    /// How many entries `predicate` accepts: OTP's `count_select`. O(entries).
    public func countSelect(where predicate: (Key, PID, Value) -> Bool) -> Int {
        var count = 0
        for partition in partitions {
            partition.forEach { key, entry in
                if predicate(key, entry.pid, entry.value) { count += 1 }
            }
        }
        return count
    }

    /// Every entry with its key. O(entries).
    public func entries() -> [(key: Key, entry: RegistryEntry<Value>)] {
        select { key, pid, value in (key, RegistryEntry(pid: pid, value: value)) }
    }
}
