import ArgumentParser
import SupervisionTesting
import WorkerRegistryLockstep

/// `pooltui simulate`: runs a built-in scenario under the lockstep scheduler and prints
/// its summary and trace digest — the same seed, the same digest.
struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a built-in scenario under the seeded, replayable lockstep scheduler.",
        discussion: """
            Every job of the simulated tree runs on one scheduler that picks the next job from \
            the seed; time is virtual. The same seed prints the same digest on every machine. \
            Scenarios: \(LockstepScenario.allCases.map(\.rawValue).joined(separator: ", ")). \
            Exit status 1 when an invariant breaks; the report says how to replay it.
            """)

    @Option(help: "The seed that decides every interleaving.")
    var seed: UInt64 = 42

    @Option(help: "The step budget: jobs run before the scenario winds down.")
    var steps: Int = 10_000

    @Option(help: "The scenario: \(LockstepScenario.allCases.map(\.rawValue).joined(separator: ", ")).")
    var scenario: String = LockstepScenario.churn.rawValue

    @Option(help: "How jobs are picked: random, pct:N (priorities with N change points), or replay:STEP:INDEX,… (a fixed schedule, as a shrunk violation prints it).")
    var strategy: String = "random"

    @Option(help: "A deliberate bug to switch on (\(LockstepScenario.Fault.allCases.map(\.rawValue).joined(separator: ", "))), to watch the invariants catch it.")
    var fault: [String] = []

    @Option(help: "Explore this many seeds from --seed on, stopping at the first violation.")
    var seeds: Int = 1

    @Flag(inversion: .prefixedNo, help: "On a violation, shrink the failing schedule to few preemptions and print its replay too.")
    var shrink = true

    func validate() throws {
        guard LockstepScenario(rawValue: scenario) != nil else {
            throw ValidationError("unknown scenario \(scenario); scenarios are \(LockstepScenario.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard SchedulingStrategy(strategy) != nil else { throw ValidationError("strategy must be random, pct:N or replay:STEP:INDEX,…") }
        for name in fault where LockstepScenario.Fault(rawValue: name) == nil {
            throw ValidationError("unknown fault \(name)")
        }
        guard fault.isEmpty || LockstepScenario.Fault.areAvailable else {
            throw ValidationError("--fault needs a debug build (faults are not compiled into release builds): swift run pooltui simulate …")
        }
        guard steps > 0, seeds > 0 else { throw ValidationError("steps and seeds must be positive") }
    }

    func run() throws {
        let scenario = LockstepScenario(rawValue: scenario)!
        let strategy = SchedulingStrategy(strategy)!
        let faults = Set(fault.compactMap(LockstepScenario.Fault.init(rawValue:)))
        for offset in 0..<UInt64(seeds) {
            let run = scenario.run(seed: seed &+ offset, strategy: strategy, steps: steps, faults: faults)
            print("scenario \(scenario.rawValue) \(run)")
            if let violation = run.violation {
                if shrink, !isReplay(strategy) {
                    print("shrinking the failing schedule …")
                    print(scenario.shrink(violation, faults: faults))
                }
                throw ExitCode(1)
            }
        }
        if seeds == 1 { return }
        print("\(seeds) seeds: no violation")
    }

    private func isReplay(_ strategy: SchedulingStrategy) -> Bool {
        if case .replay = strategy { return true }
        return false
    }
}
