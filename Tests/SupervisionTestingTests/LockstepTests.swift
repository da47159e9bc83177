import Supervision
import SupervisionTesting
import Synchronization
import Testing
import WorkerRegistry

@Suite("Lockstep: a seeded, replayable scheduler for whole trees", .serialized, .timeLimit(.minutes(5)))
struct LockstepTests {
    static let seedsPerScenario: UInt64 = 200

    @Test("it has teeth: with the pool's started re-check dropped, exploration finds a violating seed, and that seed replays it")
    func teeth() throws {
        let scenario = LockstepScenario.lookupOrStartRace
        let exploration = scenario.explore(seeds: 0..<Self.seedsPerScenario, steps: 600, faults: [.skipStartedRecheck])
        let failure = try #require(exploration.failure, "no seed out of \(exploration.runs) found the bug")
        #expect(failure.invariant == "scenario check" && failure.message.contains("start returns only workers that started"))
        #expect(failure.replay.contains("--seed \(failure.seed)") && failure.replay.contains("--fault skip-started-recheck"))
        let replay = scenario.run(seed: failure.seed, steps: 600, faults: [.skipStartedRecheck])
        #expect(replay.violation?.step == failure.step && replay.violation?.message == failure.message)
        // Without the fault the same seed passes.
        #expect(scenario.run(seed: failure.seed, steps: 600).violation == nil)
    }

    @Test("time is virtual: a scenario that sleeps an hour runs at once, and timers fire in order")
    func virtualTime() {
        let order = Recorder()
        let run = Lockstep.run(seed: 1) { context in
            await withTaskGroup(of: Void.self) { group in
                for delay in [3, 1, 2] {
                    group.addTask {
                        await context.sleep(for: .seconds(Int64(delay) * 1_200))
                        order.values.withLock { $0.append(delay) }
                    }
                }
            }
        }
        #expect(run.violation == nil)
        #expect(order.values.withLock { $0 } == [1, 2, 3])
        #expect(run.virtualTime == .seconds(3_600))
    }

    @Test("work that escapes the scheduler fails the run with a clear message")
    func escapes() {
        let plainTask = Lockstep.run(seed: 1) { _ in
            let worker = Process.spawn { inbox in _ = try await inbox.receive() }
            // A plain task created in the tree runs on Swift's global executor.
            await Task.detached { Process.send(worker, "hello") }.value
        }
        // Caught — as an escape, or as a run blocked on work outside the scheduler.
        #expect(plainTask.violation?.invariant == "deterministic schedule" || plainTask.violation?.invariant == "progress")

        let realSleep = Lockstep.run(seed: 1) { _ in
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(realSleep.violation != nil)
    }

    @Test("a deadlocked scenario is reported, not hung")
    func deadlock() {
        let run = Lockstep.run(seed: 1) { _ in
            // Waits for a message that never comes.
            let never = Process.spawn { inbox in _ = try await inbox.receive() }
            _ = await Process.watch(never).reason
        }
        #expect(run.violation?.invariant == "progress")
    }
}

final class Recorder: Sendable {
    let values = Mutex<[Int]>([])
}
