/// A sorted multiset with positional access, and filtered views of it, for a million rows.
///
/// Elements live in sorted blocks of at most ``maxBlock`` elements; a search finds the
/// block by binary search on block ends, then the element within the block. Block
/// sizes are kept in a Fenwick tree, so the position of an element and the element at a
/// position are found in O(log n) — what a dashboard needs to draw rows 500 000 to
/// 500 040 of a sorted list, or to find where the selected row went.
///
/// A *mask* is a filtered view: one bit per element (which elements a predicate accepts),
/// kept beside each block, with its own Fenwick tree of counts. It answers the same
/// positional questions for the accepted elements only, copies no element, and follows
/// every insert and remove — so a filter over a million rows costs one pass of the
/// predicate and a few hundred kilobytes, whatever it matches.
///
/// - Complexity: insert and remove O(log n + maxBlock) per mask; position lookups
///   O(log n); building from sorted elements O(n); a new mask O(n) predicate calls (or
///   O(m) when made within a mask of m elements).
struct SortedBlocks<Element: Comparable & Sendable>: Sendable {
    static var maxBlock: Int { 512 }
    /// Words of mask bits per block.
    private static var words: Int { (maxBlock + 63) / 64 + 1 }

    private var blocks: [[Element]] = []
    private var sizes = Fenwick([])

    /// One filtered view: which elements `accepts`, block by block.
    struct Mask: Sendable {
        let accepts: @Sendable (Element) -> Bool
        var bits: [[UInt64]]
        var counts: Fenwick
    }

    private var masks: [Int: Mask] = [:]
    private var nextMask = 0

