import Supervision
import Testing
import TestSupport

@Suite("Supervisor: strategies, restart policies, management, intensity", .timeLimit(.minutes(Slowdown.scaled(2))))
struct SupervisorTests {
    let runtime = quietRuntime()

    func start(_ ids: [String], log: Recorder<String>, strategy: Supervisor.Strategy = .oneForOne,
               maxRestarts: Int = 3) async throws -> Supervisor {
        try await Supervisor.start(
            children: ids.map { Tracked.spec($0, log: log) },
            options: .init(strategy: strategy, maxRestarts: maxRestarts), runtime: runtime)
    }

    @Test("children start in order and stop in reverse order")
    func order() async throws {
        let log = Recorder<String>()
        let supervisor = try await start(["a", "b", "c"], log: log)
        #expect(log.all == ["start a", "start b", "start c"])
        try await supervisor.stop()
        #expect(log.all == ["start a", "start b", "start c", "stop c", "stop b", "stop a"])
        #expect(runtime.liveProcessCount == 0)
    }

    @Test("a child supervisor is reached by its id, typed; a wrong id, kind or state is named")
    func childSupervisorByID() async throws {
        let log = Recorder<String>()
        let root = try await Supervisor.start(children: [
            Tracked.spec("worker", log: log),
            DynamicSupervisor.childSpec(id: "pool"),
            Supervisor.childSpec(id: "inner", children: [Tracked.spec("leaf", log: log)]),
        ], runtime: runtime)
        let children = try await root.whichChildren()
        let pool = try await root.dynamicSupervisor(id: "pool")
        #expect(pool.pid == children[1].pid)
        #expect(pool.countChildren().active == 0)
        let inner = try await root.supervisor(id: "inner")
        #expect(inner.pid == children[2].pid)
        #expect(try await inner.whichChildren().map(\.id) == ["leaf"])

        await #expect(throws: SupervisorError.notFound("nope")) { try await root.dynamicSupervisor(id: "nope") }
        await #expect(throws: SupervisorError.notASupervisor(id: "worker")) { try await root.dynamicSupervisor(id: "worker") }
        await #expect(throws: SupervisorError.notASupervisor(id: "pool")) { try await root.supervisor(id: "pool") }
        await #expect(throws: SupervisorError.notASupervisor(id: "inner")) { try await root.dynamicSupervisor(id: "inner") }
        try await root.terminateChild(id: "pool")
        await #expect(throws: SupervisorError.childNotRunning("pool")) { try await root.dynamicSupervisor(id: "pool") }
        try await root.stop()
    }

    @Test("a call that fails for the caller's reason is reported as such, not as a stopped supervisor")
    func callFailures() async throws {
        let counter = try await Counter.start(0, runtime: runtime)
        let notASupervisor = Supervisor(pid: counter.pid!)
        let error = await #expect(throws: SupervisorError.self) { try await notASupervisor.whichChildren() }
        guard error?.code == .callFailed, error?.callError?.code == .wrongServerType else {
            Issue.record("expected callFailed(wrongServerType), got \(String(describing: error))")
            return
        }
        let supervisor = try await start(["a"], log: Recorder<String>())
        try await supervisor.stop()
        await #expect(throws: SupervisorError.notRunning) { try await supervisor.whichChildren() }
        try await counter.stop()
    }

    @Test("one_for_one restarts only the child that exited")
    func oneForOne() async throws {
        let log = Recorder<String>()
        let supervisor = try await start(["a", "b", "c"], log: log)
        let before = try await supervisor.whichChildren().map(\.pid)
        let watch = Process.watch(before[1]!)
        Process.exit(before[1]!, .kill)
        let after = try await supervisor.afterExit(of: watch).children.map(\.pid)
        #expect(after[0] == before[0])
        #expect(after[1] != before[1] && after[1] != nil)
        #expect(after[2] == before[2])
        #expect(log.all.suffix(1) == ["start b"])
        try await supervisor.stop()
    }

    @Test("one_for_all stops the others in reverse order, then restarts all in order")
    func oneForAll() async throws {
        let log = Recorder<String>()
        let supervisor = try await start(["a", "b", "c"], log: log, strategy: .oneForAll)
        let before = try await supervisor.whichChildren().map(\.pid)
        let watch = Process.watch(before[1]!)
        Process.exit(before[1]!, .kill)
        let after = try await supervisor.afterExit(of: watch).children
        #expect(zip(before, after.map(\.pid)).allSatisfy { $0 != $1 })
        #expect(after.allSatisfy { $0.state == .running && $0.restarts == 1 })
        #expect(Array(log.all.dropFirst(3)) == ["stop c", "stop a", "start a", "start b", "start c"])
        try await supervisor.stop()
    }

