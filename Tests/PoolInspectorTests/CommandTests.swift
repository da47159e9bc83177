import InspectorProtocol
@testable import PoolInspector
import ScalableLocks
import Supervision
import Testing
import WorkerRegistry
import TestSupport

@Suite("Commands: only what the app allows, only on the process the person saw", .timeLimit(.minutes(Slowdown.scaled(2))))
struct CommandTests {
    func runtime<T: Sendable>(_ app: TestApp<Fragile, Int>, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await app.runtime.run { try await body() }
    }

    func target(_ client: LineClient, _ id: String) async throws -> WireRow {
        try #require(try await client.rows(RowsQuery(pool: "workers", filter: id)).rows.first { $0.id == id })
    }

    @Test("read-only by default: the hello lists no command and says why; every command is refused and nothing happens")
    func readOnly() async throws {
        let app = try await TestApp.start(Talker.self, ids: [1, 2], commands: .none) { try $0.watch($1) { $0 } }
        let client = LineClient(app.inspector)
        let hello = try await client.hello()
        #expect(hello.readOnly && hello.pools[0].commands.isEmpty)
        #expect(hello.pools[0].readOnlyReason?.contains("read-only") == true)
        let row = try await target(client, "1")
        let seen = WorkerTarget(ref: row.ref, pid: row.pid)
        for action: CommandRequest.Action in [.kill(seen), .stop(seen), .crash(seen), .lookupOrStart(id: "9"), .putMeta(key: "k", value: "v")] {
            await #expect(throws: ProtocolError.self) { try await client.ask(.command(CommandRequest(pool: "workers", action))) }
            if case .failure(_, let error) = await client.request(.command(CommandRequest(pool: "workers", action))) {
                #expect(error.code == .readOnly && error.message.contains("read-only"), "\(error)")
            }
        }
        #expect(app.pool.lookup(1)?.description == row.pid, "nothing was killed")
        #expect(app.pool.lookup(9) == nil && app.pool.registry.allMeta().isEmpty)
        client.close()
        await app.stop()
    }

