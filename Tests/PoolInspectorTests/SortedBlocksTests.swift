@testable import PoolInspector
import Testing
import TestSupport

@Suite("SortedBlocks: an ordered multiset with positional access", .timeLimit(.minutes(Slowdown.scaled(2))))
struct SortedBlocksTests {
    /// The first position in the sorted `array` whose element is not below `value`.
    ///
    /// A binary search: the reference model must stay cheap, because a synchronous test
    /// runs on one of Swift's few cooperative threads. With a linear search the cases of
    /// these tests held both of them for about 20 s under AddressSanitizer, and calls of
    /// other tests queued behind them timed out (issue 23, item 10).
    private static func firstPosition(notBelow value: Int, in array: [Int]) -> Int {
        var low = 0
        var high = array.count
        while low < high {
            let middle = (low + high) / 2
            if array[middle] < value { low = middle + 1 } else { high = middle }
        }
        return low
    }

    @Test("random inserts and removes agree with a sorted array at every step", arguments: [1, 2, 3, 4])
    func agreesWithSortedArray(seed: UInt64) {
        var generator = SplitMix64(seed: seed)
        var blocks = SortedBlocks<Int>()
        var reference: [Int] = []
        for step in 0..<6_000 {
            let value = Int.random(in: 0..<2_000, using: &generator)
            // Inserts outnumber removes, so blocks fill up and split (at 512).
            if Double.random(in: 0..<1, using: &generator) < 0.7 || reference.isEmpty {
                blocks.insert(value)
                reference.insert(value, at: Self.firstPosition(notBelow: value, in: reference))
            } else {
                let victim = reference[Int.random(in: 0..<reference.count, using: &generator)]
                let removed = blocks.remove(victim)
                #expect(removed)
                reference.remove(at: Self.firstPosition(notBelow: victim, in: reference))
            }
            if step % 500 == 0 {
                #expect(blocks.count == reference.count)
                #expect(blocks.elements(in: 0..<blocks.count) == reference)
            }
        }
        #expect(blocks.elements(in: 0..<blocks.count) == reference)
        for position in stride(from: 0, to: reference.count, by: 37) {
            #expect(blocks[position] == reference[position])
            #expect(blocks.lowerBound(reference[position]) == Self.firstPosition(notBelow: reference[position], in: reference))
        }
        let removedAbsent = blocks.remove(-1)
        #expect(!removedAbsent)
    }

    @Test("positions of present and absent elements")
    func positions() {
        let blocks = SortedBlocks(sorted: Array(stride(from: 0, to: 10_000, by: 2)))
        #expect(blocks.count == 5_000)
        #expect(blocks.position(of: 4_000) == 2_000)
        #expect(blocks.position(of: 4_001) == nil)
        #expect(blocks.lowerBound(4_001) == 2_001)
        #expect(blocks.elements(in: 4_998..<6_000) == [9_996, 9_998])
    }

    @Test("masks (filtered views) agree with the filtered array at every step, through inserts, removes, splits and emptied blocks",
          arguments: [5, 6, 7])
    func masksAgree(seed: UInt64) {
        var generator = SplitMix64(seed: seed)
        var blocks = SortedBlocks(sorted: (0..<700).map { $0 * 3 })
        var reference = (0..<700).map { $0 * 3 }
        let even = blocks.addMask { $0 % 2 == 0 }
        let sixes = blocks.addMask({ $0 % 6 == 0 }, within: even)  // accepts only what `even` accepts
        func check(_ step: Int) {
            for (mask, accepts) in [(even, { (v: Int) in v % 2 == 0 }), (sixes, { (v: Int) in v % 6 == 0 })] {
                let filtered = reference.filter(accepts)
                #expect(blocks.count(mask: mask) == filtered.count, "step \(step)")
                #expect(blocks.elements(in: 0..<filtered.count, mask: mask) == filtered, "step \(step)")
                for position in stride(from: 0, to: filtered.count, by: max(1, filtered.count / 7)) {
                    #expect(blocks.position(of: filtered[position], mask: mask) == filtered.firstIndex(of: filtered[position]))
                    #expect(blocks.elements(in: position..<(position + 3), mask: mask) == Array(filtered[position..<min(filtered.count, position + 3)]))
                }
                if let odd = reference.first(where: { !accepts($0) }) { #expect(blocks.position(of: odd, mask: mask) == nil) }
            }
        }
        check(0)
        for step in 1...4_000 {
            let value = Int.random(in: 0..<3_000, using: &generator)
            // Inserting first, then removing more than inserting: blocks split, then empty.
            if (step < 2_000 && Double.random(in: 0..<1, using: &generator) < 0.8) || reference.isEmpty {
                blocks.insert(value)
                reference.insert(value, at: Self.firstPosition(notBelow: value, in: reference))
            } else {
                let victim = reference[Int.random(in: 0..<reference.count, using: &generator)]
                let removed = blocks.remove(victim)
                #expect(removed)
                reference.remove(at: Self.firstPosition(notBelow: victim, in: reference))
            }
            if step % 250 == 0 { check(step) }
        }
        check(4_001)
        blocks.removeMask(even)
        #expect(blocks.count(mask: even) == 0 && blocks.count(mask: sixes) == reference.filter { $0 % 6 == 0 }.count)
    }
}