    @Test("rest_for_one restarts the child and those started after it")
    func restForOne() async throws {
        let log = Recorder<String>()
        let supervisor = try await start(["a", "b", "c", "d"], log: log, strategy: .restForOne)
        let before = try await supervisor.whichChildren().map(\.pid)
        let watch = Process.watch(before[1]!)
        Process.exit(before[1]!, .kill)
        let after = try await supervisor.afterExit(of: watch).children.map(\.pid)
        #expect(after[0] == before[0])
        #expect(after[1] != before[1] && after[2] != before[2] && after[3] != before[3])
        #expect(Array(log.all.dropFirst(4)) == ["stop d", "stop c", "start b", "start c", "start d"])
        try await supervisor.stop()
    }

    static let reasons: [ExitReason] = [.normal, .shutdown, .shutdownWith("detail"), .killed, .error(TestFailure("crash of w"))]

    @Test("restart policy × exit reason", arguments: [RestartPolicy.permanent, .transient, .temporary], reasons)
    func restartMatrix(policy: RestartPolicy, reason: ExitReason) async throws {
        let log = Recorder<String>()
        let supervisor = try await Supervisor.start(
            children: [Tracked.spec("w", log: log, restart: policy)], runtime: runtime)
        let pid = try await supervisor.pid(of: "w")!
        let watch = Process.watch(pid)
        switch reason {
        case .killed: Process.exit(pid, .kill)
        case .error: ServerRef<Tracked>(pid: pid).cast(.crash)
        default: ServerRef<Tracked>(pid: pid).cast(.exit(reason))
        }
        let snapshot = try await supervisor.afterExit(of: watch)
        let expectRestart = policy == .permanent || (policy == .transient && !reason.isOrderly)
        #expect(watch.exitReason == reason)
        if expectRestart {
            #expect(snapshot.children.map(\.state) == [.running])
            #expect(snapshot.children.first?.restarts == 1)
        } else if policy == .temporary {
            #expect(snapshot.children.isEmpty, "a temporary child is forgotten")
        } else {
            #expect(snapshot.children.map(\.state) == [.terminated], "its spec is kept")
        }
        try await supervisor.stop()
    }

    // MARK: management

