import InspectorProtocol
import Supervision

/// Every row the inspector knows for one pool, kept in all four sort orders at once, plus
/// the filtered views clients are looking at (masks over an order: see ``SortedBlocks``).
///
/// Rows live in slots, addressed by their *ref*: the slot number, with the slot's
/// generation above it, so a ref is never handed out twice. The index knows nothing of
/// the registry's key types (its watch maps keys to refs), so all of it is compiled for
/// these concrete types, once.
///
/// Changes arrive one worker at a time and cost O(log n) per order (plus a bit per
/// filtered view); a window of rows costs O(log n + rows). So a client asking for rows
/// 500 000 to 500 040 of a sorted, filtered million gets them at once, and switching the
/// sort is free.
struct WorkerIndex: Sendable {
    private var slots: [IndexedRow?] = []
    private var generations: [UInt32] = []
    private var free: [Int] = []
    /// The rows held.
    private(set) var count = 0
    /// One sorted order per ``SortKey``, in `SortKey.allCases` order.
    private var orders: [SortedBlocks<OrderKey>] = SortKey.allCases.map { _ in SortedBlocks() }
    private var views: [ViewKey: FilteredView] = [:]
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

    init() {}

    /// The slot of a ref.
    static func slot(of ref: UInt64) -> Int { Int(truncatingIfNeeded: ref & 0xFFFF_FFFF) }

    private static func order(_ key: SortKey) -> Int {
        switch key {
        case .key: return 0
        case .uptime: return 1
        case .restarts: return 2
        case .state: return 3
        }
    }

    /// The row with `ref`, if it is still held.
    func row(_ ref: UInt64) -> IndexedRow? {
        let slot = Self.slot(of: ref)
        guard slot < slots.count, let row = slots[slot], row.ref == ref else { return nil }
        return row
    }

    /// Adds a row; `make` gets the ref it is given. O(log n) per order.
    @discardableResult
    mutating func insert(_ make: (UInt64) -> IndexedRow) -> UInt64 {
        let slot: Int
        if let reused = free.popLast() {
            slot = reused
        } else {
            slot = slots.count
            slots.append(nil)
            generations.append(0)
        }
        generations[slot] &+= 1
        let ref = UInt64(generations[slot]) << 32 | UInt64(slot)
        let row = make(ref)
        precondition(row.ref == ref, "a row keeps the ref it was given")
        slots[slot] = row
        count += 1
        for order in SortKey.allCases { orders[Self.order(order)].insert(OrderKey(row, order)) }
        return ref
    }

    /// Replaces a held row (same ref). It moves only in the orders whose key changed:
    /// O(log n) for each of those. The filtered views follow.
    mutating func update(_ row: IndexedRow) {
        guard let old = self.row(row.ref) else { return }
        slots[Self.slot(of: row.ref)] = row
        for order in SortKey.allCases {
            let (before, after) = (OrderKey(old, order), OrderKey(row, order))
            guard before != after else { continue }
            orders[Self.order(order)].remove(before)
            orders[Self.order(order)].insert(after)
        }
    }

    /// Removes a row, if held; its ref is never given out again.
    mutating func remove(_ ref: UInt64) {
        guard let old = row(ref) else { return }
        let slot = Self.slot(of: ref)
        slots[slot] = nil
        free.append(slot)
        count -= 1
        for order in SortKey.allCases { orders[Self.order(order)].remove(OrderKey(old, order)) }
    }

    /// Replaces everything with rows made by `make` (each given its ref): O(n log n),
    /// for the first look at a registry that already holds many entries. Returns the
    /// refs, in the order of `count` calls of `make`.
    ///
    /// The ids are sorted once; an order whose primary key is the same for every row (no
    /// restarts yet, nothing dead yet: the usual first look) is that sort with its primary
    /// set, and the uptime order compares start times before it ever needs the ids.
    mutating func load(count total: Int, _ make: (Int, UInt64) -> IndexedRow) -> [UInt64] {
        slots = []
        slots.reserveCapacity(total)
        generations = [UInt32](repeating: 1, count: total)
        free = []
        views = [:]
        var refs: [UInt64] = []
        refs.reserveCapacity(total)
        for index in 0..<total {
            let ref = UInt64(1) << 32 | UInt64(index)
            let row = make(index, ref)
            precondition(row.ref == ref, "a row keeps the ref it was given")
            slots.append(row)
            refs.append(ref)
        }
        count = total
        let rows = slots.map { $0! }
        var byKey = rows.map { OrderKey($0, .key) }
        byKey.sort()
        for order in SortKey.allCases {
            let primaries = Set(rows.lazy.map { OrderKey($0, order).primary })
            if order == .key {
                orders[Self.order(order)] = SortedBlocks(sorted: byKey)
            } else if primaries.count <= 1 {
                let primary = primaries.first ?? 0
                orders[Self.order(order)] = SortedBlocks(sorted: byKey.lazy.map { OrderKey(primary: primary, text: $0.text, ref: $0.ref) })
            } else {
                var keys = rows.map { OrderKey($0, order) }
                keys.sort()
                orders[Self.order(order)] = SortedBlocks(sorted: keys)
            }
        }
        return refs
    }

    // MARK: - Windows

    /// The rows of the view (`filter` in `order`) around a focus: the row with `ref` if
    /// it is in the view, else the one at `position` (clamped).
    mutating func window(order: SortKey, filter: String, focusRef: UInt64?, position: Int,
                         before: Int, after: Int) -> (total: Int, start: Int, focus: Int?, found: Bool, rows: [IndexedRow]) {
        let mask = view(filter: filter, order: order)
        let keys = orders[Self.order(order)]
        let total = mask.map { keys.count(mask: $0) } ?? keys.count
        guard total > 0 else { return (0, 0, nil, false, []) }
        var focus = min(max(0, position), total - 1)
        var found = false
        if let focusRef, let row = row(focusRef) {
            let key = OrderKey(row, order)
            if let at = mask.map({ keys.position(of: key, mask: $0) }) ?? keys.position(of: key) {
                focus = at
                found = true
            }
        }
        let start = max(0, focus - max(0, before))
        let range = start..<min(total, focus + max(0, after) + 1)
        let elements = mask.map { keys.elements(in: range, mask: $0) } ?? keys.elements(in: range)
        let window = elements.compactMap { row($0.ref) }
        return (total, start, focus - start, found, window)
    }

    /// The number of rows in a view.
    mutating func viewCount(filter: String, order: SortKey) -> Int {
        let mask = view(filter: filter, order: order)
        let keys = orders[Self.order(order)]
        return mask.map { keys.count(mask: $0) } ?? keys.count
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
            .min { orders[Self.order(order)].count(mask: $0.value.mask) < orders[Self.order(order)].count(mask: $1.value.mask) }
        if views.count >= Self.maxViews, let oldest = views.min(by: { $0.value.lastUsed < $1.value.lastUsed }) {
            orders[Self.order(oldest.key.order)].removeMask(oldest.value.mask)
            views[oldest.key] = nil
        }
        let mask = orders[Self.order(order)].addMask({ matcher.matches($0.text) }, within: base?.value.mask)
        views[key] = FilteredView(mask: mask, lastUsed: useClock)
        return mask
    }

    /// Filtered views kept now.
    var viewCount: Int { views.count }
}
