import InspectorProtocol
@testable import PoolDashboard
import Supervision
import Testing
import TestSupport

@Suite("Dashboard behaviour people rely on", .timeLimit(.minutes(Slowdown.scaled(2))))
struct DashboardBehaviourTests {
    @Test("the selection stays on the same worker while rows come and go before it")
    func selectionFollowsID() async throws {
        let app = try await App(lineIDs: Array(10...20))
        let dashboard = await Dashboard(app)
        await dashboard.press(.down, .down, .down)
        #expect(dashboard.state.selection?.id == "13" && dashboard.state.selection?.position == 3)
        for id in [1, 2, 3] { try await app.start(id) }
        await dashboard.wait()
        #expect(dashboard.state.selection?.id == "13" && dashboard.state.selection?.position == 6)
        await app.lines.stop(2)
        await dashboard.wait(.seconds(4))
        #expect(dashboard.state.selection?.id == "13")
        await dashboard.press(.character("c"))
        #expect(dashboard.state.status?.contains("13") == true, "keys still act on the worker the person chose: \(dashboard.state.status ?? "")")
        dashboard.close()
        await app.stop()
    }

    @Test("a killed worker that is not restarted stays a moment as a marked tombstone, then goes; crash refuses it, and kill is answered by the app")
    func tombstones() async throws {
        let clock = ManualClock(start: Timestamp(nanoseconds: 1_000_000_000))
        let app = try await App(lineIDs: Array(1...5), restart: .temporary, clock: clock)
        let dashboard = await Dashboard(app)
        await dashboard.press(.down, .down)
        #expect(dashboard.state.selection?.id == "3")
        Process.exit(app.lines.lookup(3)!, .kill)
        await dashboard.wait()
        #expect(dashboard.state.selectedRow?.isDead == true && dashboard.state.selection?.id == "3")
        await dashboard.press(.character("c"))
        #expect(dashboard.state.mode == .normal && dashboard.state.status?.contains("already dead") == true)
        // Stop and kill go to the app, which would end a restart loop; this one is over.
        await dashboard.press(.character("K"), .character("y"))
        #expect(dashboard.state.status?.contains("is not running") == true, "\(dashboard.state.status ?? "")")
        let frame = dashboard.frame()
        #expect(frame.text.contains("✝ killed"))
        #expect(frame.lines.contains { $0.style == .selected && $0.text.contains(" 3 ") })
        #expect(frame.text.contains("killed 1"))
        clock.advance(by: .seconds(3))
        await dashboard.wait()
        #expect(!dashboard.shown.contains("3") && dashboard.state.selection?.id == "4", "gone; the row now at its place is selected")
        dashboard.close()
        await app.stop()
    }

    @Test("a killed worker's restart shows: a new pid, ↻1, and the story in the log (KILL, UNREG before DOWN, RESTART)")
    func killAndRestart() async throws {
        let app = try await App(lineIDs: [1, 2, 3])
        let dashboard = await Dashboard(app)
        let seen = try #require(dashboard.state.selection)
        await dashboard.press(.character("K"))
        #expect(dashboard.frame().lines.last?.text.hasPrefix(" kill 1 \(seen.pid)? y/n") == true)
        await dashboard.press(.character("y"))
        #expect(dashboard.state.status?.hasPrefix("kill returned: \(seen.pid) dead, 1 gone from the registry") == true)
        await dashboard.waitForLog("RESTART 1 \(seen.pid)")
        await dashboard.wait()
        let row = try #require(dashboard.state.selectedRow)
        #expect(row.id == "1" && row.pid != seen.pid && row.restarts == 1)
        let text = dashboard.frame(rows: 40).text
        #expect(text.contains("↻1") && text.contains("killed 1") && text.contains("restarts 1"))
        let log = dashboard.state.poolLog.map(\.text).reversed().filter { $0.contains(seen.pid) }
        #expect(log.first?.hasPrefix("KILL 1 \(seen.pid) (brutal)") == true)
        let unreg = log.firstIndex { $0.hasPrefix("UNREG 1") }
        let down = log.firstIndex { $0.hasPrefix("DOWN 1") }
        #expect(unreg != nil && down != nil && unreg! < down!, "the entry goes as part of the exit: \(log)")
        dashboard.close()
        await app.stop()
    }

