import Supervision

/// How the built-in demo runs: its size, restart policy and load.
package struct DemoOptions: Sendable {
    /// Phone-line workers started at once.
    package var workers: Int
    /// The pools' restart policy.
    package var restart: RestartPolicy
    /// The pool supervisors' restart intensity: `maxRestarts` within `period`.
    package var maxRestarts: Int
    /// The period of the pool supervisors' restart intensity.
    package var period: Duration
    /// Worker crashes the load generator causes per second.
    package var crashRate: Double
    /// `lookupOrStart` calls the load generator makes per second.
    package var lookupRate: Double
    /// Seeds the load generator's choices.
    package var seed: UInt64
    /// Conference rooms (the second pool, keyed by `Int`).
    package var rooms: Int

    /// Creates options with the given values; the defaults are the demo's usual run.
    package init(
        workers: Int = 300, restart: RestartPolicy = .permanent, maxRestarts: Int = 3,
        period: Duration = .seconds(5), crashRate: Double = 0.2, lookupRate: Double = 200, seed: UInt64 = 1,
        rooms: Int = 12
    ) {
        self.workers = workers
        self.restart = restart
        self.maxRestarts = maxRestarts
        self.period = period
        self.crashRate = crashRate
        self.lookupRate = lookupRate
        self.seed = seed
        self.rooms = rooms
    }

    /// Ids are drawn from a space a fifth larger than the initial workers, so that
    /// lookups sometimes start new ones.
    package var idSpace: Int { max(workers + workers / 5, workers + 10) }

    /// The phone number of worker `index`.
    package static func number(_ index: Int) -> String {
        let digits = String(index)
        return "+1-555-" + String(repeating: "0", count: max(0, 7 - digits.count)) + digits
    }

    /// The registered value of a worker: its plan.
    package static func plan(_ index: Int) -> String {
        ["basic", "pro", "team", "enterprise"][index % 4] + " · region " + ["eu", "us", "ap"][index % 3]
    }

    /// The region a plan names (`plan(_:)` ends with it).
    static func region(of plan: String) -> String {
        "region-" + (plan.split(separator: " ").last.map(String.init) ?? "eu")
    }
}
