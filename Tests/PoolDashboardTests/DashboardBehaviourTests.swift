@testable import PoolDashboard
import Supervision
import Testing

@Suite("Dashboard behaviour people rely on", .timeLimit(.minutes(2)))
struct DashboardBehaviourTests {
    let builder = FrameBuilder()

    @Test("the selection stays on the same worker id while rows come and go before it")
    func selectionFollowsID() {
        var state = DashboardState.with(ids(10...20))
        _ = state.press(.down, .down, .down)
        #expect(state.selection == "id13")
        let before = state.selectionPosition
        // Workers appear before the selection, and one before it vanishes.
        let pids = Pids.make(3)
        for (offset, id) in ["id01", "id02", "id03"].enumerated() {
            state.apply(.registered(id: id, pid: pids[offset], value: "", at: .zero + .seconds(50)))
        }
        state.refreshSelection(pageSize: 10)
        #expect(state.selection == "id13")
        #expect(state.selectionPosition == before.map { $0 + 3 })
        _ = state.press(.character("s"))
        #expect(state.press(.character("c")) == [.crash(id: "id13")], "keys still act on the worker the user chose")
    }

    @Test("a killed worker stays as a marked tombstone, then goes; destructive keys refuse it")
    func tombstones() throws {
        var state = DashboardState.with(ids(1...5))
        let pid = try #require(state.row("id03")).pid
        _ = state.press(.down, .down)
        state.apply(.unregistered(id: "id03", pid: pid, cause: .processExited(.killed), at: .zero + .seconds(20)))
        #expect(state.row("id03")?.isTombstone == true)
        #expect(state.counters.killed == 1)
        #expect(state.selection == "id03")
        #expect(state.press(.character("K")).isEmpty)
        #expect(state.status?.contains("already dead") == true)
        let data = StubData()
        data.clock = .zero + .seconds(21)
        let frame = builder.build(state, data: data, layout: Layout(columns: 100, rows: 30))
        #expect(frame.text.contains("✝ killed"))
        #expect(frame.lines.contains { $0.style == .selected && $0.text.contains("id03") })
        // After the tombstone time it goes, and the selection moves to the row now in its place.
        state.expireTombstones(now: .zero + .seconds(23))
        state.refreshSelection(pageSize: 10)
        #expect(state.row("id03") == nil)
        #expect(state.selection == "id04")
    }

    @Test("a restarted worker shows its new pid and restart count, and the event log tells the story")
    func restartShows() throws {
        var state = DashboardState.with(ids(1...3))
        let old = try #require(state.row("id02")).pid
        let new = Pids.make(1)[0]
        state.apply(.unregistered(id: "id02", pid: old, cause: .processExited(.error(PhoneLine.Crash(number: "id02"))), at: .zero + .seconds(20)))
        state.apply(.registered(id: "id02", pid: new, value: "v", at: .zero + .seconds(20)))
        state.apply(.supervision(SupervisionEvent(time: .zero + .seconds(20), kind: .exited(old, reason: .error(PhoneLine.Crash(number: "id02")), parent: nil))))
        state.apply(.supervision(SupervisionEvent(time: .zero + .seconds(20), kind: .restarted(supervisor: new, childID: nil, old: old, new: new, restarts: 1))))
        let row = try #require(state.row("id02"))
        #expect(row.pid == new && row.restarts == 1 && !row.isTombstone)
        #expect(row.lastExit != nil)
        #expect(state.counters.crashed == 1 && state.counters.restarts == 1)
        let log = state.log.map(\.text)
        #expect(log.count == 3)
        #expect(log[0].hasPrefix("RESTART id02 \(old) → \(new) (#1)"))
        #expect(log[1].hasPrefix("DOWN id02 \(old)") && log[1].contains("registry clean"))
        #expect(log[2].hasPrefix("UNREG id02 \(old)"))
    }

    @Test("an escalation is in the event log")
    func escalation() {
        var state = DashboardState.with(ids(1...2))
        let supervisor = Pids.make(1)[0]
        state.watchSupervisor(supervisor)
        state.apply(.supervision(SupervisionEvent(time: .zero + .seconds(30), kind: .intensityExceeded(supervisor: supervisor, restarts: 4, maxRestarts: 3, period: .seconds(5)))))
        #expect(state.counters.escalations == 1)
        #expect(state.log.first?.text.contains("gave up: 4 restarts > 3 in 5s") == true)
    }

