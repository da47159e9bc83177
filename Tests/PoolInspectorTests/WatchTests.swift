import InspectorProtocol
@testable import PoolInspector
import Supervision
import Testing
import WorkerRegistry
import TestSupport

@Suite("Watching a pool: rows, counts and the event log follow what the runtime does", .timeLimit(.minutes(Slowdown.scaled(2))))
struct WatchTests {
    @Test("a pool with Int ids: every worker it held before the watch is a row, in natural order, with its value")
    func intIDs() async throws {
        let app = try await TestApp.start(Talker.self, ids: Array((1...25).reversed()))
        let client = LineClient(app.inspector)
        let hello = try await client.hello()
        #expect(hello.app == "test" && hello.pools.map(\.name) == ["workers"] && hello.pools[0].kind == .pool)
        #expect(hello.pools[0].worker == "Talker")
        let rows = try await client.rows(RowsQuery(pool: "workers", after: 11))
        #expect(rows.total == 25)
        #expect(rows.rows.map(\.id) == (1...12).map(String.init), "1, 2 … 10, not 1, 10, 11")
        #expect(rows.rows[0].value == "v-1" && rows.rows[0].phase == .live && rows.rows[0].status == "idle")
        guard case .summary(let summary) = try await client.ask(.summary) else { Issue.record("no summary"); return }
        #expect(summary.pools[0].workers == 25 && summary.pools[0].entries == 25 && summary.pools[0].rows == 25)
        #expect(summary.pools[0].supervisor == app.pool.supervisor?.pid.description)
        client.close()
        await app.stop()
    }

    @Test("a pool whose ids are structs is shown by their descriptions, filtered and sorted by them")
    func structIDs() async throws {
        let ids = [TenantID(tenant: "acme", region: 10), TenantID(tenant: "acme", region: 9), TenantID(tenant: "globex", region: 1)]
        let app = try await TestApp.start(Mute.self, ids: ids)
        let client = LineClient(app.inspector)
        _ = try await client.hello()
        #expect(try await client.rows(RowsQuery(pool: "workers")).rows.map(\.id) == ["acme@9", "acme@10", "globex@1"])
        #expect(try await client.rows(RowsQuery(pool: "workers", filter: "acme@1")).rows.map(\.id) == ["acme@10"])
        client.close()
        await app.stop()
    }

    @Test("a kill tells the story in order: KILL, UNREG, kill returned (gone), DOWN, RESTART; the row shows the new pid and ↻1")
    func killStory() async throws {
        let app = try await TestApp.start(Talker.self, ids: [1, 2, 3])
        let client = LineClient(app.inspector)
        _ = try await client.hello()
        let row = try #require(try await client.rows(RowsQuery(pool: "workers")).rows.first)
        guard case .command(let outcome) = try await client.ask(.command(CommandRequest(pool: "workers", .kill(WorkerTarget(ref: row.ref, pid: row.pid))))) else {
            Issue.record("no outcome")
            return
        }
        #expect(outcome.outcome.hasPrefix("kill returned: \(row.pid) dead, 1 gone from the registry"))
        let events = try await client.waitForEvent { $0.text.hasPrefix("RESTART 1 \(row.pid)") }
        let story = events.map(\.text).filter { $0.contains(row.pid) }
        let kinds = story.map { $0.split(separator: " ").first.map(String.init) ?? "" }
        func place(_ kind: String) -> Int { kinds.firstIndex(of: kind) ?? -1 }
        // The DOWN travels through the runtime's event stream, the rest is posted in
        // place: only "kill returned" and the DOWN may come in either order.
        #expect(Set(kinds) == ["KILL", "UNREG", "kill", "DOWN", "RESTART"] && kinds.count == 5, "\(story)")
        #expect(place("KILL") == 0 && place("UNREG") == 1 && place("RESTART") == 4, "\(story)")
        #expect(story[1].contains("killed") && story[place("DOWN")].contains("registry clean"), "the entry went before the DOWN")
        let after = try await client.rows(RowsQuery(pool: "workers", focus: .init(ref: row.ref, position: 0)))
        let restarted = try #require(after.rows.first { $0.ref == row.ref })
        #expect(restarted.pid != row.pid && restarted.restarts == 1 && restarted.lastExit == "killed")
        guard case .summary(let summary) = try await client.ask(.summary) else { return }
        #expect(summary.pools[0].counters.killed == 1 && summary.pools[0].counters.restarts == 1)
        client.close()
        await app.stop()
    }