    @Test("a kill names the pid the person confirmed: if the worker restarted in between, nothing is killed and the screen says why")
    func confirmedPid() async throws {
        let app = try await App(lineIDs: [1, 2])
        let dashboard = await Dashboard(app)
        let seen = try #require(dashboard.state.selection)
        await dashboard.press(.character("K"))
        #expect(dashboard.state.mode == .confirmKill(WorkerTarget(ref: seen.ref!, pid: seen.pid), id: "1"))
        var restarts = RestartWatch(app.runtime)
        let killed = app.lines.lookup(1)!
        Process.exit(killed, .kill)  // restarted behind the person's back
        let holder = await restarts.restart(of: killed)
        await dashboard.press(.character("y"))
        #expect(dashboard.state.status?.contains("kill 1 refused") == true && dashboard.state.status?.contains("now held by \(holder!)") == true)
        #expect(app.lines.lookup(1) == holder && holder!.isAlive)
        #expect(dashboard.state.log.contains { $0.kind == .error && $0.text.contains("refused") })
        dashboard.close()
        await app.stop()
    }

    @Test("read-only: command keys are greyed out and refused with the app's reason; nothing is sent")
    func readOnly() async throws {
        let app = try await App(lineIDs: [1, 2], commands: .none)
        let dashboard = await Dashboard(app)
        let bar = try #require(dashboard.frame().lines.last)
        #expect(bar.text.hasPrefix(" read-only ·"))
        let greyed = bar.spans.filter { $0.style == .disabled }.map { span in
            String(bar.text.dropFirst(span.start).prefix(span.count))
        }
        #expect(greyed == ["s:stop", "K:kill", "c:crash", "n:new", "m:meta"])
        #expect(dashboard.frame().lines[0].text.contains("· read-only"))
        for key in [Key.character("s"), .character("K"), .character("c"), .character("n"), .character("m")] {
            var state = dashboard.state
            #expect(state.handle(key, at: dashboard.time).isEmpty)
            #expect(state.mode == .normal && state.status?.hasPrefix("read-only:") == true && state.status?.contains("allows no commands") == true,
                    "\(key): \(state.status ?? "")")
        }
        dashboard.close()
        await app.stop()
    }

    @Test("the app goes: the screen says disconnected and keeps its rows; it comes back: the dashboard starts afresh on it")
    func disconnectAndBack() async throws {
        let app = try await App(lineIDs: [1, 2, 3])
        let dashboard = await Dashboard(app)
        dashboard.disconnect("the app closed the connection")
        let title = dashboard.frame(columns: 200).lines[0]
        #expect(title.style == .warning && title.text.contains("DISCONNECTED") && title.text.contains("waiting for app to come back"))
        #expect(dashboard.shown == ["1", "2", "3"], "the last screen stays")
        await dashboard.press(.character("K"))
        #expect(dashboard.state.status?.hasPrefix("disconnected:") == true)
        #expect(dashboard.state.tick(at: dashboard.time + .seconds(5)).isEmpty, "nothing is asked of an app that is not there")
        await app.stop()
        let again = try await App(lineIDs: [7, 8])
        await dashboard.reconnect(to: again)
        #expect(dashboard.state.connection == .connected && dashboard.shown == ["7", "8"])
        #expect(dashboard.state.log.contains { $0.text.contains("connected again") })
        dashboard.close()
        await again.stop()
    }

    @Test("the detail pane shows the worker and its own description of its state, escaped; a silent worker says it keeps it")
    func detail() async throws {
        let app = try await App(lineIDs: [4], seats: [Seat(row: 1, letter: "A")])
        let dashboard = await Dashboard(app)
        await dashboard.press(.enter)
        let text = dashboard.frame(rows: 40).text
        #expect(text.contains("behaviour Line") && text.contains("its state (answered in"))
        #expect(text.contains("line 4") && text.contains("bell\\x07 \\x1B[2J"))
        await dashboard.press(.escape, .tab, .enter)
        #expect(dashboard.frame(rows: 40).text.contains("Silent does not describe its state"))
        dashboard.close()
        await app.stop()
    }
}
