import Supervision
import WorkerRegistry

/// The demo's traffic: every tick it calls `lookupOrStart` on random numbers (starting
/// the ones that are not running), crashes a few lines, and has people join rooms, at
/// the configured rates. Seeded, so a run can be repeated.
package struct LoadGenerator: GenServer {
    /// What the generator drives, and how hard.
    package struct Arguments: Sendable {
        /// The pool of phone lines it starts (`lookupOrStart`) and crashes.
        package var phones: WorkerPool<PhoneLine, String, String>
        /// The pool of conference rooms people join.
        package var rooms: WorkerPool<ConferenceRoom, Int, String>
        /// The registry the phone lines it starts subscribe in.
        package var topics: Registry<String, String>
        /// The number of workers, the rates and the seed.
        package var options: DemoOptions

        /// Creates arguments with the given fields.
        package init(phones: WorkerPool<PhoneLine, String, String>, rooms: WorkerPool<ConferenceRoom, Int, String>,
                    topics: Registry<String, String>, options: DemoOptions) {
            self.phones = phones
            self.rooms = rooms
            self.topics = topics
            self.options = options
        }
    }

    /// The timer message: `tick` comes every 50 ms, and each one does a tick's share of the work.
    package enum Info: Sendable { case tick }

    static let tickInterval = Duration.milliseconds(50)

    let arguments: Arguments
    var random: SplitMix64
    var seeded = 0
    var lookupCredit = 0.0
    var crashCredit = 0.0

    /// Starts the generator, seeded from the options; its first tick comes at once.
    package static func initialize(_ arguments: Arguments) async throws -> InitResult<LoadGenerator> {
        Process.sendAfter(Process.current!, Info.tick, after: .zero)
        return .ok(LoadGenerator(arguments: arguments, random: SplitMix64(seed: arguments.options.seed)))
    }

    /// One tick: starts up to 5,000 more of the initial workers until all have been started,
    /// makes this tick's share of `lookupOrStart` calls (about one in 20 also has someone join a
    /// room) and of crashes, then schedules the next tick.
    package mutating func handleInfo(_ message: Info) async throws -> HandleResult {
        let options = arguments.options
        // Start the initial workers in batches, so the dashboard is live at once.
        if seeded < options.workers {
            let batch = min(options.workers - seeded, 5_000)
            for index in seeded..<(seeded + batch) { try? await start(index) }
            seeded += batch
        }
        let seconds = Double(Self.tickInterval.components.attoseconds / 1_000_000_000 + Self.tickInterval.components.seconds * 1_000_000_000) / 1e9
        lookupCredit += options.lookupRate * seconds
        while lookupCredit >= 1 {
            lookupCredit -= 1
            try? await start(Int.random(in: 0..<options.idSpace, using: &random))
            if options.rooms > 0, Int.random(in: 0..<20, using: &random) == 0 {
                let room = Int.random(in: 1...options.rooms, using: &random)
                if let pid = try? await arguments.rooms.lookupOrStart(room, arguments: room, timeout: .seconds(5)) {
                    ServerRef<ConferenceRoom>(pid: pid).cast(.join(DemoOptions.number(Int.random(in: 0..<options.idSpace, using: &random))))
                }
            }
        }
        crashCredit += options.crashRate * seconds
        while crashCredit >= 1 {
            crashCredit -= 1
            let number = DemoOptions.number(Int.random(in: 0..<options.idSpace, using: &random))
            if let pid = arguments.phones.lookup(number) { ServerRef<PhoneLine>(pid: pid).cast(.crash) }
        }
        Process.sendAfter(Process.current!, Info.tick, after: Self.tickInterval)
        return .noreply
    }

    private func start(_ index: Int) async throws {
        let number = DemoOptions.number(index)
        _ = try await arguments.phones.lookupOrStart(
            number, arguments: .init(number: number, plan: DemoOptions.plan(index), topics: arguments.topics),
            timeout: .seconds(5))
    }
}

/// A small, fast, seedable generator (SplitMix64).
package struct SplitMix64: RandomNumberGenerator, Sendable {
    var state: UInt64

    /// Creates a generator whose sequence is fixed by `seed`.
    package init(seed: UInt64) { state = seed }

    /// The next number of the sequence.
    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
