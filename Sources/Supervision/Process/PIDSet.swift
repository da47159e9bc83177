/// A set of PIDs that costs nothing when empty and no allocation with one member —
/// the common case for links (a worker is linked to its supervisor only) — and grows
/// into a hashed set for supervisors linked to many children.
@usableFromInline
struct PIDSet {
    @usableFromInline
    enum Storage {
        case empty
        case one(PID)
        case many(Set<PID>)
    }

    @usableFromInline
    var storage = Storage.empty

    @usableFromInline
    init() {}

    var isEmpty: Bool {
        if case .empty = storage { return true }
        return false
    }

    var count: Int {
        switch storage {
        case .empty: return 0
        case .one: return 1
        case .many(let set): return set.count
        }
    }

    func contains(_ pid: PID) -> Bool {
        switch storage {
        case .empty: return false
        case .one(let member): return member == pid
        case .many(let set): return set.contains(pid)
        }
    }

    mutating func insert(_ pid: PID) {
        switch storage {
        case .empty:
            storage = .one(pid)
        case .one(let member):
            if member != pid { storage = .many([member, pid]) }
        case .many(var set):
            storage = .empty  // keep the set uniquely referenced while inserting
            set.insert(pid)
            storage = .many(set)
        }
    }

    /// Removes `pid`; returns whether it was a member.
    @discardableResult
    mutating func remove(_ pid: PID) -> Bool {
        switch storage {
        case .empty:
            return false
        case .one(let member):
            guard member == pid else { return false }
            storage = .empty
            return true
        case .many(var set):
            storage = .empty
            let removed = set.remove(pid) != nil
            storage = set.isEmpty ? .empty : .many(set)
            return removed
        }
    }

    /// Removes and returns every member, in no particular order (sort them where the
    /// order matters, outside any lock).
    mutating func removeAll() -> [PID] {
        defer { storage = .empty }
        switch storage {
        case .empty: return []
        case .one(let member): return [member]
        case .many(let set): return Array(set)
        }
    }

    var members: [PID] {
        switch storage {
        case .empty: return []
        case .one(let member): return [member]
        case .many(let set): return Array(set)
        }
    }
}
