@testable import PoolDashboard
import Supervision
import Testing

@Suite("Dashboard keys: what each key does to the model", .timeLimit(.minutes(2)))
struct DashboardKeyTests {
    @Test("↑ ↓ j k move the selection; it starts on the first row")
    func arrows() {
        var state = DashboardState.with(ids(1...20))
        #expect(state.selection == "id01")
        _ = state.press(.down, .down, .character("j"))
        #expect(state.selection == "id04")
        _ = state.press(.up, .character("k"))
        #expect(state.selection == "id02")
        _ = state.press(.up, .up, .up)
        #expect(state.selection == "id01", "stops at the top")
    }

    @Test("PgUp PgDn move a page; Home End g G go to the ends; the selection stays visible")
    func paging() {
        var state = DashboardState.with(ids(1...50))
        _ = state.press(.pageDown, pageSize: 10)
        #expect(state.selection == "id10")
        _ = state.press(.pageDown, .pageDown, pageSize: 10)
        #expect(state.selection == "id28")
        #expect(state.scrollOffset <= 27 && 27 < state.scrollOffset + 10)
        _ = state.press(.end)
        #expect(state.selection == "id50")
        _ = state.press(.home)
        #expect(state.selection == "id01")
        #expect(state.scrollOffset == 0)
        _ = state.press(.character("G"))
        #expect(state.selection == "id50")
        _ = state.press(.character("g"))
        #expect(state.selection == "id01")
        _ = state.press(.pageUp)
        #expect(state.selection == "id01")
    }

    @Test("/ filters by key as you type; Enter keeps it; Esc clears it")
    func filter() {
        var state = DashboardState.with(ids(1...30))
        _ = state.press(.character("/"))
        #expect(state.mode == .filter)
        _ = state.type("2")
        #expect(state.tableIDs() == ["id02", "id12", "id20", "id21", "id22", "id23", "id24", "id25", "id26", "id27", "id28", "id29"])
        _ = state.type("1")
        #expect(state.tableIDs() == ["id21"])
        _ = state.press(.backspace)
        #expect(state.tableCount == 12)
        _ = state.press(.enter)
        #expect(state.mode == .normal && state.filter == "2")
        #expect(state.tableCount == 12)
        _ = state.press(.escape)
        #expect(state.filter.isEmpty && state.tableCount == 30)
        _ = state.press(.character("/"))
        _ = state.type("3")
        _ = state.press(.escape)
        #expect(state.mode == .normal && state.filter.isEmpty && state.tableCount == 30, "Esc in the prompt clears")
    }

    @Test("a filter narrowed as you type shows what a fresh filter shows, in any order, and takes in rows that arrive later")
    func filterNarrowing() {
        let keys = ["東京-1", "東京-2", "zürich-1", "zurich-1", "☎️-12", "+1-555-1212", "+1-555-2121", "x"]
        var state = DashboardState.with(keys)
        for order in SortOrder.allCases {
            while state.sort != order { _ = state.press(.character("o")) }
            for text in ["東", "東京", "東京-2", "ü", "zü", "1", "12", "121", "☎️", "-5"] {
                var typed = state
                _ = typed.press(.character("/"))
                _ = typed.type(text)
                let expected = state.tableIDs().filter { Array($0.utf8).contains(Array(text.utf8)) }
                #expect(typed.tableIDs() == expected, "\(text) sorted by \(order)")
            }
        }
        _ = state.press(.character("/"))
        _ = state.type("555")
        _ = state.press(.enter)
        let pids = Pids.make(2)
        state.apply(.registered(id: "+1-555-0000", pid: pids[0], value: "v", at: .zero + .seconds(99)))
        state.apply(.registered(id: "+1-444-0000", pid: pids[1], value: "v", at: .zero + .seconds(99)))
        #expect(Set(state.tableIDs()) == ["+1-555-1212", "+1-555-2121", "+1-555-0000"])
    }

    @Test("o cycles the sort: key, uptime, restarts, state")
    func sortCycle() {
        var state = DashboardState.with(ids(1...3))
        var seen: [SortOrder] = [state.sort]
        for _ in 0..<4 {
            _ = state.press(.character("o"))
            seen.append(state.sort)
        }
        #expect(seen == [.key, .uptime, .restarts, .state, .key])
    }

