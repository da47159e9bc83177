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
    private var filtered: (filter: String, order: SortOrder, rows: SortedBlocks<OrderKey>)?

    init() {
        for order in SortOrder.allCases { orders[order] = SortedBlocks() }
    }

    var count: Int { rows.count }

    func row(_ id: String) -> WorkerRow? { rows[id] }

    func id(of pid: PID) -> String? { pids[pid] }

    /// Inserts or replaces a row.
    mutating func upsert(_ row: WorkerRow) {
        if let old = rows[row.id] { detach(old) }
        rows[row.id] = row
        pids[row.pid] = row.id
        for order in SortOrder.allCases { orders[order]!.insert(OrderKey(row, order)) }
        if let view = filtered, Self.matches(row.id, view.filter) {
            filtered!.rows.insert(OrderKey(row, view.order))
        }
    }

    /// Removes a row.
    mutating func remove(_ id: String) {
        guard let old = rows.removeValue(forKey: id) else { return }
        detach(old)
    }

    private mutating func detach(_ row: WorkerRow) {
        if pids[row.pid] == row.id { pids[row.pid] = nil }
        for order in SortOrder.allCases { orders[order]!.remove(OrderKey(row, order)) }
        if let view = filtered, Self.matches(row.id, view.filter) {
            filtered!.rows.remove(OrderKey(row, view.order))
        }
    }

    static func matches(_ id: String, _ filter: String) -> Bool {
        filter.isEmpty || id.contains(filter)
    }

    // MARK: - Views

    /// Makes `filter` and `order` the current view. Building a filtered view scans the
    /// rows once, in order: O(n).
    mutating func select(filter: String, order: SortOrder) {
        if filter.isEmpty {
            filtered = nil
            return
        }
        if let view = filtered, view.filter == filter, view.order == order { return }
        var matching: [OrderKey] = []
        orders[order]!.forEach { key in
            if Self.matches(key.id, filter) { matching.append(key) }
        }
        filtered = (filter, order, SortedBlocks(sorted: matching))
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
