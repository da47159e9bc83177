import InspectorProtocol
@testable import PoolDashboard
import Supervision
import Testing
import TestSupport

@Suite("Dashboard keys: what each key does, over a real app", .timeLimit(.minutes(Slowdown.scaled(2))))
struct DashboardKeyTests {
    @Test("↑ ↓ j k move the selection; it starts on the first row; ids are Ints in natural order")
    func arrows() async throws {
        let app = try await App(lineIDs: Array((1...20).reversed()))
        let dashboard = await Dashboard(app)
        #expect(dashboard.shown.prefix(3) == ["1", "2", "3"] && dashboard.state.selection?.id == "1")
        await dashboard.press(.down, .down, .character("j"))
        #expect(dashboard.state.selection?.id == "4")
        await dashboard.press(.up, .character("k"))
        #expect(dashboard.state.selection?.id == "2")
        await dashboard.press(.up, .up, .up)
        #expect(dashboard.state.selection?.id == "1", "stops at the top")
        dashboard.close()
        await app.stop()
    }

    @Test("PgUp PgDn move a page, Home End g G go to the ends, beyond the rows fetched; the selection stays on screen")
    func paging() async throws {
        let app = try await App(lineIDs: Array(1...200))
        let dashboard = await Dashboard(app, pageSize: 10)
        await dashboard.press(.pageDown)
        #expect(dashboard.state.selection?.id == "10")
        await dashboard.press(.pageDown, .pageDown)
        #expect(dashboard.state.selection?.id == "28")
        #expect(dashboard.state.scrollOffset <= 27 && 27 < dashboard.state.scrollOffset + 10)
        await dashboard.press(.end)
        #expect(dashboard.state.selection?.id == "200" && dashboard.shown.last == "200", "the app's last row, fetched")
        await dashboard.press(.home)
        #expect(dashboard.state.selection?.id == "1" && dashboard.state.scrollOffset == 0)
        await dashboard.press(.character("G"))
        #expect(dashboard.state.selection?.id == "200")
        await dashboard.press(.character("g"), .pageUp)
        #expect(dashboard.state.selection?.id == "1")
        #expect(dashboard.state.window!.rows.count < 200, "only a window of rows crosses the connection")
        dashboard.close()
        await app.stop()
    }

    @Test("/ filters by id as you type; Enter keeps it; Esc clears it")
    func filter() async throws {
        let app = try await App(lineIDs: Array(1...30))
        let dashboard = await Dashboard(app, pageSize: 20)
        await dashboard.press(.character("/"))
        #expect(dashboard.state.mode == .filter)
        await dashboard.type("2")
        #expect(dashboard.shown == ["2", "12", "20", "21", "22", "23", "24", "25", "26", "27", "28", "29"])
        await dashboard.type("1")
        #expect(dashboard.shown == ["21"])
        await dashboard.press(.backspace)
        #expect(dashboard.state.tableCount == 12)
        await dashboard.press(.enter)
        #expect(dashboard.state.mode == .normal && dashboard.state.filter == "2" && dashboard.state.tableCount == 12)
        await dashboard.press(.escape)
        #expect(dashboard.state.filter.isEmpty && dashboard.state.tableCount == 30)
        await dashboard.press(.character("/"))
        await dashboard.type("3")
        await dashboard.press(.escape)
        #expect(dashboard.state.mode == .normal && dashboard.state.filter.isEmpty && dashboard.state.tableCount == 30, "Esc in the prompt clears")
        await dashboard.press(.character("/"))
        await dashboard.type("zzz")
        #expect(dashboard.state.tableCount == 0 && dashboard.frame().text.contains("no id contains \"zzz\""))
        dashboard.close()
        await app.stop()
    }

