import SupervisionTesting
import WorkerRegistry
import Supervision

/// The built-in scenarios of `pooltui simulate` and of the lockstep tests: a
/// GenRegistry-style pool under a supervision tree, driven by concurrent callers, with
/// every built-in invariant checked after every step.
public enum LockstepScenario: String, Sendable, CaseIterable {
    /// Callers start, stop and kill workers over a few ids, as fast as the schedule lets them.
    case churn
    /// Permanent workers crash again and again: restarts, the intensity window in virtual
    /// time, the pool supervisor giving up and its parent restarting it. Now and then a
    /// process outside the pool takes a crashed worker's name for a while, so its restart
    /// fails (`already_started`) and is retried, as in OTP.
    case crashStorm = "crash-storm"
    /// Transient workers are killed, and a caller asks for the same id at once, racing
    /// the pool's restart of it: whichever starts first serves the id. A restart that
    /// finds the id served by a worker of the same pool is superseded, not failed, so
    /// the pool never gives up over the race (at most 3 kills in any 5 s, within its
    /// intensity).
    case restartRace = "restart-race"
    /// Callers race gen_registry's `start` over the same ids while starts yield and
    /// sometimes fail: exactly one worker per id, and every caller gets a worker whose
    /// start completed (its own, or the holder's through `alreadyStarted`).
    case lookupOrStartRace = "lookup-or-start-race"
    /// A killer kills workers that are still inside their start, holding their name.
    case killDuringRegistration = "kill-during-registration"

    /// A deliberate bug to switch on, to show the explorer finds it.
    public enum Fault: String, Sendable, CaseIterable {
        /// `lookupOrStart` returns a racing holder without waiting for its start.
        case skipStartedRecheck = "skip-started-recheck"
        /// The pool's supervisor lists a worker killed while it was being registered
        /// (the bug exploration found, switched back on): only interleavings where a
        /// kill lands between the worker's start and its registration expose it.
        case listEarlyExits = "list-early-exits"
        /// The pool's supervisor retries a restart whose id a caller already serves
        /// (OTP's behaviour), until its intensity runs out: `restart-race` finds it.
        case retrySupersededRestarts = "retry-superseded-restarts"

        /// Whether this build has the faults: debug builds only (the `FAULTS` condition),
        /// so that release code carries neither the switches nor their branches.
        public static var areAvailable: Bool {
            #if FAULTS
            true
            #else
            false
            #endif
        }
    }

    /// Runs the scenario in a lockstep run.
    public func run(seed: UInt64, strategy: SchedulingStrategy = .random, steps: Int = 10_000,
                    faults: Set<Fault> = []) -> LockstepRun {
        var run = Lockstep.run(seed: seed, strategy: strategy, steps: steps) { context in
            try await self.body(context, faults: faults)
        }
        run.violation?.command = command(seed: seed, strategy: strategy, steps: steps, faults: faults)
        return run
    }

    /// Runs the scenario over `seeds`, stopping at the first violation (see
    /// `Lockstep/explore(seeds:strategy:steps:invariants:scenario:)`).
    public func explore(seeds: some Sequence<UInt64>, strategy: SchedulingStrategy = .random,
                        steps: Int = 2_000, faults: Set<Fault> = []) -> Exploration {
        Exploration(seeds: seeds) { seed in run(seed: seed, strategy: strategy, steps: steps, faults: faults) }
    }

    /// Shrinks a violation of this scenario to a schedule with as few preemptions as a
    /// bounded search finds (see `Lockstep/shrink(_:invariants:budget:scenario:)`); its
    /// replay command runs that schedule.
    public func shrink(_ violation: LockstepViolation, faults: Set<Fault> = [], budget: Int = 300) -> LockstepViolation {
        var shrunk = Lockstep.shrink(violation, budget: budget) { context in try await self.body(context, faults: faults) }
        shrunk.command = command(seed: shrunk.seed, strategy: shrunk.strategy, steps: shrunk.steps, faults: faults)
        return shrunk
    }

    /// The command that replays a run exactly.
    public func command(seed: UInt64, strategy: SchedulingStrategy, steps: Int, faults: Set<Fault>) -> String {
        var command = "swift run pooltui simulate --scenario \(rawValue) --seed \(seed) --steps \(steps) --strategy '\(strategy)'"
        for fault in faults.sorted(by: { $0.rawValue < $1.rawValue }) { command += " --fault \(fault.rawValue)" }
        return command
    }

    // MARK: - Bodies