    @Test("a worker that is not restarted stays a moment as a tombstone, then goes; its ref is never reused")
    func tombstones() async throws {
        let clock = ManualClock(start: Timestamp(nanoseconds: 1_000_000_000))
        let app = try await TestApp.start(Talker.self, ids: [1, 2, 3], restart: .temporary, clock: clock)
        let client = LineClient(app.inspector)
        _ = try await client.hello()
        let second = try await client.rows(RowsQuery(pool: "workers")).rows[1]
        Process.exit(app.pool.lookup(2)!, .kill)
        var rows = try await client.rows(RowsQuery(pool: "workers", sort: .state))
        #expect(rows.rows.first?.id == "2" && rows.rows.first?.phase == .dead && rows.rows.first?.exitKind == .killed,
                "dead rows first in the state order")
        clock.advance(by: .seconds(3))
        rows = try await client.rows(RowsQuery(pool: "workers", focus: .init(ref: second.ref, position: 1)))
        #expect(rows.total == 2 && !rows.focusFound && rows.rows[rows.focus!].id == "3", "gone; the focus moves to the row at its place")
        _ = try await app.runtime.run { try await app.pool.lookupOrStart(2, arguments: 2) }
        let again = try await client.rows(RowsQuery(pool: "workers")).rows.first { $0.id == "2" }
        #expect(again.map { $0.ref != second.ref } == true, "a new row, a new ref")
        client.close()
        await app.stop()
    }

    @Test("a duplicate registry has one row per key and process; its meta is shown")
    func duplicateRegistry() async throws {
        let runtime = quietRuntime()
        let topics = Registry<String, Int>(keys: .duplicate, partitions: 2, name: "topics")
        topics.putMeta("owner", "ops")
        let pids = (0..<3).map { _ in Process.spawn(runtime: runtime) { inbox in _ = try await inbox.receive() } }
        for (offset, pid) in pids.enumerated() {
            try topics.register("news", value: offset, for: pid)
            if offset < 2 { try topics.register("sport", value: offset, for: pid) }
        }
        let inspector = Inspector(name: "topics", runtime: runtime, options: .init(logger: quiet))
        try inspector.watch(topics)
        let client = LineClient(inspector)
        let hello = try await client.hello()
        #expect(hello.pools[0].kind == .registry && hello.pools[0].keys == "duplicate")
        let rows = try await client.rows(RowsQuery(pool: "topics"))
        #expect(rows.rows.map(\.id) == ["news", "news", "news", "sport", "sport"])
        Process.exit(pids[0], .kill)
        let after = try await client.rows(RowsQuery(pool: "topics", sort: .state))
        #expect(after.rows.filter(\.isDead).map(\.id) == ["news", "sport"], "both entries of the dead process")
        guard case .summary(let summary) = try await client.ask(.summary) else { return }
        #expect(summary.pools[0].meta == [WireMeta(key: "owner", value: "ops")] && summary.pools[0].entries == 3)
        for pid in pids { Process.exit(pid, .kill) }
        client.close()
        await inspector.stop()
    }

    @Test("the tree has every root of the runtime; a pool's supervisor is named and its workers counted, not listed")
    func tree() async throws {
        let app = try await TestApp.start(Talker.self, ids: Array(1...40))
        let other = try await DynamicSupervisor.start(runtime: app.runtime)
        let client = LineClient(app.inspector)
        _ = try await client.hello()
        guard case .tree(let tree) = try await client.ask(.tree) else { Issue.record("no tree"); return }
        let shape = tree.nodes.map { "\($0.depth) \($0.kind.rawValue) \($0.id ?? "-") \($0.pool ?? "-") \($0.count.map(String.init) ?? "-")" }
        #expect(shape == [
            "0 supervisor - - -",
            "1 worker registry workers - -",
            "1 dynamicSupervisor pool workers workers -",
            "2 workers - - 40",
            "0 dynamicSupervisor - - -",
        ])
        #expect(tree.nodes[3].behaviour == "Talker" && tree.nodes[2].active == 40)
        try await other.stop()
        client.close()
        await app.stop()
    }
}
