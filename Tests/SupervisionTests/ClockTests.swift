import Supervision
import Synchronization
import Testing
import TestSupport

/// A timer that records when it fired.
final class ProbeTimer: ScheduledTimer, Sendable {
    let name: String
    let fired: Recorder<String>
    private let settled = Atomic<Bool>(false)

    init(_ name: String, fired: Recorder<String>) {
        self.name = name
        self.fired = fired
    }

    var isSettled: Bool { settled.load(ordering: .relaxed) }
    func settle() { settled.store(true, ordering: .relaxed) }
    func fire() { fired.record(name) }
}

@Suite("Clocks and restart intensity", .timeLimit(.minutes(Slowdown.scaled(2))))
struct ClockTests {
    @Test("a manual clock fires due timers in deadline order, then arming order, and only when advanced")
    func manualClockOrder() {
        let clock = ManualClock()
        let fired = Recorder<String>()
        clock.schedule(ProbeTimer("c", fired: fired), after: .seconds(3))
        clock.schedule(ProbeTimer("a", fired: fired), after: .seconds(1))
        clock.schedule(ProbeTimer("b1", fired: fired), after: .seconds(2))
        clock.schedule(ProbeTimer("b2", fired: fired), after: .seconds(2))
        #expect(clock.pendingTimerCount == 4)
        clock.advance(by: .milliseconds(999))
        #expect(fired.all.isEmpty)
        clock.advance(by: .milliseconds(1001))
        #expect(fired.all == ["a", "b1", "b2"])
        #expect(clock.now() == .zero + .seconds(2))
        clock.advance(by: .seconds(10))
        #expect(fired.all == ["a", "b1", "b2", "c"])
        #expect(clock.nextDeadline == nil)
    }

    @Test("settled timers never fire and are not counted")
    func settledTimers() {
        let clock = ManualClock()
        let fired = Recorder<String>()
        let timer = ProbeTimer("x", fired: fired)
        clock.schedule(timer, after: .seconds(1))
        timer.settle()
        #expect(clock.pendingTimerCount == 0)
        clock.advance(by: .seconds(2))
        #expect(fired.all.isEmpty)
    }

    @Test("thousands of settled timers are swept without firing")
    func sweep() {
        let clock = ManualClock()
        let fired = Recorder<String>()
        for i in 0..<5000 {
            let timer = ProbeTimer("t\(i)", fired: fired)
            clock.schedule(timer, after: .seconds(60))
            if i != 4321 { timer.settle() }
        }
        #expect(clock.pendingTimerCount == 1)
        clock.advance(by: .seconds(60))
        #expect(fired.all == ["t4321"])
    }

    @Test("waitForTimers resumes once enough timers are armed")
    func waitForTimers() async {
        let clock = ManualClock()
        let fired = Recorder<String>()
        async let waited: Void = clock.waitForTimers(atLeast: 2)
        clock.schedule(ProbeTimer("a", fired: fired), after: .seconds(1))
        clock.schedule(ProbeTimer("b", fired: fired), after: .seconds(1))
        await waited
        #expect(clock.pendingTimerCount == 2)
    }

    @Test("the system clock fires a timer after its deadline")
    func systemClock() async {
        let clock = SystemClock()
        let fired = Latch()
        final class Fire: ScheduledTimer, Sendable {
            let latch: Latch
            init(_ latch: Latch) { self.latch = latch }
            var isSettled: Bool { latch.isFired }
            func fire() { latch.fire() }
        }
        let start = clock.now()
        clock.schedule(Fire(fired), after: .milliseconds(5))
        await fired.wait()
        #expect(clock.now() - start >= .milliseconds(5))
    }

    @Test("timestamp arithmetic saturates")
    func timestampArithmetic() {
        #expect(Timestamp.distantFuture + .seconds(1) == .distantFuture)
        #expect(Timestamp.zero - .seconds(1) == .zero)
        #expect((Timestamp.zero + .seconds(3)) - (Timestamp.zero + .seconds(1)) == .seconds(2))
        #expect((Timestamp.zero + .seconds(1)) - (Timestamp.zero + .seconds(3)) == .seconds(-2))
        #expect((Timestamp.zero + .milliseconds(1500)).description == "1.500000000s")
    }

    @Test("restart intensity: at most maxRestarts within the period, the window slides")
    func intensity() {
        let t0 = Timestamp.zero + .seconds(100)
        func record(_ intensity: inout RestartIntensity, _ offsets: [Duration]) -> [Bool] {
            offsets.map { intensity.recordRestart(at: t0 + $0) }
        }
        var three = RestartIntensity(maxRestarts: 3, period: .seconds(5))
        #expect(record(&three, [.zero, .seconds(1), .seconds(2)]) == [true, true, true])
        #expect(three.restarts(at: t0 + .seconds(2)) == 3)
        #expect(record(&three, [.seconds(3)]) == [false], "the fourth within 5 s exceeds")

        var edge = RestartIntensity(maxRestarts: 1, period: .seconds(5))
        #expect(record(&edge, [.zero, .seconds(5)]) == [true, false], "the window includes its edge, as OTP's")

        var later = RestartIntensity(maxRestarts: 1, period: .seconds(5))
        #expect(record(&later, [.zero, .seconds(5) + .nanoseconds(1)]) == [true, true])

        var none = RestartIntensity(maxRestarts: 0, period: .seconds(5))
        #expect(record(&none, [.zero]) == [false], "max 0: any restart exceeds")
    }
}

@Suite("Observability: events and snapshots", .timeLimit(.minutes(Slowdown.scaled(2))))
struct ObservabilityTests {
    @Test("events carry start and exit, in order, for every process of the runtime")
    func lifecycleEvents() async throws {
        let runtime = quietRuntime()
        var events = EventLog(runtime)
        let counter = try await Counter.start(0, runtime: runtime)
        let started = await events.next {
            if case .started(let pid, _, let behaviour) = $0 { return pid == counter.pid && behaviour == "Counter" }
            return false
        }
        guard case .started = started else { return }
        Process.exit(counter.pid!, .kill)
        #expect(await events.exit(of: counter.pid!) == .killed)
    }

    @Test("a subscriber that never reads loses old events and never slows the runtime")
    func slowSubscriber() async throws {
        let runtime = quietRuntime()
        let stream = runtime.events.subscribe(capacity: 8)
        for _ in 0..<200 {
            let pid = Process.spawn(runtime: runtime) { _ in }
            Process.exit(pid, .kill)
        }
        #expect(runtime.events.droppedCount > 0)
        var kept = 0
        for await _ in stream {
            kept += 1
            if kept == 8 { break }
        }
        #expect(kept == 8)
    }

    @Test("a supervisor snapshot shows children, counts and intensity use")
    func supervisorSnapshot() async throws {
        let runtime = quietRuntime()
        let log = Recorder<String>()
        let supervisor = try await Supervisor.start(children: [Tracked.spec("a", log: log)],
                                                    options: .init(maxRestarts: 5, period: .seconds(30)), runtime: runtime)
        let pid = try await supervisor.pid(of: "a")!
        let watch = Process.watch(pid)
        Process.exit(pid, .kill)
        let snapshot = try await supervisor.afterExit(of: watch)
        #expect(snapshot.intensity == IntensityUse(restarts: 1, maxRestarts: 5, period: .seconds(30)))
        #expect(snapshot.intensity.description == "1/5 in 30.0 seconds")
        #expect(snapshot.children.map(\.restarts) == [1])
        #expect(snapshot.strategy == .oneForOne)
        try await supervisor.stop()
    }
}