    private func body(_ context: LockstepContext, faults: Set<Fault>) async throws {
        let restart: RestartPolicy = switch self {
        case .crashStorm: .permanent
        case .restartRace: .transient
        default: .temporary
        }
        var options = WorkerPool<SimWorker, Int, Int>.Options(
            restart: restart,
            shutdown: .brutalKill, maxRestarts: 3, period: .seconds(5))
        #if FAULTS
        if faults.contains(.skipStartedRecheck) { options.faults.insert(.skipStartedRecheck) }
        if faults.contains(.listEarlyExits) { options.supervisorFaults.insert(.listEarlyExits) }
        if faults.contains(.retrySupersededRestarts) { options.supervisorFaults.insert(.retrySupersededRestarts) }
        #else
        precondition(faults.isEmpty, "faults are compiled into debug builds only (Fault.areAvailable)")
        #endif
        let pool = WorkerPool(SimWorker.self, id: Int.self, name: "sim", options: options) { id, _ in id }
        let ledger = StartLedger()
        let monitors = MonitorLedger()
        context.addInvariant(.registryEntriesAreAlive(pool.registry))
        context.addInvariant(.uniqueKeysHaveOneProcess(pool.registry))
        context.addInvariant(.supervisorCountsLiveChildren { pool.supervisor })
        context.addInvariant(.restartsWithinIntensity(context.runtime))
        context.addInvariant(monitors.invariant)
        let root = try await Supervisor.start(children: [
            pool.registry.childSpec(id: "registry"),
            pool.childSpec(id: "pool"),
        ], options: .init(strategy: .oneForOne, maxRestarts: 1_000, period: .seconds(5)))
        context.record("tree up: root \(context.label(root.pid))")

        switch self {
        case .churn:
            try await churn(context, pool, ledger, monitors)
        case .crashStorm:
            try await crashStorm(context, pool, ledger, monitors)
        case .restartRace:
            try await restartRace(context, pool, ledger, monitors)
        case .lookupOrStartRace:
            try await race(context, pool, ledger, monitors)
        case .killDuringRegistration:
            try await killDuringRegistration(context, pool, ledger, monitors)
        }

        try await root.stop()
        context.check(pool.registry.count() == 0, "teardown", "registry holds \(pool.registry.count()) entries after the tree stopped")
        context.record("tree down")
    }

    private typealias Pool = WorkerPool<SimWorker, Int, Int>

    private func arguments(_ context: LockstepContext, _ ledger: StartLedger, failing: Double = 0) -> SimWorker.Arguments {
        SimWorker.Arguments(yields: context.random(in: 0..<4), failsToStart: context.chance(failing), ledger: ledger)
    }