    @Test("keys, values and meta full of control characters never reach the frame raw")
    func escapingInFrames() throws {
        let hostileKey = "evil\u{1B}[2J\u{07}key"
        var state = DashboardState(poolName: "p\u{1B}]0;x\u{07}", startedAt: .zero)
        let pid = Pids.make(1)[0]
        state.apply(.registered(id: hostileKey, pid: pid, value: "v\u{1B}[31mred\u{202E}", at: .zero + .seconds(1)))
        state.refreshSelection(pageSize: 10)
        let data = StubData()
        data.summary = RegistrySummary(name: "r", mode: "unique", entries: 1, meta: [(key: "k\u{0}", value: "\u{1B}[H")])
        for mode in [DashboardState.Mode.normal, .detail(id: hostileKey)] {
            state.mode = mode
            let frame = builder.build(state, data: data, layout: Layout(columns: 120, rows: 30))
            for line in frame.lines {
                #expect(!line.text.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || $0.value == 0x202E })
            }
            #expect(frame.text.contains("evil\\x1B[2J\\x07key"))
        }
    }

    @Test("every line is exactly as wide as the terminal, wide characters included")
    func widths() {
        var state = DashboardState(poolName: "電話", startedAt: .zero)
        let pids = Pids.make(4)
        for (offset, id) in ["東京-03-1234", "📞-hotline", "plain", "서울-02-9876"].enumerated() {
            state.apply(.registered(id: id, pid: pids[offset], value: "プラン\(offset) ☎️", at: .zero + .seconds(1)))
        }
        state.refreshSelection(pageSize: 10)
        for columns in [64, 80, 97, 140] {
            let frame = builder.build(state, data: StubData(), layout: Layout(columns: columns, rows: 24))
            #expect(frame.lines.count == 24)
            for line in frame.lines { #expect(TerminalText.width(line.text) == columns) }
        }
    }

    @Test("a terminal too small for the layout says so instead of drawing garbage", arguments: [(40, 10), (63, 30), (100, 14), (20, 3)])
    func tooSmall(columns: Int, rows: Int) {
        let state = DashboardState.with(ids(1...3))
        let frame = builder.build(state, data: StubData(), layout: Layout(columns: columns, rows: rows))
        #expect(frame.lines.count == rows)
        #expect(frame.text.contains("too small") || columns < 25)
        #expect(frame.lines.allSatisfy { TerminalText.width($0.text) == columns })
        #expect(!frame.text.contains("KEY"))
    }

    @Test("the frame shows the header, counts, registry meta, table, log and key bar")
    func layout() {
        var state = DashboardState.with(ids(1...40))
        state.apply(.note("hello", kind: .info, at: .zero + .seconds(2)))
        let data = StubData()
        data.summary = RegistrySummary(name: "phones", mode: "unique", entries: 40, meta: [(key: "region", value: "eu")])
        data.poolSummary.active = 40
        let frame = builder.build(state, data: data, layout: Layout(columns: 120, rows: 30))
        let lines = frame.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0].contains("pool phones") && lines[0].contains("LIVE"))
        #expect(lines[1].contains("workers 40") && lines[1].contains("restart intensity 1/3 in 5s") && lines[1].contains("lookups/s 1.2k"))
        #expect(lines[3].contains("meta region=eu"))
        #expect(lines[4].contains("KEY▾") && lines[4].contains("MAILBOX"))
        #expect(lines[5].contains("id01"))
        #expect(frame.lines[5].style == .selected)
        #expect(frame.text.contains("events (newest first)") && frame.text.contains("hello"))
        #expect(lines.last!.contains("q:quit") && lines.last!.contains("?:help"))
    }

    @Test("a large population: views, sort switches and selection stay consistent")
    func largePopulation() {
        var state = DashboardState(poolName: "phones", startedAt: .zero)
        let pids = Pids.make(20_000)
        for index in 0..<20_000 {
            state.apply(.registered(id: DemoOptions.number(index), pid: pids[index], value: "", at: .zero + .milliseconds(Int64(20_000 - index))))
        }
        state.refreshSelection(pageSize: 30)
        _ = state.press(.end, pageSize: 30)
        #expect(state.selection == DemoOptions.number(19_999))
        _ = state.press(.character("o"), pageSize: 30)
        #expect(state.sort == .uptime)
        #expect(state.selection == DemoOptions.number(19_999), "the sort changed, the selection did not")
        #expect(state.selectionPosition == 0, "registered first: the longest uptime")
        _ = state.press(.character("/"))
        _ = state.type("-001999")
        #expect(state.tableCount == 10)
        #expect(state.tableIDs().allSatisfy { $0.hasPrefix("+1-555-001999") })
    }
}