    /// The number of elements.
    var count: Int { sizes.total }

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
        sizes = Fenwick(blocks.map(\.count))
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
        return sizes.prefix(before: block) + Self.lowerBound(element, in: blocks[block])
    }

    /// The position of `element`, if present.
    func position(of element: Element) -> Int? {
        find(element).map { sizes.prefix(before: $0.block) + $0.offset }
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
        let (block, offset) = sizes.locate(position)
        return blocks[block][offset]
    }

    /// The elements at positions `range` (clamped), in order.
    func elements(in range: Range<Int>) -> [Element] {
        let lower = max(0, range.lowerBound)
        let upper = min(count, range.upperBound)
        guard lower < upper else { return [] }
        var result: [Element] = []
        result.reserveCapacity(upper - lower)
        var (block, offset) = sizes.locate(lower)
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

    // MARK: - Masks

    /// Makes a filtered view of the elements `accepts` takes and returns its id.
    ///
    /// - Parameter base: a mask whose elements include every element `accepts` takes (a
    ///   narrower filter of a kept one): only those are tested. Later inserts are tested
    ///   with `accepts` alone.
    mutating func addMask(_ accepts: @escaping @Sendable (Element) -> Bool, within base: Int? = nil) -> Int {
        let baseBits = base.flatMap { masks[$0]?.bits }
        var bits: [[UInt64]] = []
        bits.reserveCapacity(blocks.count)
        var counts: [Int] = []
        counts.reserveCapacity(blocks.count)
        for (index, block) in blocks.enumerated() {
            var words = [UInt64](repeating: 0, count: Self.words)
            var accepted = 0
            block.withUnsafeBufferPointer { elements in
                if let baseBits {
                    for (word, value) in baseBits[index].enumerated() {
                        var remaining = value
                        while remaining != 0 {
                            let bit = remaining.trailingZeroBitCount
                            remaining &= remaining - 1
                            if accepts(elements[word * 64 + bit]) {
                                words[word] |= 1 << UInt64(bit)
                                accepted += 1
                            }
                        }
                    }
                } else {
                    for offset in elements.indices where accepts(elements[offset]) {
                        words[offset >> 6] |= 1 << UInt64(offset & 63)
                        accepted += 1
                    }
                }
            }
            bits.append(words)
            counts.append(accepted)
        }
        let id = nextMask
        nextMask += 1
        masks[id] = Mask(accepts: accepts, bits: bits, counts: Fenwick(counts))
        return id
    }

    /// Drops a filtered view.
    mutating func removeMask(_ id: Int) {
        masks[id] = nil
    }

    /// The number of filtered views kept.
    var maskCount: Int { masks.count }

    /// The number of elements in mask `id`.
    func count(mask id: Int) -> Int {
        masks[id]?.counts.total ?? 0
    }

    /// The position of `element` among the elements of mask `id`, if it is one of them.
    func position(of element: Element, mask id: Int) -> Int? {
        guard let mask = masks[id], let (block, offset) = find(element), Self.test(mask.bits[block], offset) else { return nil }
        return mask.counts.prefix(before: block) + Self.rank(mask.bits[block], before: offset)
    }

    /// The elements of mask `id` at its positions `range` (clamped), in order.
    func elements(in range: Range<Int>, mask id: Int) -> [Element] {
        guard let mask = masks[id] else { return [] }
        let lower = max(0, range.lowerBound)
        let upper = min(mask.counts.total, range.upperBound)
        guard lower < upper else { return [] }
        var result: [Element] = []
        result.reserveCapacity(upper - lower)
        var (block, rank) = mask.counts.locate(lower)
        var offset = Self.select(mask.bits[block], rank)
        while result.count < upper - lower {
            if offset < blocks[block].count {
                if Self.test(mask.bits[block], offset) { result.append(blocks[block][offset]) }
                offset += 1
            } else {
                block += 1
                offset = 0
            }
        }
        return result
    }

    /// The set bits of a block's words.
    private static func ones(_ words: [UInt64]) -> Int {
        words.reduce(0) { $0 + $1.nonzeroBitCount }
    }

    private static func test(_ words: [UInt64], _ offset: Int) -> Bool {
        words[offset >> 6] & (1 << UInt64(offset & 63)) != 0
    }

    /// Set bits before `offset`.
    private static func rank(_ words: [UInt64], before offset: Int) -> Int {
        var count = 0
        for word in 0..<(offset >> 6) { count += words[word].nonzeroBitCount }
        let partial = offset & 63
        if partial > 0 { count += (words[offset >> 6] & ((1 << UInt64(partial)) - 1)).nonzeroBitCount }
        return count
    }

    /// The offset of set bit number `rank` (0-based).
    private static func select(_ words: [UInt64], _ rank: Int) -> Int {
        var remaining = rank
        for (index, word) in words.enumerated() {
            let ones = word.nonzeroBitCount
            if remaining < ones {
                var value = word
                for _ in 0..<remaining { value &= value - 1 }
                return index * 64 + value.trailingZeroBitCount
            }
            remaining -= ones
        }
        return words.count * 64
    }

    /// Inserts a bit at `offset`, moving the later ones up.
    private static func insertBit(_ words: inout [UInt64], at offset: Int, _ value: Bool) {
        let word = offset >> 6
        let bit = UInt64(offset & 63)
        var carry = words[word] >> 63
        let low = bit == 0 ? 0 : words[word] & ((1 << bit) - 1)
        let high = bit == 0 ? words[word] : words[word] & ~((1 << bit) - 1)
        words[word] = low | (high << 1) | (value ? 1 << bit : 0)
        for next in (word + 1)..<words.count {
            let out = words[next] >> 63
            words[next] = (words[next] << 1) | carry
            carry = out
        }
    }

    /// Removes the bit at `offset`, moving the later ones down.
    private static func removeBit(_ words: inout [UInt64], at offset: Int) {
        let word = offset >> 6
        let bit = UInt64(offset & 63)
        let low = bit == 0 ? 0 : words[word] & ((1 << bit) - 1)
        let high = bit == 63 ? 0 : (words[word] >> (bit + 1)) << bit
        words[word] = low | high
        for next in (word + 1)..<words.count {
            words[next - 1] |= (words[next] & 1) << 63
            words[next] >>= 1
        }
    }

    /// The bits of a block, for the elements from `start` on (a block that splits).
    private static func tail(_ words: [UInt64], from start: Int) -> [UInt64] {
        var result = words
        for _ in 0..<start { removeBit(&result, at: 0) }
        return result
    }

    // MARK: - Mutation

    mutating func insert(_ element: Element) {
        if blocks.isEmpty {
            blocks = [[element]]
            sizes = Fenwick([1])
            for mask in masks.values.indices {
                let accepted = masks.values[mask].accepts(element)
                var words = [UInt64](repeating: 0, count: Self.words)
                if accepted { words[0] = 1 }
                masks.values[mask].bits = [words]
                masks.values[mask].counts = Fenwick([accepted ? 1 : 0])
            }
            return
        }
        let block = min(blockIndex(for: element), blocks.count - 1)
        let offset = Self.lowerBound(element, in: blocks[block])
        blocks[block].insert(element, at: offset)
        for mask in masks.values.indices {
            let accepted = masks.values[mask].accepts(element)
            Self.insertBit(&masks.values[mask].bits[block], at: offset, accepted)
            if accepted { masks.values[mask].counts.add(1, at: block) }
        }
        guard blocks[block].count > Self.maxBlock else {
            sizes.add(1, at: block)
            return
        }
        // Split the full block in two; the masks split with it.
        let half = blocks[block].count / 2
        let upper = Array(blocks[block][half...])
        blocks[block].removeSubrange(half...)
        blocks.insert(upper, at: block + 1)
        sizes = Fenwick(blocks.map(\.count))
        for mask in masks.values.indices {
            let words = masks.values[mask].bits[block]
            var lower = words
            for offset in half..<(upper.count + half) where Self.test(lower, offset) {
                lower[offset >> 6] &= ~(1 << UInt64(offset & 63))
            }
            masks.values[mask].bits[block] = lower
            masks.values[mask].bits.insert(Self.tail(words, from: half), at: block + 1)
            masks.values[mask].counts = Fenwick(masks.values[mask].bits.map(Self.ones))
        }
    }

    /// Removes one occurrence of `element`; returns whether it was present.
    @discardableResult
    mutating func remove(_ element: Element) -> Bool {
        guard let (block, offset) = find(element) else { return false }
        blocks[block].remove(at: offset)
        for mask in masks.values.indices {
            if Self.test(masks.values[mask].bits[block], offset) { masks.values[mask].counts.add(-1, at: block) }
            Self.removeBit(&masks.values[mask].bits[block], at: offset)
        }
        if blocks[block].isEmpty {
            blocks.remove(at: block)
            sizes = Fenwick(blocks.map(\.count))
            for mask in masks.values.indices {
                masks.values[mask].bits.remove(at: block)
                masks.values[mask].counts = Fenwick(masks.values[mask].bits.map(Self.ones))
            }
        } else {
            sizes.add(-1, at: block)
        }
        return true
    }
}
