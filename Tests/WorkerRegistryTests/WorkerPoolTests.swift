import Supervision
import Testing
import WorkerRegistry
import TestSupport

/// gen_registry's own suite, case by case, plus what this pool promises beyond it.
@Suite("WorkerPool: gen_registry in Swift", .timeLimit(.minutes(Slowdown.scaled(2))))
struct WorkerPoolTests {
    let runtime = quietRuntime()

    func pool(_ name: String = "pool", options: WorkerPool<PoolWorker, String, Int>.Options = .init()) async throws
        -> WorkerPool<PoolWorker, String, Int>
    {
        let pool = WorkerPool(PoolWorker.self, id: String.self, name: name, options: options) { _, arguments in arguments.value }
        try await pool.start(runtime: runtime)
        return pool
    }

    func value(_ pid: PID) async throws -> Int {
        try await ServerRef<PoolWorker>(pid: pid).call(.value)
    }

    // MARK: lookup

    @Test("lookup of an unknown id is nil")
    func lookupUnknown() async throws {
        let pool = try await pool()
        #expect(pool.lookup("nobody") == nil)
    }

    @Test("lookup of a known id returns its worker")
    func lookupKnown() async throws {
        let pool = try await pool()
        let pid = try await pool.lookupOrStart("a", arguments: .init(1))
        #expect(pool.lookup("a") == pid)
    }

    @Test("lookup after stop is nil")
    func lookupAfterStop() async throws {
        let pool = try await pool()
        _ = try await pool.lookupOrStart("a", arguments: .init(1))
        #expect(await pool.stop("a") == .stopped)
        #expect(pool.lookup("a") == nil)
    }

    // MARK: lookupOrStart and start

    @Test("lookupOrStart of an unknown id starts one worker")
    func lookupOrStartUnknown() async throws {
        let pool = try await pool()
        let pid = try await pool.lookupOrStart("a", arguments: .init(1))
        #expect(pid.isAlive)
        #expect(pool.count() == 1)
    }

    @Test("lookupOrStart of a known id returns the same pid and the count stays 1")
    func lookupOrStartKnown() async throws {
        let pool = try await pool()
        let first = try await pool.lookupOrStart("a", arguments: .init(1))
        let again = try await pool.lookupOrStart("a", arguments: .init(2))
        #expect(again == first)
        #expect(pool.count() == 1)
        #expect(try await value(first) == 1, "the second call's arguments were not used")
    }

    @Test("start of an unknown id starts it; of a known id gives alreadyStarted(pid)")
    func startTellsWhoStarted() async throws {
        let pool = try await pool()
        let pid = try await pool.start("a", arguments: .init(1))
        await #expect(throws: StartError.alreadyStarted(pid)) { try await pool.start("a", arguments: .init(2)) }
        #expect(pool.count() == 1)
    }

    @Test("start of a running id answers alreadyStarted from the registry: no process built, no slot taken, even in a full pool")
    func startOfRunningIDBuildsNothing() async throws {
        let pool = try await pool(options: .init(maxChildren: 1))
        let pid = try await pool.start("a", arguments: .init(1))
        let spawned = runtime.spawnedProcessCount
        await #expect(throws: StartError.alreadyStarted(pid)) { try await pool.start("a", arguments: .init(2)) }
        #expect(runtime.spawnedProcessCount == spawned, "no throwaway process was built")
        #expect(try await pool.lookupOrStart("a", arguments: .init(3)) == pid)
        #expect(runtime.spawnedProcessCount == spawned)
        // The slot is the running worker's: another id is refused for room, not for the id.
        await #expect(throws: StartError.maxChildren) { try await pool.start("b", arguments: .init(4)) }
        #expect(pool.count() == 1)
        #expect(try await value(pid) == 1)
    }

    @Test("stop ends a worker whose restarts keep failing: its retries end and it is no longer counted")
    func stopRestartingWorker() async throws {
        let pool = try await pool(options: .init(restart: .permanent, maxRestarts: 1_000_000, period: .seconds(3_600)))
        let starts = StartCount()
        let pid = try await pool.lookupOrStart("a", arguments: .init(1, mode: .startsOnce(starts)))
        await #expect(throws: CallError.self) { try await ServerRef<PoolWorker>(pid: pid).call(.crash) }
        await starts.third.wait()
        let supervisor = try #require(pool.supervisor)
        #expect(supervisor.restartingChildren().map(\.lastPID) == [pid])

        #expect(await pool.stop("a") == .stopped)
        // Returned once no attempt runs: the id is free now, not after a while.
        #expect(pool.lookup("a") == nil)
        #expect(pool.count() == 0)
        #expect(supervisor.restartingChildren().isEmpty)
        #expect(supervisor.countChildren().specs == 0)
        let settled = starts.value
        try await supervisor.sync()
        #expect(starts.value == settled, "no retry is left")
        #expect(await pool.stop("a") == .notFound)
    }