    private func churn(_ context: LockstepContext, _ pool: Pool, _ ledger: StartLedger, _ monitors: MonitorLedger) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for caller in 0..<3 {
                group.addTask {
                    var operations = 0
                    while !context.shouldStop {
                        let id = context.random(in: 0..<6)
                        switch context.random(in: 0..<10) {
                        case 0..<6:
                            // As in OTP, a hit may return a worker that is registered and
                            // still starting; calls to it wait for its start.
                            if let pid = try? await pool.lookupOrStart(id, arguments: arguments(context, ledger)) {
                                monitors.watch(pid)
                            }
                        case 6..<8:
                            _ = await pool.stop(id)
                        default:
                            if let pid = pool.lookup(id) {
                                Process.exit(pid, .kill)
                                context.check(!pid.isAlive && pool.lookup(id) != pid, "kill is synchronous",
                                              "\(context.label(pid)) still registered under \(id) after kill returned")
                            }
                        }
                        operations += 1
                        // A hit never suspends: yield, so that every operation is a
                        // point where the schedule may switch callers.
                        await Task.yield()
                    }
                    context.record("caller \(caller) did \(operations) operations")
                }
            }
            try await group.waitForAll()
        }
    }

    private func crashStorm(_ context: LockstepContext, _ pool: Pool, _ ledger: StartLedger, _ monitors: MonitorLedger) async throws {
        for id in 0..<6 {
            if let pid = try? await pool.lookupOrStart(id, arguments: arguments(context, ledger)) { monitors.watch(pid) }
        }
        var crashes = 0
        var intruders = 0
        while !context.shouldStop {
            // Crashes come in bursts, some closer together than the intensity period.
            await context.sleep(for: .milliseconds(Int64(context.random(in: 1..<1_500))))
            let id = context.random(in: 0..<6)
            if let pid = pool.lookup(id) {
                monitors.watch(pid)
                if context.chance(0.2) {
                    // Killed, and its name taken at once by a process outside the pool:
                    // the pool's restart fails with already_started until it goes.
                    Process.exit(pid, .kill)
                    if let intruder = try? await SimWorker.start(arguments(context, ledger), name: pool.registry.via(id, value: id)) {
                        intruders += 1
                        let holds = Duration.milliseconds(Int64(context.random(in: 1..<400)))
                        await context.sleep(for: holds)
                        try? await intruder.stop()
                    }
                } else {
                    ServerRef<SimWorker>(pid: pid).cast(.crash)
                }
                crashes += 1
            } else if pool.supervisor != nil, let pid = try? await pool.lookupOrStart(id, arguments: arguments(context, ledger)) {
                monitors.watch(pid)
            }
        }
        context.record("\(crashes) crashes, \(intruders) names taken from outside the pool")
    }

    private func restartRace(_ context: LockstepContext, _ pool: Pool, _ ledger: StartLedger, _ monitors: MonitorLedger) async throws {
        let ids = 0..<4
        for id in ids {
            if let pid = try? await pool.lookupOrStart(id, arguments: arguments(context, ledger)) { monitors.watch(pid) }
        }
        guard let supervisor = pool.supervisor else {
            context.check(false, "the pool runs", "no pool supervisor after the first starts")
            return
        }
        var kills = 0
        while !context.shouldStop {
            // At least 2 s apart: at most 3 kills in any 5 s, within the intensity even if
            // every one of them were charged.
            await context.sleep(for: .milliseconds(Int64(context.random(in: 2_000..<3_000))))
            let id = context.random(in: ids)
            guard let killed = pool.lookup(id) else { continue }
            monitors.watch(killed)
            Process.exit(killed, .kill)
            kills += 1
            // The caller does not wait for the supervisor: it asks for the id again at once,
            // while the restart is pending or running.
            if let pid = try? await pool.lookupOrStart(id, arguments: arguments(context, ledger)) { monitors.watch(pid) }
            // A restart that found the caller's worker still starting is decided once that
            // start ends, off the supervisor process: round trips until it is.
            for _ in 0..<100 where !supervisor.restartingChildren().isEmpty {
                try? await supervisor.sync()
                await Task.yield()
            }
            context.check(pool.supervisor?.pid == supervisor.pid && supervisor.pid.isAlive, "a restart raced by a caller is not a failure",
                          "after \(kills) kills (never more than 3 in 5 s) the pool's supervisor \(context.label(supervisor.pid)) gave up")
            // Settled: one child per served id, none left restarting.
            let counts = supervisor.countChildren()
            context.check(counts.specs == pool.count() && supervisor.restartingChildren().isEmpty, "one child per served id",
                          "\(counts.specs) children (\(supervisor.restartingChildren().count) restarting) for \(pool.count()) served ids")
        }
        context.record("\(kills) kills")
    }

    private func race(_ context: LockstepContext, _ pool: Pool, _ ledger: StartLedger, _ monitors: MonitorLedger) async throws {
        var round = 0
        while !context.shouldStop {
            let ids = 0..<3
            let results = try await withThrowingTaskGroup(of: (Int, PID?).self) { group in
                for _ in 0..<4 {
                    for id in ids.shuffled(using: context) {
                        group.addTask {
                            // gen_registry's start: the caller's own worker once its start
                            // completed, or alreadyStarted with a holder whose start completed.
                            let pid: PID?
                            do {
                                pid = try await pool.start(id, arguments: arguments(context, ledger, failing: 0.25))
                            } catch let error as StartError where error.code == .alreadyStarted {
                                pid = error.holder
                            } catch {
                                pid = nil
                            }
                            if let pid {
                                context.check(ledger.hasStarted(pid), "start returns only workers that started",
                                              "got \(context.label(pid)) for id \(id) before its start completed (or after it failed)")
                            }
                            return (id, pid)
                        }
                    }
                }
                var results: [Int: Set<PID>] = [:]
                for try await (id, pid) in group { if let pid { results[id, default: []].insert(pid) } }
                return results
            }
            for (id, pids) in results.sorted(by: { $0.key < $1.key }) {
                // No kills here: callers that got a worker for an id all got the same one.
                context.check(pids.count == 1, "one worker per id", "round \(round): id \(id) went to \(pids.count) workers")
                pids.forEach(monitors.watch)
                context.record("round \(round) id \(id) -> \(pids.map(context.label).sorted().joined(separator: ","))")
            }
            for id in ids { _ = await pool.stop(id) }
            round += 1
        }
    }

    private func killDuringRegistration(_ context: LockstepContext, _ pool: Pool, _ ledger: StartLedger, _ monitors: MonitorLedger) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                var kills = 0
                while !context.shouldStop {
                    // Whoever holds a name now, mid-start or not, is killed. (Sorted:
                    // a registry's order is a hash table's, different in every process.)
                    let held = pool.registry.entries().sorted { $0.key < $1.key }.map(\.entry)
                    if let entry = held.isEmpty ? nil : held[context.random(in: 0..<held.count)] {
                        Process.exit(entry.pid, .kill)
                        context.check(!entry.pid.isAlive, "kill is synchronous", "\(context.label(entry.pid)) alive after kill returned")
                        kills += 1
                    }
                    await Task.yield()
                }
                context.record("killer: \(kills) kills")
            }
            for _ in 0..<2 {
                group.addTask {
                    while !context.shouldStop {
                        let id = context.random(in: 0..<4)
                        do {
                            let pid = try await pool.lookupOrStart(id, arguments: arguments(context, ledger))
                            monitors.watch(pid)
                        } catch {
                            // A start killed mid-way fails; the id is free again.
                        }
                        await Task.yield()
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}

extension Range where Bound == Int {
    func shuffled(using context: LockstepContext) -> [Int] {
        var items = Array(self)
        for index in items.indices.reversed() where index > 0 {
            items.swapAt(index, context.random(in: 0..<(index + 1)))
        }
        return items
    }
}
