import PoolDashboard
import Testing
import TestSupport

@Suite("The cluster screen: nodes, leases, and every name with its holder and token")
struct ClusterScreenTests {
    typealias Snapshot = ClusterScreen.Snapshot

    func reading(_ holders: [(String, String)], revision: Int64 = 10, expired: Set<String> = []) -> Snapshot {
        let nodes = Set(holders.map(\.1)).sorted().enumerated().map { index, name in
            Snapshot.Node(name: name, address: "\(name):7000", lease: Int64(100 + index),
                          secondsLeft: expired.contains(name) ? nil : 4, names: holders.filter { $0.1 == name }.count)
        }
        return Snapshot(nodes: nodes, holders: holders.enumerated().map { .init(name: $1.0, node: $1.1, token: Int64($0 + 1)) },
                        revision: revision)
    }

    @Test("each node shows its lease's time left and its count; each name its node and token")
    func showsNodesAndNames() {
        var screen = ClusterScreen(endpoints: "http://127.0.0.1:2379", prefix: "sessions/")
        screen.read(reading([("alice", "a"), ("bob", "b"), ("carol", "a")]), at: .seconds(1))
        let frame = screen.frame(Layout(columns: 100, rows: 20), at: .seconds(1))
        #expect(frame.lines[0].text.contains("prefix sessions/ · 2 nodes · 3 names"))
        #expect(frame.text.contains("a:7000") && frame.text.contains("4 s"))
        let alice = frame.lines.first { $0.text.hasPrefix(" alice") }
        #expect(alice?.text.contains(" a ") == true && alice?.text.contains(" 1") == true)
        #expect(frame.lines.count == 20 && frame.lines.allSatisfy { $0.text.count == 100 })
    }

    @Test("control characters in names, nodes and addresses are escaped, never drawn raw")
    func escapes() {
        var screen = ClusterScreen(endpoints: "e", prefix: "p\u{7}/")
        screen.read(Snapshot(nodes: [.init(name: "n\u{1B}[31m", address: "x\u{0}", lease: 1, secondsLeft: 3, names: 1)],
                             holders: [.init(name: "id\u{1B}]0;owned\u{7}", node: "n\u{1B}[31m", token: 9)], revision: 2),
                    at: .zero)
        let text = screen.frame(Layout(columns: 100, rows: 20), at: .zero).text
        #expect(!text.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
        #expect(text.contains("\\x1B[31m") && text.contains("\\x07"))
    }

    @Test("a name now held by another node is marked as moved, for a while, even if it was free in between; an expired lease says so")
    func moves() {
        var screen = ClusterScreen(endpoints: "e", prefix: "p/")
        screen.read(reading([("alice", "a"), ("bob", "a")]), at: .zero)
        screen.read(reading([("bob", "a")], expired: ["a"]), at: .seconds(1))  // alice free: a's lease expired
        screen.read(reading([("alice", "b"), ("bob", "a")], expired: ["a"]), at: .seconds(2))
        screen.read(reading([("alice", "b"), ("bob", "a")], expired: ["a"]), at: .seconds(3))
        let frame = screen.frame(Layout(columns: 100, rows: 20), at: .seconds(3))
        let alice = frame.lines.first { $0.text.hasPrefix(" alice") }
        #expect(alice?.text.contains("← moved from a") == true && alice?.style == .restarted)
        #expect(frame.lines.first { $0.text.hasPrefix(" bob") }?.text.contains("moved") == false)
        #expect(frame.lines.first { $0.text.hasPrefix(" a ") }?.text.contains("expired") == true)
        let later = screen.frame(Layout(columns: 100, rows: 20), at: .seconds(2) + ClusterScreen.movedMarkTime)
        #expect(!later.text.contains("moved"), "the mark goes after a while")
    }

    @Test("/ filters names as typed, Esc clears; j k and PgDn scroll within the names; q quits")
    func keys() {
        var screen = ClusterScreen(endpoints: "e", prefix: "p/")
        screen.read(reading((0..<100).map { ("id-\($0)", "a") }), at: .zero)
        let layout = Layout(columns: 80, rows: 20)
        _ = screen.frame(layout, at: .zero)
        for character in "/id-4" { screen.handle(.character(character)) }
        screen.handle(.enter)
        #expect(screen.shownHolders.count == 11)  // id-4, id-40 … id-49
        #expect(screen.frame(layout, at: .zero).text.contains("(filter: id-4, 11 of 100)"))
        screen.handle(.escape)
        #expect(screen.shownHolders.count == 100)
        screen.handle(.pageDown)
        screen.handle(.character("j"))
        #expect(screen.scroll > 1)
        screen.handle(.character("G"))
        let last = screen.frame(layout, at: .zero)
        #expect(last.text.contains(" id-99 "))
        screen.handle(.character("g"))
        #expect(screen.scroll == 0)
        screen.handle(.character("q"))
        #expect(screen.quitting)
    }

    @Test("a failed read keeps the last reading on screen and says how old it is; a terminal too small says so")
    func failuresAndSmallTerminals() {
        var screen = ClusterScreen(endpoints: "e", prefix: "p/")
        screen.read(reading([("alice", "a")]), at: .zero)
        screen.readFailed("no etcd member answered")
        let frame = screen.frame(Layout(columns: 80, rows: 20), at: .seconds(12))
        #expect(frame.text.contains(" alice"))
        #expect(frame.lines.last?.text.contains("no etcd member answered — showing the reading of 12 s ago") == true)
        #expect(frame.lines.last?.style == .warning)
        let small = screen.frame(Layout(columns: 40, rows: 10), at: .zero)
        #expect(small.lines.count == 10 && small.lines[0].text.contains("terminal too small"))
    }
}