    @Test("arguments reach the worker, and its registered value")
    func argumentsPassed() async throws {
        let pool = try await pool()
        let pid = try await pool.lookupOrStart("a", arguments: .init(42))
        #expect(try await value(pid) == 42)
        #expect(pool.registry.lookup("a").first?.value == 42)
    }

    @Test("invalid arguments give an error and register nothing")
    func invalidArguments() async throws {
        let pool = try await pool()
        await #expect(throws: StartError.initFailed(.error(TestFailure("invalid arguments 7")))) {
            try await pool.lookupOrStart("a", arguments: .init(7, mode: .fail))
        }
        #expect(pool.lookup("a") == nil)
        #expect(pool.count() == 0)
    }

    @Test("a failed start leaves the other workers alive")
    func failedStartLeavesOthers() async throws {
        let pool = try await pool()
        let survivors = try await [pool.lookupOrStart("a", arguments: .init(1)), pool.lookupOrStart("b", arguments: .init(2))]
        _ = try? await pool.lookupOrStart("c", arguments: .init(3, mode: .fail))
        _ = try? await pool.lookupOrStart("d", arguments: .init(4, mode: .ignore))
        #expect(survivors.allSatisfy { $0.isAlive })
        #expect(pool.count() == 2)
    }

    @Test("a start that asks to be ignored gives ignored and registers nothing")
    func ignored() async throws {
        let pool = try await pool()
        await #expect(throws: StartError.ignored) { try await pool.lookupOrStart("a", arguments: .init(1, mode: .ignore)) }
        #expect(pool.lookup("a") == nil)
    }

    @Test("a start that hangs past its timeout gives timeout, registers nothing, leaves others running")
    func hangs() async throws {
        let clock = ManualClock()
        let runtime = quietRuntime(clock: clock)
        let pool = WorkerPool(PoolWorker.self, id: String.self, name: "slow") { _, arguments in arguments.value }
        try await pool.start(runtime: runtime)
        let survivor = try await pool.lookupOrStart("ok", arguments: .init(1))
        let entered = Latch()
        let start = Task { try await pool.lookupOrStart("slow", arguments: .init(2, mode: .hang(entered)), timeout: .seconds(3)) }
        await entered.wait()
        await clock.waitForTimers(atLeast: 1)
        #expect(pool.lookup("slow") != nil, "registered while starting, as OTP names are")
        clock.advance(by: .seconds(3))
        await #expect(throws: StartError.timeout(.seconds(3))) { try await start.value }
        #expect(pool.lookup("slow") == nil)
        #expect(survivor.isAlive)
        #expect(pool.count() == 1)
    }

    @Test("an id is reusable after stop")
    func reuseAfterStop() async throws {
        let pool = try await pool()
        let first = try await pool.lookupOrStart("a", arguments: .init(1))
        await pool.stop("a")
        let second = try await pool.lookupOrStart("a", arguments: .init(2))
        #expect(second != first)
        #expect(try await value(second) == 2)
    }

    // MARK: stop

    @Test("stop of an unknown id is notFound")
    func stopUnknown() async throws {
        let pool = try await pool()
        #expect(await pool.stop("nobody") == .notFound)
    }

    @Test("stop of a known id returns once the worker is dead and unregistered")
    func stopKnown() async throws {
        let pool = try await pool()
        let pid = try await pool.lookupOrStart("a", arguments: .init(1))
        #expect(await pool.stop("a") == .stopped)
        #expect(!pid.isAlive)
        #expect(pool.registry.lookup("a").isEmpty)
        #expect(pool.count() == 0)
    }

    // MARK: count, reduce, sample, toList

    @Test("count follows workers as they come and go, including when one is killed")
    func counts() async throws {
        let pool = try await pool()
        #expect(pool.count() == 0)
        let pids = try await (0..<5).asyncMap { try await pool.lookupOrStart("w\($0)", arguments: .init($0)) }
        #expect(pool.count() == 5)
        await pool.stop("w0")
        #expect(pool.count() == 4)
        Process.exit(pids[1], .kill)
        #expect(pool.count() == 3)
        _ = try await pool.lookupOrStart("w1", arguments: .init(1))
        #expect(pool.count() == 4)
    }

    @Test("reduce, sample and toList on an empty pool")
    func emptyFolds() async throws {
        let pool = try await pool()
        #expect(pool.reduce(0) { acc, _ in acc + 1 } == 0)
        #expect(pool.sample() == nil)
        #expect(pool.toList().isEmpty)
    }

    @Test("reduce, sample and toList on a full pool")
    func fullFolds() async throws {
        let pool = try await pool()
        var started: [String: PID] = [:]
        for i in 0..<10 { started["w\(i)"] = try await pool.lookupOrStart("w\(i)", arguments: .init(i)) }
        #expect(pool.reduce(Set<String>()) { acc, entry in acc.union([entry.id]) } == Set(started.keys))
        let sample = try #require(pool.sample())
        #expect(started[sample.id] == sample.pid)
        #expect(Dictionary(uniqueKeysWithValues: pool.toList().map { ($0.id, $0.pid) }) == started)
    }

    // MARK: pools

    @Test("stopping the pool stops its workers")
    func stopPool() async throws {
        let pool = try await pool()
        let pids = try await (0..<20).asyncMap { try await pool.lookupOrStart("w\($0)", arguments: .init($0)) }
        await pool.stopPool()
        #expect(pids.allSatisfy { pid in !pid.isAlive })
        #expect(pool.count() == 0)
        await #expect(throws: StartError.supervisorNotRunning) { try await pool.lookupOrStart("x", arguments: .init(0)) }
    }

    @Test("two pools of one worker type are independent")
    func twoPools() async throws {
        let first = try await pool("first")
        let second = try await pool("second")
        let a1 = try await first.lookupOrStart("a", arguments: .init(1))
        let a2 = try await second.lookupOrStart("a", arguments: .init(2))
        #expect(a1 != a2)
        #expect(first.count() == 1 && second.count() == 1)
        await first.stop("a")
        #expect(second.lookup("a") == a2)
        await first.stopPool()
        #expect(a2.isAlive)
    }

    // MARK: beyond gen_registry

    @Test("concurrent lookupOrStart of one id starts exactly one worker and all callers get it")
    func raceOneID() async throws {
        let pool = try await pool()
        let before = runtime.liveProcessCount
        let pids = try await withThrowingTaskGroup(of: PID.self) { group in
            for i in 0..<64 { group.addTask { try await pool.lookupOrStart("same", arguments: .init(i)) } }
            return try await group.reduce(into: [PID]()) { $0.append($1) }
        }
        #expect(Set(pids).count == 1)
        #expect(runtime.liveProcessCount == before + 1)
        #expect(pool.supervisor?.countChildren().active == 1)
    }

    @Test("a permanent pool restarts a crashed worker under the same id")
    func permanentRestart() async throws {
        let pool = try await pool(options: .init(restart: .permanent))
        let old = try await pool.lookupOrStart("a", arguments: .init(9))
        let events = runtime.events.subscribe()
        Process.exit(old, .kill)
        #expect(pool.lookup("a") == nil, "gone when kill returns")
        for await event in events {
            if case .restarted(_, _, let from, let to, _) = event.kind, from == old {
                #expect(pool.lookup("a") == to)
                #expect(try await value(to) == 9)
                break
            }
        }
    }

    @Test("a caller that starts an id while its restart waits wins: the restart stands down, uncharged, and the pool lives (issue 24)",
          arguments: [RestartPolicy.transient, .permanent])
    func callerRacingARestart(restart: RestartPolicy) async throws {
        // Before the fix the restart failed with already_started, was retried at once, over
        // and over, until the pool exceeded its intensity and shut down with every worker.
        let pool = try await pool(options: .init(restart: restart, maxRestarts: 10, period: .seconds(3_600)))
        let supervisor = try #require(pool.supervisor)
        // The supervisor process handles restarts one at a time: while the restart of
        // "slow" waits at the gate, the restart of "a" waits behind it.
        let entered = Latch(), gate = Latch()
        // No start timeout: the gated restart must wait for the gate however slow the
        // machine (a restart that timed out would be charged again).
        let slow = try await pool.lookupOrStart("slow", arguments: .init(1, mode: .restartsWait(StartCount(), entered: entered, gate: gate)),
                                                timeout: .infinity)
        let a = try await pool.lookupOrStart("a", arguments: .init(2))
        Process.exit(slow, .kill)
        await entered.wait()
        Process.exit(a, .kill)
        #expect(pool.lookup("a") == nil, "gone when kill returns; its restart is queued")
        let callers = try await pool.lookupOrStart("a", arguments: .init(3))
        gate.fire()
        try await supervisor.sync()

        #expect(supervisor.pid.isAlive && pool.supervisor?.pid == supervisor.pid, "the pool did not give up")
        #expect(pool.lookup("a") == callers && callers.isAlive, "the caller's worker serves the id")
        #expect(try await value(callers) == 3)
        #expect(supervisor.restartingChildren().isEmpty, "the superseded child is forgotten, not retried")
        #expect(supervisor.countChildren().specs == 2 && pool.count() == 2)
        #expect(supervisor.intensity().restarts == 1, "only the restart of slow was charged")
        try await supervisor.sync()
        #expect(supervisor.intensity().restarts == 1, "and nothing was retried since")
    }

    @Test("a restart that finds its name held outside the pool still fails and is retried, as in OTP")
    func restartBlockedByAStranger() async throws {
        let pool = try await pool(options: .init(restart: .permanent, maxRestarts: 1_000_000, period: .seconds(3_600)))
        let supervisor = try #require(pool.supervisor)
        let entered = Latch(), gate = Latch()
        let slow = try await pool.lookupOrStart("slow", arguments: .init(1, mode: .restartsWait(StartCount(), entered: entered, gate: gate)),
                                                timeout: .infinity)  // waits for the gate, however slow the machine
        let a = try await pool.lookupOrStart("a", arguments: .init(2))
        Process.exit(slow, .kill)
        await entered.wait()
        Process.exit(a, .kill)
        // A process that is no child of the pool takes the name meanwhile.
        let stranger = try await PoolWorker.start(.init(7), name: pool.registry.via("a", value: 7), runtime: runtime)
        var events = runtime.events.subscribe().makeAsyncIterator()
        gate.fire()
        var failed = 0
        while failed < 3, let event = await events.next() {
            if case .restartFailed = event.kind { failed += 1 }
        }
        #expect(supervisor.restartingChildren().map(\.lastPID) == [a], "still restarting")
        try await stranger.stop()
        // Once the name is free a retry succeeds.
        var restarted: PID?
        while restarted == nil, let event = await events.next() {
            if case .restarted(_, _, let old, let new, _) = event.kind, old == a { restarted = new }
        }
        #expect(restarted != nil && pool.lookup("a") == restarted)
        #expect(supervisor.pid.isAlive)
    }

    @Test("a temporary pool does not restart a crashed worker: its id is simply free")
    func temporaryNoRestart() async throws {
        let pool = try await pool()
        let pid = try await pool.lookupOrStart("a", arguments: .init(1))
        await #expect(throws: CallError.exited(.error(TestFailure("crash")))) {
            try await ServerRef<PoolWorker>(pid: pid).call(.crash)
        }
        #expect(pool.lookup("a") == nil)
        try await pool.supervisor?.sync()
        #expect(pool.supervisor?.countChildren().specs == 0)
    }

    @Test("stress: concurrent lookupOrStart, stop and kill on overlapping ids keep the invariants after every round")
    func stress() async throws {
        let pool = try await pool(options: .init(maxRestarts: 1_000_000))
        let ids = (0..<32).map { "id\($0)" }
        for round in 0..<30 {
            await withTaskGroup(of: Void.self) { group in
                for caller in 0..<6 {
                    group.addTask {
                        for step in 0..<40 {
                            let id = ids[(caller * 7 + step * 13 + round) % ids.count]
                            switch (caller + step) % 5 {
                            case 0, 1, 2:
                                _ = try? await pool.lookupOrStart(id, arguments: .init(step))
                            case 3:
                                await pool.stop(id)
                            default:
                                if let pid = pool.lookup(id) { Process.exit(pid, .kill) }
                            }
                        }
                    }
                }
            }
            try await pool.supervisor!.sync()
            let entries = pool.registry.entries()
            // No entry refers to a dead process.
            #expect(entries.allSatisfy { $0.entry.pid.isAlive }, "round \(round)")
            // One live worker per id at most.
            #expect(Set(entries.map(\.key)).count == entries.count, "round \(round)")
            // The count equals the live workers, and the supervisor agrees.
            #expect(pool.count() == entries.count, "round \(round)")
            #expect(pool.supervisor!.countChildren().active == entries.count, "round \(round)")
            #expect(runtime.liveProcessCount == entries.count + 1, "round \(round): workers + the pool's supervisor")
        }
    }
}

extension Sequence where Element: Sendable {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
