import InspectorProtocol
@testable import PoolInspector
import Supervision
import Testing
import TestSupport

@Suite("The inspector's index: natural order, windows around a focus, filtered views", .timeLimit(.minutes(Slowdown.scaled(2))))
struct IndexTests {
    @Test("ids sort as people read them: numbers by value, text by bytes, leading zeros tie-broken")
    func naturalOrder() {
        let sorted = ["tenant-10", "7", "tenant-9", "42", "+1-555-0000100", "+1-555-0000017", "b", "a10", "a9", "a09", "", "東京"]
            .sorted(by: NaturalOrder.precedes)
        #expect(sorted == ["", "+1-555-0000017", "+1-555-0000100", "7", "42", "a9", "a09", "a10", "b", "tenant-9", "tenant-10", "東京"])
        #expect(NaturalOrder.compare("x", "x") == 0)
        #expect(NaturalOrder.compare("007", "7") > 0 && NaturalOrder.compare("7", "007") < 0, "a total order")
        #expect(NaturalOrder.compare("18446744073709551616", "9") > 0, "digit runs longer than any integer still compare")
    }

    @Test("natural order is a strict weak order on random ids", arguments: [1, 2, 3])
    func strictWeakOrder(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let alphabet = Array("0123456789ab-")
        let ids = (0..<300).map { _ in String((0..<Int.random(in: 0...6, using: &random)).map { _ in alphabet.randomElement(using: &random)! }) }
        for a in ids.prefix(60) {
            #expect(!NaturalOrder.precedes(a, a))
            for b in ids.prefix(60) {
                #expect(!(NaturalOrder.precedes(a, b) && NaturalOrder.precedes(b, a)))
                #expect(NaturalOrder.compare(a, b) == 0 ? a == b : true, "only equal ids compare equal")
                for c in ids.prefix(12) where NaturalOrder.precedes(a, b) && NaturalOrder.precedes(b, c) {
                    #expect(NaturalOrder.precedes(a, c))
                }
            }
        }
    }

    typealias Index = WorkerIndex

    /// An index of `count` rows with ids 1…count (as text), started a second apart, and
    /// their refs by id.
    func index(_ count: Int) -> (Index, [Int: UInt64]) {
        var index = Index()
        var refs: [Int: UInt64] = [:]
        let pid = Process.spawn { _ in }
        for id in 1...count {
            refs[id] = index.insert { ref in
                IndexedRow(ref: ref, text: "\(id)", pid: pid, value: "", startedAt: Timestamp(nanoseconds: UInt64(id) * 1_000_000_000))
            }
        }
        return (index, refs)
    }

    @Test("a window is anchored on the focus ref wherever it went, else on the position asked for")
    func windows() {
        var (index, refs) = index(100)
        var window = index.window(order: .key, filter: "", focusRef: refs[50], position: 0, before: 2, after: 2)
        #expect(window.total == 100 && window.start == 47 && window.found)
        #expect(window.rows.map(\.text) == ["48", "49", "50", "51", "52"] && window.focus == 2)
        // Restarted (a later start time), it moves to the end of the uptime order, and the
        // window follows it there.
        var row = index.row(refs[50]!)!
        row.startedAt = Timestamp(nanoseconds: 1_000_000_000_000)
        index.update(row)
        window = index.window(order: .uptime, filter: "", focusRef: refs[50], position: 0, before: 1, after: 1)
        #expect(window.found && window.start + window.focus! == 99 && window.rows.last?.text == "50")
        index.remove(refs[50]!)
        window = index.window(order: .key, filter: "", focusRef: refs[50], position: 49, before: 0, after: 0)
        #expect(!window.found && window.rows.map(\.text) == ["51"], "gone: the row now at its place")
        window = index.window(order: .key, filter: "", focusRef: nil, position: 5_000, before: 1, after: 10)
        #expect(window.rows.map(\.text) == ["99", "100"], "positions are clamped")
        let reused = index.insert { ref in IndexedRow(ref: ref, text: "new", pid: row.pid, value: "", startedAt: .zero) }
        #expect(WorkerIndex.slot(of: reused) == WorkerIndex.slot(of: refs[50]!) && reused != refs[50], "a slot is reused, a ref never")
        #expect(index.row(refs[50]!) == nil)
        var empty = Index()
        #expect(empty.window(order: .key, filter: "", focusRef: 1, position: 3, before: 5, after: 5).total == 0)
    }

    @Test("a first look sorts once and gives every row a ref; the orders agree with rows inserted one by one")
    func load() {
        let (single, _) = index(300)
        var loaded = Index()
        let pid = Process.spawn { _ in }
        let refs = loaded.load(count: 300) { offset, ref in
            IndexedRow(ref: ref, text: "\(offset + 1)", pid: pid, value: "", startedAt: Timestamp(nanoseconds: UInt64(offset + 1) * 1_000_000_000))
        }
        #expect(Set(refs).count == 300 && loaded.count == 300)
        var one = single
        for order in SortKey.allCases {
            for filter in ["", "1", "29"] {
                let fromLoad = loaded.window(order: order, filter: filter, focusRef: nil, position: 0, before: 0, after: 300).rows.map(\.text)
                let fromInserts = one.window(order: order, filter: filter, focusRef: nil, position: 0, before: 0, after: 300).rows.map(\.text)
                #expect(fromLoad == fromInserts, "\(order) \(filter)")
            }
        }
    }

    @Test("a filter narrowed as you type gives what a fresh filter gives, in every order, and takes in rows that arrive later")
    func filterNarrowing() {
        let keys = ["東京-1", "東京-2", "zürich-1", "zurich-1", "☎️-12", "+1-555-1212", "+1-555-2121", "x"]
        var index = Index()
        let pid = Process.spawn { _ in }
        for (offset, key) in keys.enumerated() {
            index.insert { ref in IndexedRow(ref: ref, text: key, pid: pid, value: "", startedAt: Timestamp(nanoseconds: UInt64(offset))) }
        }
        func ids(_ index: inout Index, _ filter: String, _ order: SortKey) -> [String] {
            index.window(order: order, filter: filter, focusRef: nil, position: 0, before: 0, after: 100).rows.map(\.text)
        }
        for order in SortKey.allCases {
            let all = ids(&index, "", order)
            var typed = ""
            for character in "+1-555-12" {
                typed.append(character)
                var fresh = index
                let expected = all.filter { Array($0.utf8).contains(Array(typed.utf8)) }
                #expect(ids(&index, typed, order) == expected, "narrowed \(typed) by \(order)")
                #expect(ids(&fresh, typed, order) == expected)
            }
            for text in ["東", "東京-2", "ü", "☎️", "-5"] {
                #expect(ids(&index, text, order) == all.filter { Array($0.utf8).contains(Array(text.utf8)) }, "\(text) by \(order)")
            }
        }
        _ = ids(&index, "555", .key)
        let added = index.insert { ref in IndexedRow(ref: ref, text: "+1-555-0000", pid: pid, value: "", startedAt: .zero) }
        #expect(ids(&index, "555", .key) == ["+1-555-0000", "+1-555-1212", "+1-555-2121"], "a kept view takes in new rows")
        index.remove(added)
        #expect(ids(&index, "555", .key) == ["+1-555-1212", "+1-555-2121"])
        #expect(index.viewCount <= Index.maxViews, "at most \(Index.maxViews) filtered views are kept")
    }
}
