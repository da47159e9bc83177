/// A sorted multiset with positional access, for views of a million rows.
///
/// Elements live in sorted blocks of at most ``maxBlock`` elements; a search finds the
/// block by binary search on block ends, then the element within the block. Block
/// sizes are kept in a Fenwick tree, so the position of an element and the element at a
/// position are found in O(log n) — what a dashboard needs to draw rows 500 000 to
/// 500 040 of a sorted, filtered list, or to find where the selected row went.
///
/// - Complexity: insert and remove O(log n + maxBlock); position lookups O(log n);
///   building from sorted elements O(n).
struct SortedBlocks<Element: Comparable> {
    static var maxBlock: Int { 512 }

    private var blocks: [[Element]] = []
    /// Fenwick tree over block sizes (1-based).
    private var sizes: [Int] = [0]
    private(set) var count = 0

    init() {}

    /// Builds from elements already in ascending order.
    init(sorted elements: some Sequence<Element>) {
        var block: [Element] = []
        block.reserveCapacity(Self.maxBlock / 2)
        for element in elements {
            block.append(element)
            if block.count == Self.maxBlock / 2 {
                blocks.append(block)
                block = []
                block.reserveCapacity(Self.maxBlock / 2)
            }
        }
        if !block.isEmpty { blocks.append(block) }
        rebuildSizes()
    }

    // MARK: - Fenwick tree

    private mutating func rebuildSizes() {
        sizes = Array(repeating: 0, count: blocks.count + 1)
        count = 0
        for (index, block) in blocks.enumerated() {
            count += block.count
            var i = index + 1
            while i < sizes.count {
                sizes[i] += block.count
                i += i & -i
            }
        }
    }

    private mutating func adjust(block index: Int, by delta: Int) {
        count += delta
        var i = index + 1
        while i < sizes.count {
            sizes[i] += delta
            i += i & -i
        }
    }

    /// Elements in blocks before `index`.
    private func prefix(before index: Int) -> Int {
        var sum = 0
        var i = index
        while i > 0 {
            sum += sizes[i]
            i -= i & -i
        }
        return sum
    }

    /// The block holding position `position`, and the offset within it.
    private func locate(_ position: Int) -> (block: Int, offset: Int) {
        var index = 0
        var remaining = position
        var step = 1
        while step * 2 < sizes.count { step *= 2 }
        while step > 0 {
            let next = index + step
            if next < sizes.count && sizes[next] <= remaining {
                index = next
                remaining -= sizes[next]
            }
            step /= 2
        }
        return (index, remaining)
    }

    // MARK: - Search

    /// The block where `element` belongs: the first whose last element is not less.
    private func blockIndex(for element: Element) -> Int {
        var low = 0
        var high = blocks.count
        while low < high {
            let middle = (low + high) / 2
            if blocks[middle].last! < element { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The position of the first element not less than `element`.
    func lowerBound(_ element: Element) -> Int {
        let block = blockIndex(for: element)
        guard block < blocks.count else { return count }
        return prefix(before: block) + Self.lowerBound(element, in: blocks[block])
    }

    /// The position of `element`, if present.
    func position(of element: Element) -> Int? {
        find(element).map { prefix(before: $0.block) + $0.offset }
    }

    /// Where `element` is stored, if present.
    private func find(_ element: Element) -> (block: Int, offset: Int)? {
        let block = blockIndex(for: element)
        guard block < blocks.count else { return nil }
        let offset = Self.lowerBound(element, in: blocks[block])
        guard offset < blocks[block].count, blocks[block][offset] == element else { return nil }
        return (block, offset)
    }

    private static func lowerBound(_ element: Element, in block: [Element]) -> Int {
        var low = 0
        var high = block.count
        while low < high {
            let middle = (low + high) / 2
            if block[middle] < element { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The element at `position`.
    subscript(position: Int) -> Element {
        precondition(position >= 0 && position < count, "position out of range")
        let (block, offset) = locate(position)
        return blocks[block][offset]
    }

    /// The elements at positions `range` (clamped), in order.
    func elements(in range: Range<Int>) -> [Element] {
        let lower = max(0, range.lowerBound)
        let upper = min(count, range.upperBound)
        guard lower < upper else { return [] }
        var result: [Element] = []
        result.reserveCapacity(upper - lower)
        var (block, offset) = locate(lower)
        while result.count < upper - lower {
            result.append(blocks[block][offset])
            offset += 1
            if offset == blocks[block].count {
                block += 1
                offset = 0
            }
        }
        return result
    }

    /// Every element, in order.
    func forEach(_ body: (Element) -> Void) {
        for block in blocks {
            for element in block { body(element) }
        }
    }

    // MARK: - Mutation

    mutating func insert(_ element: Element) {
        if blocks.isEmpty {
            blocks = [[element]]
            rebuildSizes()
            return
        }
        let block = min(blockIndex(for: element), blocks.count - 1)
        let offset = Self.lowerBound(element, in: blocks[block])
        blocks[block].insert(element, at: offset)
        if blocks[block].count > Self.maxBlock {
            let half = blocks[block].count / 2
            let upper = Array(blocks[block][half...])
            blocks[block].removeSubrange(half...)
            blocks.insert(upper, at: block + 1)
            rebuildSizes()
        } else {
            adjust(block: block, by: 1)
        }
    }

    /// Removes one occurrence of `element`; returns whether it was present.
    @discardableResult
    mutating func remove(_ element: Element) -> Bool {
        guard let (block, offset) = find(element) else { return false }
        blocks[block].remove(at: offset)
        if blocks[block].isEmpty {
            blocks.remove(at: block)
            rebuildSizes()
        } else {
            adjust(block: block, by: -1)
        }
        return true
    }
}
extension SortedBlocks: Sendable where Element: Sendable {}
