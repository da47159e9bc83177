import Supervision
import Synchronization
import WorkerRegistry

/// The demo's traffic: every tick it calls `lookupOrStart` on random numbers (starting
/// the ones that are not running) and crashes a few workers, at the configured rates.
/// Seeded, so a run can be repeated.
public struct LoadGenerator: GenServer {
    public struct Arguments: Sendable {
        public var pool: WorkerPool<PhoneLine, String, String>
        public var options: DemoOptions
        /// Counts `lookupOrStart` calls, for the lookups-per-second figure.
        public var lookups: LookupCounter

        public init(pool: WorkerPool<PhoneLine, String, String>, options: DemoOptions, lookups: LookupCounter) {
            self.pool = pool
            self.options = options
            self.lookups = lookups
        }
    }

    public enum Info: Sendable { case tick }

    static let tickInterval = Duration.milliseconds(50)

    let arguments: Arguments
    var random: SplitMix64
    var seeded = 0
    var lookupCredit = 0.0
    var crashCredit = 0.0

    public static func initialize(_ arguments: Arguments) async throws -> InitResult<LoadGenerator> {
        Process.sendAfter(Process.current!, Info.tick, after: .zero)
        return .ok(LoadGenerator(arguments: arguments, random: SplitMix64(seed: arguments.options.seed)))
    }

    public mutating func handleInfo(_ message: Info) async throws -> HandleResult {
        let options = arguments.options
        let pool = arguments.pool
        // Start the initial workers in batches, so the dashboard is live at once.
        if seeded < options.workers {
            let batch = min(options.workers - seeded, 5_000)
            for index in seeded..<(seeded + batch) { try? await start(index) }
            seeded += batch
        }
        let seconds = Double(Self.tickInterval.saturatingNanoseconds) / 1e9
        lookupCredit += options.lookupRate * seconds
        while lookupCredit >= 1 {
            lookupCredit -= 1
            try? await start(Int.random(in: 0..<options.idSpace, using: &random))
        }
        crashCredit += options.crashRate * seconds
        while crashCredit >= 1 {
            crashCredit -= 1
            let number = DemoOptions.number(Int.random(in: 0..<options.idSpace, using: &random))
            if let pid = pool.lookup(number) { ServerRef<PhoneLine>(pid: pid).cast(.crash) }
        }
        Process.sendAfter(Process.current!, Info.tick, after: Self.tickInterval)
        return .noreply
    }

    private func start(_ index: Int) async throws {
        arguments.lookups.increment()
        let number = DemoOptions.number(index)
        _ = try await arguments.pool.lookupOrStart(
            number, arguments: .init(number: number, plan: DemoOptions.plan(index)), timeout: .seconds(5))
    }
}

/// Counts lookups and reports a rate.
public final class LookupCounter: Sendable {
    private let total = Atomic<Int>(0)
    private let sample: Mutex<(count: Int, at: Timestamp, rate: Double)>

    /// A counter whose first rate is measured from `start`.
    public init(start: Timestamp) {
        sample = Mutex((0, start, 0))
    }

    func increment() { total.add(1, ordering: .relaxed) }

    /// Lookups per second since the previous call (at least `minimum` apart).
    public func rate(now: Timestamp, minimum: Duration = .milliseconds(500)) -> Double {
        let count = total.load(ordering: .relaxed)
        return sample.withLock { sample in
            let elapsed = now - sample.at
            guard elapsed >= minimum else { return sample.rate }
            sample.rate = Double(count - sample.count) / (Double(elapsed.saturatingNanoseconds) / 1e9)
            sample.count = count
            sample.at = now
            return sample.rate
        }
    }
}

/// A small, fast, seedable generator (SplitMix64).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
