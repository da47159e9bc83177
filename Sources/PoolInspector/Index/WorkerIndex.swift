import InspectorProtocol
import Supervision

/// Every row the inspector knows for one pool, kept in all four sort orders at once, plus
/// the filtered views clients are looking at (masks over an order: see ``SortedBlocks``).
///
/// Changes arrive one worker at a time and cost O(log n) per order (plus a bit per
/// filtered view); a window of rows costs O(log n + rows). So a client asking for rows
/// 500 000 to 500 040 of a sorted, filtered million gets them at once, and switching the
/// sort is free.
///
/// `Identity` is what the watched registry keys a row by: the id for a unique registry,
/// the id and pid for a duplicate one.
struct WorkerIndex<Identity: Hashable & Sendable>: Sendable {
    private(set) var rows: [Identity: IndexedRow] = [:]
    private var byRef: [UInt64: Identity] = [:]
    private var byPID: [PID: Identity] = [:]
    private var orders: [SortKey: SortedBlocks<OrderKey>] = [:]
    private var views: [ViewKey: FilteredView] = [:]
    private var nextRef: UInt64 = 1
    private var useClock: UInt64 = 0

    /// Filtered views kept at once; the least recently used goes first.
    static var maxViews: Int { 16 }

    struct ViewKey: Hashable, Sendable {
        var filter: String
        var order: SortKey
    }

    /// A kept filtered view: a mask over its order's rows.
    struct FilteredView: Sendable {
        var mask: Int
        var lastUsed: UInt64
    }

    init() {
        for order in SortKey.allCases { orders[order] = SortedBlocks() }
    }

    var count: Int { rows.count }

    func row(_ identity: Identity) -> IndexedRow? { rows[identity] }

    func identity(ref: UInt64) -> Identity? { byRef[ref] }

    func identity(of pid: PID) -> Identity? { byPID[pid] }

    /// The ref a new identity gets.
    mutating func makeRef() -> UInt64 {
        defer { nextRef += 1 }
        return nextRef
    }

    /// Inserts or replaces the row of `identity`. A replaced row moves only in the orders
    /// whose key changed: O(log n) for each of those.
    mutating func upsert(_ identity: Identity, _ row: IndexedRow) {
        let old = rows.updateValue(row, forKey: identity)
        byRef[row.ref] = identity
        if let old, old.pid != row.pid, byPID[old.pid] == identity { byPID[old.pid] = nil }
        byPID[row.pid] = identity
        // The filtered views are masks over the orders: they follow.
        for order in SortKey.allCases { Self.move(old, to: row, in: &orders[order]!, order) }
    }

    private static func move(_ old: IndexedRow?, to row: IndexedRow, in keys: inout SortedBlocks<OrderKey>, _ order: SortKey) {
        let key = OrderKey(row, order)
        if let old {
            let oldKey = OrderKey(old, order)
            if oldKey == key { return }
            keys.remove(oldKey)
        }
        keys.insert(key)
    }

    /// Removes the row of `identity`, if any.
    mutating func remove(_ identity: Identity) {
        guard let old = rows.removeValue(forKey: identity) else { return }
        byRef[old.ref] = nil
        if byPID[old.pid] == identity { byPID[old.pid] = nil }
        for order in SortKey.allCases { orders[order]!.remove(OrderKey(old, order)) }
    }

    /// Replaces everything with `entries`: O(n log n), for the first look at a registry
    /// that already holds many entries.
    ///
    /// The ids are sorted once; an order whose primary key is the same for every row (no
    /// restarts yet, nothing dead yet: the usual first look) is that sort with its primary
    /// set, and the uptime order compares start times before it ever needs the ids.
    mutating func load(_ entries: [(Identity, IndexedRow)]) {
        rows = Dictionary(minimumCapacity: entries.count)
        byRef = Dictionary(minimumCapacity: entries.count)
        byPID = Dictionary(minimumCapacity: entries.count)
        for (identity, row) in entries {
            rows[identity] = row
            byRef[row.ref] = identity
            byPID[row.pid] = identity
        }
        var byKey = rows.values.map { OrderKey($0, .key) }
        byKey.sort()
        for order in SortKey.allCases {
            let primaries = Set(rows.values.lazy.map { OrderKey($0, order).primary })
            if order == .key {
                orders[order] = SortedBlocks(sorted: byKey)
            } else if primaries.count <= 1 {
                let primary = primaries.first ?? 0
                orders[order] = SortedBlocks(sorted: byKey.lazy.map { OrderKey(primary: primary, text: $0.text, ref: $0.ref) })
            } else {
                var keys = rows.values.map { OrderKey($0, order) }
                keys.sort()
                orders[order] = SortedBlocks(sorted: keys)
            }
        }
        views = [:]
    }

    // MARK: - Windows

    /// The rows of the view (`filter` in `order`) around a focus: the row with `ref` if
    /// it is in the view, else the one at `position` (clamped).
    mutating func window(order: SortKey, filter: String, focusRef: UInt64?, position: Int,
                         before: Int, after: Int) -> (total: Int, start: Int, focus: Int?, found: Bool, rows: [IndexedRow]) {
        let mask = view(filter: filter, order: order)
        let keys = orders[order]!
        let total = mask.map { keys.count(mask: $0) } ?? keys.count
        guard total > 0 else { return (0, 0, nil, false, []) }
        var focus = min(max(0, position), total - 1)
        var found = false
        if let focusRef, let identity = byRef[focusRef], let row = rows[identity] {
            let key = OrderKey(row, order)
            if let at = mask.map({ keys.position(of: key, mask: $0) }) ?? keys.position(of: key) {
                focus = at
                found = true
            }
        }
        let start = max(0, focus - max(0, before))
        let range = start..<min(total, focus + max(0, after) + 1)
        let elements = mask.map { keys.elements(in: range, mask: $0) } ?? keys.elements(in: range)
        let window = elements.compactMap { key in byRef[key.ref].flatMap { rows[$0] } }
        return (total, start, focus - start, found, window)
    }

    /// The number of rows in a view.
    mutating func viewCount(filter: String, order: SortKey) -> Int {
        let keys = orders[order]!
        return view(filter: filter, order: order).map { keys.count(mask: $0) } ?? keys.count
    }

    /// The mask of a filtered view (`nil`: no filter); made on first use.
    ///
    /// A new filter tests every row once, in order: O(n) byte comparisons, no copy —
    /// unless a kept view of the same order has a filter the new one contains (typing
    /// one more character), whose m rows alone are tested: O(m).
    private mutating func view(filter: String, order: SortKey) -> Int? {
        if filter.isEmpty { return nil }
        useClock += 1
        let key = ViewKey(filter: filter, order: order)
        if let kept = views[key] {
            views[key]!.lastUsed = useClock
            return kept.mask
        }
        let matcher = KeyFilter(filter)
        // The narrowest kept view this one is a narrowing of.
        let base = views.filter { $0.key.order == order && KeyFilter($0.key.filter).matches(filter) }
            .min { orders[order]!.count(mask: $0.value.mask) < orders[order]!.count(mask: $1.value.mask) }
        if views.count >= Self.maxViews, let oldest = views.min(by: { $0.value.lastUsed < $1.value.lastUsed }) {
            orders[oldest.key.order]!.removeMask(oldest.value.mask)
            views[oldest.key] = nil
        }
        let mask = orders[order]!.addMask({ matcher.matches($0.text) }, within: base?.value.mask)
        views[key] = FilteredView(mask: mask, lastUsed: useClock)
        return mask
    }

    /// Filtered views kept now.
    var viewCount: Int { views.count }
}