    @Test("s stops the selected worker; c crashes it")
    func stopAndCrash() {
        var state = DashboardState.with(ids(1...3))
        _ = state.press(.down)
        #expect(state.press(.character("s")) == [.stop(id: "id02")])
        #expect(state.press(.character("c")) == [.crash(id: "id02")])
    }

    @Test("K and F9 kill after a y/n confirmation; anything else cancels")
    func killConfirm() {
        var state = DashboardState.with(ids(1...3))
        let pid = state.row("id01")!.pid
        #expect(state.press(.character("K")).isEmpty)
        #expect(state.mode == .confirmKill(id: "id01", pid: pid))
        #expect(state.press(.character("y")) == [.kill(id: "id01")])
        #expect(state.mode == .normal)
        #expect(state.press(.function(9)).isEmpty)
        #expect(state.press(.character("n")).isEmpty)
        #expect(state.status == "kill cancelled")
        _ = state.press(.character("K"))
        #expect(state.press(.escape).isEmpty)
        #expect(state.mode == .normal)
    }

    @Test("n asks for an id and lookupOrStarts it")
    func newWorker() {
        var state = DashboardState.with(ids(1...3))
        _ = state.press(.character("n"))
        #expect(state.mode == .newWorker)
        _ = state.type("+1-555-9")
        #expect(state.press(.enter) == [.lookupOrStart(id: "+1-555-9")])
        _ = state.press(.character("n"))
        #expect(state.press(.enter).isEmpty, "an empty id starts nothing")
    }

    @Test("m sets registry meta key=value; anything else is refused with a message")
    func meta() {
        var state = DashboardState.with(ids(1...3))
        _ = state.press(.character("m"))
        _ = state.type("owner=ops=1")
        #expect(state.press(.enter) == [.putMeta(key: "owner", value: "ops=1")])
        _ = state.press(.character("m"))
        _ = state.type("nokey")
        #expect(state.press(.enter).isEmpty)
        #expect(state.status == "meta must be key=value")
    }

    @Test("prompts never accept control characters")
    func promptsRefuseControls() {
        var state = DashboardState.with(ids(1...3))
        _ = state.press(.character("n"))
        _ = state.press(.character("a"), .character("\u{1B}"), .character("\u{07}"), .character("b"))
        #expect(state.input == "ab")
    }

    @Test("Enter opens the detail pane, t the tree, ? and F1 the help; Esc closes them")
    func overlays() {
        var state = DashboardState.with(ids(1...3))
        _ = state.press(.enter)
        #expect(state.mode == .detail(id: "id01"))
        _ = state.press(.escape)
        _ = state.press(.character("t"))
        #expect(state.mode == .tree)
        _ = state.press(.character("q"))
        #expect(state.mode == .normal, "q closes an overlay rather than quitting")
        _ = state.press(.character("?"))
        #expect(state.mode == .help)
        _ = state.press(.escape)
        _ = state.press(.function(1))
        #expect(state.mode == .help)
    }

    @Test("Space pauses and resumes; + and - change the refresh within 0.1 s and 10 s")
    func pauseAndRefresh() {
        var state = DashboardState.with(ids(1...3))
        _ = state.press(.character(" "))
        #expect(state.paused)
        _ = state.press(.character(" "))
        #expect(!state.paused)
        _ = state.press(.character("+"))
        #expect(state.refreshInterval == .milliseconds(500))
        for _ in 0..<10 { _ = state.press(.character("+")) }
        #expect(state.refreshInterval == .milliseconds(100))
        for _ in 0..<20 { _ = state.press(.character("-")) }
        #expect(state.refreshInterval == .seconds(10))
    }

    @Test("q, F10 and Ctrl-C quit")
    func quit() {
        for key in [Key.character("q"), .function(10), .interrupt] {
            var state = DashboardState.with(ids(1...3))
            #expect(state.press(key) == [.quit])
            #expect(state.quitting)
        }
    }
}