    @Test("a kill names the pid the person saw: if the id was restarted meanwhile it is refused, and the new worker lives")
    func pidMismatch() async throws {
        let app = try await TestApp.start(Talker.self, ids: [1, 2])
        let client = LineClient(app.inspector)
        _ = try await client.hello()
        let seen = try await target(client, "1")
        // The worker restarts behind the person's back.
        var restarts = RestartWatch(app.runtime)
        let killed = app.pool.lookup(1)!
        Process.exit(killed, .kill)
        let holder = await restarts.restart(of: killed)
        let shown = WorkerTarget(ref: seen.ref, pid: seen.pid)
        for action: CommandRequest.Action in [.kill(shown), .stop(shown), .crash(shown)] {
            guard case .failure(_, let error) = await client.request(.command(CommandRequest(pool: "workers", action))) else {
                Issue.record("\(action) was carried out on a process the person never saw")
                continue
            }
            #expect(error.code == .pidMismatch && error.message.contains(holder!.description) && error.message.contains("Nothing was done"))
        }
        #expect(app.pool.lookup(1) == holder && holder!.isAlive)
        await #expect(throws: ProtocolError.self) {
            try await client.ask(.command(CommandRequest(pool: "workers", .kill(WorkerTarget(ref: 999, pid: seen.pid)))))
        }
        client.close()
        await app.stop()
    }

    @Test("stop goes through the supervisor (not restarted); crash is a crash to it (restarted)")
    func stopAndCrash() async throws {
        let app = try await TestApp.start(Talker.self, ids: [1, 2])
        let client = LineClient(app.inspector)
        _ = try await client.hello()
        let one = try await target(client, "1")
        guard case .command(let stopped) = try await client.ask(.command(CommandRequest(pool: "workers", .stop(WorkerTarget(ref: one.ref, pid: one.pid))))) else { return }
        #expect(stopped.outcome == "stop 1 returned: \(one.pid) dead and unregistered")
        #expect(app.pool.lookup(1) == nil, "a stopped worker is not restarted")
        let two = try await target(client, "2")
        _ = try await client.ask(.command(CommandRequest(pool: "workers", .crash(WorkerTarget(ref: two.ref, pid: two.pid)))))
        let events = try await client.waitForEvent { $0.text.hasPrefix("RESTART 2 \(two.pid)") }
        #expect(events.contains { $0.text.hasPrefix("DOWN 2 \(two.pid) error(crashed from the inspector") })
        guard case .summary(let summary) = try await client.ask(.summary) else { return }
        #expect(summary.pools[0].counters.crashed == 1 && summary.pools[0].counters.stopped == 1)
        client.close()
        await app.stop()
    }

    @Test("stop and kill of a worker whose restarts keep failing end its retries (there is no process to signal)")
    func endRestartLoop() async throws {
        let app = try await TestApp.start(Fragile.self, ids: [1, 2], maxRestarts: 1_000_000, period: .seconds(3_600))
        let client = LineClient(app.inspector)
        _ = try await client.hello()
        let one = try await target(client, "1"), two = try await target(client, "2")
        // From now on every start of either fails: a crash starts a restart loop.
        Fragile.refused.withLock { $0 = [0, 1] }
        Process.exit(app.pool.lookup(1)!, .error(CancellationError()))
        Process.exit(app.pool.lookup(2)!, .error(CancellationError()))
        await Fragile.refusing.wait()
        let supervisor = try #require(app.pool.supervisor)
        while supervisor.restartingChildren().count < 2 { try await supervisor.sync() }

        guard case .command(let stopped) = try await client.ask(.command(CommandRequest(pool: "workers", .stop(WorkerTarget(ref: one.ref, pid: one.pid))))) else { return }
        #expect(stopped.outcome == "stop 1 returned: its restarts ended, no longer a child of workers")
        guard case .command(let killed) = try await client.ask(.command(CommandRequest(pool: "workers", .kill(WorkerTarget(ref: two.ref, pid: two.pid))))) else { return }
        #expect(killed.outcome == "kill 2 returned: its restarts ended, no longer a child of workers")
        #expect(supervisor.restartingChildren().isEmpty)
        #expect(supervisor.countChildren().specs == 0)
        #expect(app.pool.lookup(1) == nil && app.pool.lookup(2) == nil)
        // A row shown dead under a failed attempt's pid reaches its restarting child too.
        let three = try await runtime(app) { try await app.pool.lookupOrStart(3, arguments: 2) }
        Fragile.refused.withLock { _ = $0.insert(2) }
        Process.exit(three, .error(CancellationError()))
        while supervisor.restartingChildren().isEmpty { try await supervisor.sync() }
        var shown = try await target(client, "3")
        while shown.pid == three.description || !shown.isDead { shown = try await target(client, "3") }
        guard case .command(let ended) = try await client.ask(.command(CommandRequest(pool: "workers", .stop(WorkerTarget(ref: shown.ref, pid: shown.pid))))) else { return }
        #expect(ended.outcome == "stop 3 returned: its restarts ended, no longer a child of workers")
        Fragile.refused.withLock { $0 = [] }
        client.close()
        await app.stop()
    }

    @Test("lookupOrStart parses the typed id with the app's rules; meta is set; errors say what was wrong")
    func lookupOrStartAndMeta() async throws {
        let app = try await TestApp.start(Talker.self, ids: [1]) { try $0.watch($1) { $0 } }
        let client = LineClient(app.inspector)
        let hello = try await client.hello()
        #expect(hello.pools[0].commands == CommandKind.allCases)
        guard case .command(let started) = try await client.ask(.command(CommandRequest(pool: "workers", .lookupOrStart(id: "42")))) else { return }
        #expect(started.pid == app.pool.lookup(42)?.description)
        guard case .failure(_, let error) = await client.request(.command(CommandRequest(pool: "workers", .lookupOrStart(id: "forty-two")))) else {
            Issue.record("a text that is no Int started something")
            return
        }
        #expect(error.code == .invalid && error.message.contains("not an id"))
        _ = try await client.ask(.command(CommandRequest(pool: "workers", .putMeta(key: "owner", value: "ops\u{7}"))))
        #expect(app.pool.registry.meta("owner", as: String.self) == "ops\u{7}", "stored as given; the dashboard escapes it")
        client.close()
        await app.stop()
    }

    @Test("a pool watched without arguments for new workers offers no lookupOrStart, and says why")
    func noLookupOrStart() async throws {
        let app = try await TestApp.start(Talker.self, ids: [1])
        let client = LineClient(app.inspector)
        let hello = try await client.hello()
        #expect(!hello.pools[0].allows(.lookupOrStart) && hello.pools[0].allows(.kill))
        #expect(hello.pools[0].readOnlyReason?.contains("lookupOrStart needs the arguments") == true)
        guard case .failure(_, let error) = await client.request(.command(CommandRequest(pool: "workers", .lookupOrStart(id: "5")))) else { return }
        #expect(error.code == .notAllowed)
        client.close()
        await app.stop()
    }

    @Test("a worker describes its state on request; one that keeps it to itself says so; a busy one times out and runs on")
    func describeState() async throws {
        let app = try await TestApp.start(Talker.self, ids: [1, 2])
        let client = LineClient(app.inspector)
        _ = try await client.hello()
        let one = try await target(client, "1")
        guard case .state(let state) = try await client.ask(.describeState(StateQuery(pool: "workers", ref: one.ref, pid: one.pid, timeoutMilliseconds: 5_000))) else { return }
        #expect(state.state == "worker 0\u{1B}[31m pings 0" && state.behaviour == "Talker", "raw on the wire; escaped by the dashboard")
        let two = try await target(client, "2")
        let entered = Latch()
        let release = Latch()
        let busy = Task { try await ServerRef<Talker>(pid: app.pool.lookup(2)!).call(.block(entered, release: release), timeout: .infinity) }
        await entered.wait()
        guard case .failure(_, let error) = await client.request(.describeState(StateQuery(pool: "workers", ref: two.ref, pid: two.pid, timeoutMilliseconds: 1))) else {
            Issue.record("a blocked worker answered")
            return
        }
        #expect(error.code == .timeout && error.message.contains("busy or hung"))
        release.fire()
        _ = try await busy.value
        #expect(app.pool.lookup(2)?.description == two.pid, "the question did not hurt it")
        client.close()
        await app.stop()

        let mute = try await TestApp.start(Mute.self, ids: [1])
        let other = LineClient(mute.inspector)
        _ = try await other.hello()
        let row = try await target(other, "1")
        guard case .state(let silent) = try await other.ask(.describeState(StateQuery(pool: "workers", ref: row.ref, pid: row.pid, timeoutMilliseconds: 5_000))) else { return }
        #expect(silent.state == nil && silent.behaviour == "Mute")
        other.close()
        await mute.stop()
    }
}
