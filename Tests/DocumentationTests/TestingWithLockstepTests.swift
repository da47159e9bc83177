import Supervision
import SupervisionTesting
import Testing
import TestSupport
import WorkerRegistry
import WorkerRegistryLockstep

/// The code of the "Testing with Lockstep" article, run.
@Suite("Article: Testing with Lockstep", .timeLimit(.minutes(Slowdown.scaled(2))))
struct TestingWithLockstepTests {
    struct Session: GenServer {
        struct Arguments: Sendable {}
        static func initialize(_ arguments: Arguments) async throws -> InitResult<Session> {
            await Task.yield()
            return .ok(Session())
        }
    }

    @Test("a scenario: one seed gives one run twice; fifty seeds under PCT find nothing")
    func scenario() async {
        let churn: @Sendable (LockstepContext) async throws -> Void = { context in
            let pool = WorkerPool(Session.self, id: Int.self, name: "sessions")
            context.addInvariant(.registryEntriesAreAlive(pool.registry))
            context.addInvariant(.uniqueKeysHaveOneProcess(pool.registry))
            let root = try await Supervisor.start(children: [
                pool.registry.childSpec(id: "registry"), pool.childSpec(id: "pool"),
            ])
            while !context.shouldStop {
                let id = context.random(in: 0..<4)
                if context.chance(0.3), let pid = pool.lookup(id) {
                    Process.exit(pid, .kill)
                } else {
                    _ = try? await pool.lookupOrStart(id, arguments: .init())
                }
                await Task.yield()                  // a scheduling point
            }
            try await root.stop()
        }

        let run = await Lockstep.run(seed: 42, steps: 2_000, scenario: churn)
        let again = await Lockstep.run(seed: 42, steps: 2_000, scenario: churn)
        // run.digest == again.digest, run.violation == nil
        #expect(run.digest == again.digest)
        #expect(run.violation == nil)
        let other = await Lockstep.run(seed: 43, steps: 2_000, scenario: churn)
        #expect(other.digest != run.digest, "another seed, another interleaving")

        let exploration = await Lockstep.explore(seeds: 0..<50, strategy: .pct(changePoints: 3), steps: 1_000,
                                                 scenario: churn)
        // exploration.failure == nil, exploration.runs == 50
        #expect(exploration.failure == nil)
        #expect(exploration.runs == 50)
    }
}
