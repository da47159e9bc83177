import Supervision

/// Every worker the dashboard knows, kept in all four sort orders at once, plus the
/// filtered view the user is looking at.
///
/// Changes arrive one worker at a time (from registry and supervision events) and cost
/// O(log n) per order; a frame reads only the rows it shows. So switching the sort is
/// instant and a frame costs the same with a thousand workers or a million.
struct WorkerIndex: Sendable {
    private(set) var rows: [String: WorkerRow] = [:]
    private var orders: [SortOrder: SortedBlocks<OrderKey>] = [:]
    private(set) var pids: [PID: String] = [:]

    /// The filtered view: the rows whose key contains `filter`, in `order`.
    private var filtered: (filter: String, matcher: KeyFilter, order: SortOrder, rows: SortedBlocks<OrderKey>)?

    init() {
        for order in SortOrder.allCases { orders[order] = SortedBlocks() }
    }

    var count: Int { rows.count }

    func row(_ id: String) -> WorkerRow? { rows[id] }

    func id(of pid: PID) -> String? { pids[pid] }

    /// Inserts or replaces a row. A replaced row moves only in the orders whose key
    /// changed (a restart changes the restarts order, an unregistration the state
    /// order): O(log n) for each of those.
    mutating func upsert(_ row: WorkerRow) {
        let old = rows.updateValue(row, forKey: row.id)
        if let old, old.pid != row.pid, pids[old.pid] == old.id { pids[old.pid] = nil }
        pids[row.pid] = row.id
        for order in SortOrder.allCases { Self.move(old, to: row, in: &orders[order]!, order) }
        // The id, and so whether the filter matches it, is the same for old and new.
        if let view = filtered, view.matcher.matches(row.id) { Self.move(old, to: row, in: &filtered!.rows, view.order) }
    }

    /// Puts `row` where `old` was in one order, unless its key there did not change.
    private static func move(_ old: WorkerRow?, to row: WorkerRow, in keys: inout SortedBlocks<OrderKey>, _ order: SortOrder) {
        let key = OrderKey(row, order)
        if let old {
            let oldKey = OrderKey(old, order)
            if oldKey == key { return }
            keys.remove(oldKey)
        }
        keys.insert(key)
    }

    /// Removes a row.
    mutating func remove(_ id: String) {
        guard let old = rows.removeValue(forKey: id) else { return }
        detach(old)
    }

    private mutating func detach(_ row: WorkerRow) {
        if pids[row.pid] == row.id { pids[row.pid] = nil }
        for order in SortOrder.allCases { orders[order]!.remove(OrderKey(row, order)) }
        if let view = filtered, view.matcher.matches(row.id) { filtered!.rows.remove(OrderKey(row, view.order)) }
    }

    // MARK: - Views

    /// Makes `filter` and `order` the current view.
    ///
    /// A new view scans the rows once, in order: O(n) byte comparisons. Typing one more
    /// character narrows the current view instead, scanning only its rows: O(m).
    mutating func select(filter: String, order: SortOrder) {
        if filter.isEmpty {
            filtered = nil
            return
        }
        let matcher = KeyFilter(filter)
        var matching: [OrderKey] = []
        if let view = filtered, view.order == order {
            if view.filter == filter { return }
            if view.matcher.matches(filter) {
                // Every row matching the longer filter matches the shorter one.
                view.rows.forEach { key in
                    if matcher.matches(key.id) { matching.append(key) }
                }
                filtered = (filter, matcher, order, SortedBlocks(sorted: matching))
                return
            }
        }
        orders[order]!.forEach { key in
            if matcher.matches(key.id) { matching.append(key) }
        }
        filtered = (filter, matcher, order, SortedBlocks(sorted: matching))
    }

    /// The number of rows in the view.
    func viewCount(order: SortOrder) -> Int {
        filtered?.rows.count ?? orders[order]!.count
    }

    /// The ids at positions `range` of the view.
    func viewIDs(order: SortOrder, in range: Range<Int>) -> [String] {
        let keys = filtered?.rows.elements(in: range) ?? orders[order]!.elements(in: range)
        return keys.map(\.id)
    }

    /// The position of `id` in the view, if it is there.
    func viewPosition(of id: String, order: SortOrder) -> Int? {
        guard let row = rows[id] else { return nil }
        let key = OrderKey(row, filtered?.order ?? order)
        if let filtered { return filtered.rows.position(of: key) }
        return orders[order]!.position(of: key)
    }

    /// Every row of the view, in order (for `snapshot`).
    func viewIDs(order: SortOrder) -> [String] {
        viewIDs(order: order, in: 0..<viewCount(order: order))
    }
}