    @Test("o cycles key, uptime, restarts, state, and the selection stays on its worker")
    func sort() async throws {
        let app = try await App(lineIDs: [5, 3, 9, 1])
        let dashboard = await Dashboard(app)
        await dashboard.press(.down)
        #expect(dashboard.state.selection?.id == "3")
        await dashboard.press(.character("o"))
        #expect(dashboard.state.sort == .uptime && dashboard.shown == ["5", "3", "9", "1"], "longest-running first")
        #expect(dashboard.state.selection?.id == "3" && dashboard.state.selection?.position == 1)
        #expect(dashboard.frame().text.contains("UPTIME▾"))
        await dashboard.press(.character("o"), .character("o"), .character("o"))
        #expect(dashboard.state.sort == .key && dashboard.state.selection?.id == "3")
        dashboard.close()
        await app.stop()
    }

    @Test("Tab and 1–9 switch pool; the header names it; ids of a struct type are shown by their description")
    func pools() async throws {
        let app = try await App(lineIDs: [1, 2], seats: [Seat(row: 10, letter: "A"), Seat(row: 9, letter: "C")])
        let dashboard = await Dashboard(app)
        #expect(dashboard.frame().lines[0].text.contains("pool lines 1/2 (Tab)"))
        await dashboard.press(.tab)
        #expect(dashboard.state.pool?.name == "seats" && dashboard.shown == ["9C", "10A"])
        #expect(dashboard.frame().lines[0].text.contains("pool seats 2/2"))
        await dashboard.press(.character("1"))
        #expect(dashboard.state.pool?.name == "lines" && dashboard.shown == ["1", "2"])
        await dashboard.press(.character("5"))
        #expect(dashboard.state.status == "no pool 5: this app has 2")
        await dashboard.press(.backTab)
        #expect(dashboard.state.pool?.name == "seats")
        dashboard.close()
        await app.stop()
    }

    @Test("? Enter t open overlays and Esc closes them; q F10 ^C quit; Space pauses the refresh; + - change it within bounds")
    func modes() async throws {
        let app = try await App(lineIDs: [1, 2])
        let dashboard = await Dashboard(app)
        await dashboard.press(.character("?"))
        #expect(dashboard.state.mode == .help && dashboard.frame().text.contains("The selection follows a worker's id"))
        await dashboard.press(.escape, .character("t"))
        #expect(dashboard.state.mode == .tree && dashboard.frame().text.contains("DynamicSupervisor (pool lines)"))
        await dashboard.press(.escape, .enter)
        #expect(dashboard.state.mode == .detail(ref: dashboard.state.selection!.ref!))
        await dashboard.press(.escape)
        #expect(dashboard.state.mode == .normal)
        await dashboard.press(.character(" "))
        #expect(dashboard.state.paused && dashboard.frame().lines[0].text.contains("PAUSED"))
        dashboard.time += .seconds(5)
        var paused = dashboard.state
        #expect(paused.tick(at: dashboard.time).isEmpty, "no refresh while paused")
        await dashboard.press(.character(" "))
        var resumed = dashboard.state
        #expect(!resumed.tick(at: dashboard.time).isEmpty, "resuming refreshes at once")
        for _ in 0..<10 { await dashboard.press(.character("+")) }
        #expect(dashboard.state.refreshInterval == .milliseconds(100))
        for _ in 0..<10 { await dashboard.press(.character("-")) }
        #expect(dashboard.state.refreshInterval == .seconds(10))
        for quit in [Key.character("q"), .function(10), .interrupt] {
            var copy = dashboard.state
            _ = copy.handle(quit, at: dashboard.time)
            #expect(copy.quitting)
        }
        dashboard.close()
        await app.stop()
    }

    @Test("control characters never enter a prompt (they would reach the screen)")
    func prompts() async throws {
        let app = try await App(lineIDs: [1])
        let dashboard = await Dashboard(app)
        await dashboard.press(.character("/"), .character("\u{1B}"), .character("\u{7}"), .character("1"))
        #expect(dashboard.state.input == "1")
        await dashboard.press(.escape, .character("m"))
        await dashboard.type("noequals")
        await dashboard.press(.enter)
        #expect(dashboard.state.status == "meta must be key=value")
        dashboard.close()
        await app.stop()
    }
}
