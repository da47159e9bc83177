import Supervision
import SupervisionTesting
import Testing
import TestSupport
import WorkerRegistry
import WorkerRegistryLockstep

/// The README's "Writing a Lockstep test for your own workers", verbatim but for the
/// worker (and, under a sanitizer, the number of seeds), so that the example stays true.
@Suite("README: a Lockstep test for one's own workers", .timeLimit(.minutes(Slowdown.scaled(2))))
struct ReadmeExampleTests {
    /// A worker of one's own: a session that counts pings.
    struct MyWorker: GenServer {
        struct Arguments: Sendable {}
        enum Request: Sendable { case ping }
        typealias Reply = Int

        var pings = 0

        static func initialize(_ arguments: Arguments) async throws -> InitResult<MyWorker> {
            await Task.yield()  // a start that takes a turn of the scheduler
            return .ok(MyWorker())
        }

        mutating func handleCall(_ request: Request, from caller: Caller<Int>) async throws -> CallResult<Int> {
            pings += 1
            return .reply(pings)
        }
    }

    static let sessions: @Sendable (LockstepContext) async throws -> Void = { context in
        let pool = WorkerPool(MyWorker.self, id: Int.self, name: "sessions")
        context.addInvariant(.registryEntriesAreAlive(pool.registry))      // no entry of a dead process
        context.addInvariant(.uniqueKeysHaveOneProcess(pool.registry))     // one live pid per key
        context.addInvariant(.supervisorCountsLiveChildren { pool.supervisor })
        context.addInvariant(.restartsWithinIntensity(context.runtime))
        let downs = MonitorLedger()                                        // exactly one DOWN per monitor
        context.addInvariant(downs.invariant)
        let root = try await Supervisor.start(children: [
            pool.registry.childSpec(id: "registry"), pool.childSpec(id: "pool"),
        ])
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<3 {                                               // three concurrent callers
                group.addTask {
                    while !context.shouldStop {                            // until the step budget is spent
                        let id = context.random(in: 0..<4)                 // seeded choices
                        if context.chance(0.2), let pid = pool.lookup(id) {
                            Process.exit(pid, .kill)
                            context.check(pool.lookup(id) != pid, "dead means gone", "\(id) still maps to \(pid)")
                        } else if let pid = try? await pool.lookupOrStart(id, arguments: .init()) {
                            downs.watch(pid)
                        }
                        await Task.yield()                                 // every turn is a scheduling point
                    }
                }
            }
            try await group.waitForAll()
        }
        try await root.stop()
    }

    /// 200 seeds; under a sanitizer, as many as take the plain run's time (the schedules are
    /// the same, the sanitizer looks at the code they run).
    static let seeds = 0..<UInt64(200 / Slowdown.factor)

    @Test func sessionsSurviveEverySchedule() async {
        let exploration = await Lockstep.explore(seeds: Self.seeds, strategy: .pct(changePoints: 3), steps: 2_000,
                                           scenario: Self.sessions)
        if let failure = exploration.failure {
            // Seed, step, invariant, the last trace lines, and a replay; then the same run,
            // shrunk to the few preemptions it needs.
            Issue.record("\(failure)\n\(await Lockstep.shrink(failure, scenario: Self.sessions))")
        }
        #expect(exploration.runs == Self.seeds.count)
    }
}
