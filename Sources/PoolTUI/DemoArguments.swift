import ArgumentParser
import PoolDemo
import Supervision

/// The demo's options, shared by the interactive dashboard, `demo --serve` and `snapshot`.
struct DemoArguments: ParsableArguments {
    @Option(help: "Phone-line workers started at once.")
    var workers: Int = 300

    @Option(help: "Restart policy of the phone lines: permanent, transient or temporary.")
    var restart: RestartPolicy = .permanent

    @Option(name: .customLong("max-restarts"), help: "The pool supervisor's restart intensity: restarts allowed…")
    var maxRestarts: Int = 3

    @Option(name: .customLong("max-seconds"), help: "…within this many seconds.")
    var maxSeconds: Double = 5

    @Option(name: .customLong("crash-rate"), help: "Worker crashes per second caused by the load generator.")
    var crashRate: Double = 0.2

    @Option(name: .customLong("lookup-rate"), help: "lookupOrStart calls per second made by the load generator.")
    var lookupRate: Double = 200

    @Option(help: "Seconds between refreshes (0.1 to 10; + and - change it at run time).")
    var refresh: Double = 1

    @Option(help: "Seed of the load generator's random choices.")
    var seed: UInt64 = 1

    func validate() throws {
        guard workers >= 0 else { throw ValidationError("--workers must not be negative") }
        guard maxRestarts >= 0 else { throw ValidationError("--max-restarts must not be negative") }
        guard maxSeconds > 0 else { throw ValidationError("--max-seconds must be positive") }
        guard crashRate >= 0, lookupRate >= 0 else { throw ValidationError("rates must not be negative") }
        guard (0.1...10).contains(refresh) else { throw ValidationError("--refresh must be between 0.1 and 10 seconds") }
    }

    var options: DemoOptions {
        DemoOptions(workers: workers, restart: restart, maxRestarts: maxRestarts,
                    period: .milliseconds(Int64(maxSeconds * 1000)), crashRate: crashRate,
                    lookupRate: lookupRate, seed: seed)
    }

    var refreshInterval: Duration { .milliseconds(Int64(refresh * 1000)) }
}

extension RestartPolicy: ExpressibleByArgument {}