    @Test("startChild appends; a taken id gives alreadyStarted or alreadyPresent")
    func startChild() async throws {
        let log = Recorder<String>()
        let supervisor = try await start(["a"], log: log)
        let b = try await supervisor.startChild(Tracked.spec("b", log: log))
        #expect(b.pid != nil)
        await #expect(throws: SupervisorError.alreadyStarted(id: "b", b.pid!)) {
            try await supervisor.startChild(Tracked.spec("b", log: log))
        }
        try await supervisor.terminateChild(id: "b")
        await #expect(throws: SupervisorError.alreadyPresent("b")) {
            try await supervisor.startChild(Tracked.spec("b", log: log))
        }
        #expect(try await supervisor.whichChildren().map(\.id) == ["a", "b"])
        try await supervisor.stop()
    }

    @Test("startChild that fails reports startFailed and adds nothing")
    func startChildFails() async throws {
        let log = Recorder<String>()
        let supervisor = try await start(["a"], log: log)
        await #expect(throws: SupervisorError.startFailed(id: "b", .initFailed(.error(TestFailure("start of b refused"))))) {
            try await supervisor.startChild(Tracked.spec("b", log: log, failStart: Toggle(true)))
        }
        #expect(try await supervisor.whichChildren().map(\.id) == ["a"])
        try await supervisor.stop()
    }

    @Test("terminateChild keeps the spec; restartChild starts it again; deleteChild removes it")
    func terminateRestartDelete() async throws {
        let log = Recorder<String>()
        let supervisor = try await start(["a", "b"], log: log)
        let old = try await supervisor.pid(of: "b")!
        await #expect(throws: SupervisorError.running("b")) { try await supervisor.deleteChild(id: "b") }
        await #expect(throws: SupervisorError.running("b")) { try await supervisor.restartChild(id: "b") }
        try await supervisor.terminateChild(id: "b")
        #expect(!old.isAlive)
        #expect(log.all.last == "stop b")
        #expect(try await supervisor.whichChildren().map(\.state) == [.running, .terminated])
        let restarted = try await supervisor.restartChild(id: "b")
        #expect(restarted.pid != nil && restarted.pid != old)
        try await supervisor.terminateChild(id: "b")
        try await supervisor.deleteChild(id: "b")
        #expect(try await supervisor.whichChildren().map(\.id) == ["a"])
        await #expect(throws: SupervisorError.notFound("b")) { try await supervisor.terminateChild(id: "b") }
        await #expect(throws: SupervisorError.notFound("zz")) { try await supervisor.restartChild(id: "zz") }
        await #expect(throws: SupervisorError.notFound("zz")) { try await supervisor.deleteChild(id: "zz") }
        try await supervisor.stop()
    }

    @Test("countChildren counts specs, active, supervisors and workers")
    func countChildren() async throws {
        let log = Recorder<String>()
        let supervisor = try await Supervisor.start(children: [
            Tracked.spec("a", log: log),
            Tracked.spec("b", log: log),
            DynamicSupervisor.childSpec(id: "pool"),
        ], runtime: runtime)
        try await supervisor.terminateChild(id: "b")
        #expect(try await supervisor.countChildren() == ChildCounts(specs: 3, active: 2, supervisors: 1, workers: 2))
        try await supervisor.stop()
    }

    @Test("a child failing at boot: start reports which child and why, and stops the others")
    func bootFailure() async throws {
        let log = Recorder<String>()
        await #expect(throws: StartError.initFailed(.error(SupervisorError.failedToStartChild(
            id: "b", reason: .error(TestFailure("start of b refused")))))) {
            try await Supervisor.start(children: [
                Tracked.spec("a", log: log),
                Tracked.spec("b", log: log, failStart: Toggle(true)),
                Tracked.spec("c", log: log),
            ], runtime: runtime)
        }
        #expect(log.all == ["start a", "fail b", "stop a"])
        #expect(runtime.liveProcessCount == 0)
    }

    @Test("duplicate child ids are refused at boot")
    func duplicateIDs() async throws {
        let log = Recorder<String>()
        await #expect(throws: StartError.initFailed(.error(SupervisorError.duplicateChildID("a")))) {
            try await Supervisor.start(children: [Tracked.spec("a", log: log), Tracked.spec("a", log: log)], runtime: runtime)
        }
    }

    // MARK: intensity and escalation

    @Test("one restart more than the intensity: children stop and the supervisor exits shutdown")
    func intensityExceeded() async throws {
        let clock = ManualClock()
        let runtime = quietRuntime(clock: clock)
        let log = Recorder<String>()
        let supervisor = try await Supervisor.start(
            children: [Tracked.spec("a", log: log), Tracked.spec("b", log: log)], runtime: runtime)
        let watch = Process.watch(supervisor.pid)
        for _ in 0..<3 {
            let pid = try await supervisor.pid(of: "a")!
            let exited = Process.watch(pid)
            Process.exit(pid, .kill)
            _ = try await supervisor.afterExit(of: exited)
        }
        let b = try await supervisor.pid(of: "b")!
        Process.exit(try await supervisor.pid(of: "a")!, .kill)
        #expect(try await watch.reason == .shutdown)
        #expect(!b.isAlive)
        #expect(log.all.last == "stop b")
        #expect(runtime.liveProcessCount == 0)
    }

    @Test("restarts spread wider than the period never exceed the intensity")
    func intensityWindowSlides() async throws {
        let clock = ManualClock()
        let runtime = quietRuntime(clock: clock)
        let log = Recorder<String>()
        let supervisor = try await Supervisor.start(
            children: [Tracked.spec("a", log: log)], options: .init(maxRestarts: 1, period: .seconds(5)), runtime: runtime)
        for _ in 0..<10 {
            let pid = try await supervisor.pid(of: "a")!
            let watch = Process.watch(pid)
            Process.exit(pid, .kill)
            let snapshot = try await supervisor.afterExit(of: watch)
            #expect(snapshot.intensity.restarts == 1)
            clock.advance(by: .seconds(6))
        }
        #expect(supervisor.pid.isAlive)
        try await supervisor.stop()
    }

    @Test("escalation through two levels: the inner supervisor gives up, the outer restarts it, then gives up too")
    func escalation() async throws {
        let log = Recorder<String>()
        var events = EventLog(runtime)
        let inner = Supervisor.childSpec(id: "inner", children: [Tracked.spec("w", log: log)],
                                         options: .init(maxRestarts: 0))
        // Periods far longer than any test run: the restarts count, not how fast they come.
        let root = try await Supervisor.start(children: [inner], options: .init(maxRestarts: 1, period: .seconds(3_600)),
                                              runtime: runtime)
        let rootWatch = Process.watch(root.pid)

        // First crash: the inner supervisor may not restart (0 allowed) and exits shutdown;
        // the root restarts it, with a fresh worker.
        let inner1 = try await root.pid(of: "inner")!
        let innerWatch = Process.watch(inner1)
        let worker1 = try await Supervisor(pid: inner1).pid(of: "w")!
        Process.exit(worker1, .kill)
        let inner2 = await events.restart(of: inner1)
        #expect(innerWatch.exitReason == .shutdown)
        let worker2 = try await Supervisor(pid: inner2).pid(of: "w")!
        #expect(worker2 != worker1)

        // Second crash: the inner gives up again; the root's second restart exceeds its
        // intensity (1), so it stops and exits shutdown too.
        Process.exit(worker2, .kill)
        #expect(try await rootWatch.reason == .shutdown)
        #expect(runtime.liveProcessCount == 0)
    }

    @Test("a restart that fails is retried, and each attempt counts toward the intensity")
    func failedRestartRetries() async throws {
        let log = Recorder<String>()
        let failing = Toggle()
        let supervisor = try await Supervisor.start(
            children: [Tracked.spec("a", log: log, failStart: failing)],
            options: .init(maxRestarts: 3, period: .seconds(3_600)), runtime: runtime)
        let watch = Process.watch(supervisor.pid)
        failing.set(true)
        Process.exit(try await supervisor.pid(of: "a")!, .kill)
        // Restart attempts 1, 2, 3 fail and are retried; attempt 4 exceeds the intensity.
        #expect(try await watch.reason == .shutdown)
        #expect(log.all.filter { $0 == "fail a" }.count == 3)
    }

    // MARK: shutdown

    @Test("a shutdown timeout escalates to kill (manual clock)")
    func shutdownTimeoutKills() async throws {
        let clock = ManualClock()
        let runtime = quietRuntime(clock: clock)
        let terminated = Recorder<ExitReason>()
        let hangs = Latch()
        let spec = ChildSpec.worker(
            Scripted.self, arguments: .init(script: .trapExits, terminated: terminated, terminateHangs: hangs),
            id: "stubborn", shutdown: .timeout(.seconds(2)))
        let supervisor = try await Supervisor.start(children: [spec], runtime: runtime)
        let pid = try await supervisor.pid(of: "stubborn")!
        let watch = Process.watch(pid)
        let terminating = Task { try await supervisor.terminateChild(id: "stubborn") }
        await hangs.wait()
        await clock.waitForTimers(atLeast: 1)
        #expect(pid.isAlive)
        clock.advance(by: .seconds(2))
        try await terminating.value
        #expect(try await watch.reason == .killed)
        #expect(terminated.all == [.shutdown])
        try await supervisor.stop()
    }

    @Test("brutal kill stops a child at once, without terminate")
    func brutalKill() async throws {
        let terminated = Recorder<ExitReason>()
        let spec = ChildSpec.worker(Scripted.self, arguments: .init(script: .trapExits, terminated: terminated),
                                    id: "w", shutdown: .brutalKill)
        let supervisor = try await Supervisor.start(children: [spec], runtime: runtime)
        let pid = try await supervisor.pid(of: "w")!
        let watch = Process.watch(pid)
        try await supervisor.terminateChild(id: "w")
        #expect(watch.exitReason == .killed)
        #expect(terminated.all.isEmpty)
        try await supervisor.stop()
    }

    @Test("events: restarts are published with old and new pid and the restart count")
    func restartEvents() async throws {
        let log = Recorder<String>()
        var events = EventLog(runtime)
        let supervisor = try await start(["a"], log: log)
        let old = try await supervisor.pid(of: "a")!
        Process.exit(old, .kill)
        let event = await events.next {
            if case .restarted = $0 { return true }
            return false
        }
        guard case .restarted(let sup, let id, let from, let to, let restarts) = event else { return }
        #expect(sup == supervisor.pid && id == "a" && from == old && restarts == 1)
        #expect(try await supervisor.pid(of: "a") == to)
        try await supervisor.stop()
    }
}
