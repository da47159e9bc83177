import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import Logging
import Supervision
import Synchronization

/// Fairness: an unrelated ping server's round trip (sent from a thread outside the
/// runtime, so that its handling needs a thread of the pool) while busy processes run, with the
/// runtime's budget (``Runtime/Fairness/default``) and without it (`.unbounded`), the two
/// alternated in one run:
///
/// - `fairness_ping_idle_p99`: the ping with nothing else running.
/// - `fairness_ping_restart_loop_p99`: while two dynamic supervisors retry a restart that
///   keeps failing, with `maxRestarts: 100_000`.
/// - `fairness_ping_flood_p99`: while one server drains 1,000,000 queued casts.
/// - `fairness_call_roundtrip_pid`, `fairness_cast_throughput`: what the budget costs a
///   call's round trip and a stream of casts to one server.
func fairnessSection(_ reporter: Reporter, _ sizes: Sizes, _ logger: Logger) async throws {
    let casts = sizes.hitLookups  // 1,000,000 in a full run
    let maxRestarts = sizes.dashboardWorkers >= 1_000_000 ? 100_000 : 5_000
    let pings = sizes.dashboardWorkers >= 1_000_000 ? 2_000 : 200
    let variants: [(String, Runtime.Fairness)] = [("", .default), ("_unbounded", .unbounded)]
    var figures: [String: [Double]] = [:]
    let rounds = sizes.dashboardWorkers >= 1_000_000 ? 3 : 1
    for round in 0..<rounds {
        for (suffix, fairness) in round % 2 == 0 ? variants : variants.reversed() {
            let runtime = Runtime(logger: logger, label: "fairness\(suffix)", fairness: fairness)
            let ping = try await BenchWorker.start(0, runtime: runtime)
            let echo = try await BenchEcho.start((), runtime: runtime)
            /// `count` round trips to the echo server while `busy()` holds, in
            /// microseconds, sent from a thread outside the runtime (as a request from a
            /// network thread would be): each one has to get a thread of the pool.
            func roundTrips(_ count: Int, after ready: @escaping @Sendable () -> Bool = { true },
                            while busy: @escaping @Sendable () -> Bool = { true }) async -> [Double] {
                await withCheckedContinuation { continuation in
                    DispatchQueue(label: "pinger").async {
                        while !ready() { usleep(20) }
                        let answered = DispatchSemaphore(value: 0)
                        var times: [Double] = []
                        times.reserveCapacity(count)
                        while times.count < count && busy() {
                            let start = now()
                            echo.cast(.ping(answered))
                            answered.wait()
                            times.append(Double(now() - start) / 1e3)
                        }
                        continuation.resume(returning: times)
                    }
                }
            }
            _ = await roundTrips(pings)  // warm-up
            let idle = await roundTrips(pings)
            figures["fairness_ping_idle_p99\(suffix)", default: []].append(percentile(idle, 0.99))

            // (a) Two supervisors whose child's restart keeps failing.
            let attempts = [Count(), Count()]
            var supervisors: [DynamicSupervisor] = []
            for index in 0..<2 {
                let supervisor = try await DynamicSupervisor.start(
                    options: .init(maxRestarts: maxRestarts, period: .seconds(3_600)), runtime: runtime)
                let spec = ChildSpec(id: "doomed") {
                    guard attempts[index].value.add(1, ordering: .relaxed).newValue == 1 else { throw BenchFailure.restartFails }
                    return Process.spawn(link: true) { _ in throw BenchFailure.crash }
                }
                _ = try await asProcess(runtime) { _ in try await supervisor.startChild(spec) }
                supervisors.append(supervisor)
            }
            let looping = await roundTrips(pings, after: { attempts.allSatisfy { $0.load > 1 } },
                                           while: { attempts.allSatisfy { $0.load < maxRestarts - 100 } })
            figures["fairness_ping_restart_loop_p99\(suffix)", default: []].append(looping.isEmpty ? .nan : percentile(looping, 0.99))
            reporter.info("fairness\(suffix) round \(round): \(looping.count) pings during the restart loops, attempts \(attempts.map(\.load))")
            for supervisor in supervisors { Process.exit(supervisor.pid, .kill) }

            // (b) One server draining a flood of casts.
            let flood = try await BenchFlood.started(runtime: runtime)
            let tally = flood.tally
            let floodServer = flood.server
            // Queued while the server waits at a gate (suspended, holding no thread), then
            // drained all at once.
            let (gate, open) = AsyncStream<Void>.makeStream()
            floodServer.cast(.hold(gate))
            try await asProcess(runtime) { _ in for _ in 0..<casts { floodServer.cast(.one) } }
            open.finish()
            let draining = await roundTrips(pings, while: { tally.load < casts - casts / 20 })
            reporter.info("fairness\(suffix) round \(round): \(draining.count) pings while the flood drained")
            if !draining.isEmpty {
                figures["fairness_ping_flood_p99\(suffix)", default: []].append(percentile(draining, 0.99))
            }
            Process.exit(floodServer.pid!, .kill)

            // What the budget costs: a call's round trip, and casts to one server.
            let calls = sizes.calls
            let direct = ServerRef<BenchWorker>(pid: ping.pid!)
            let roundTrip = try await asProcess(runtime) { _ in
                let start = now()
                for _ in 0..<calls where try await direct.call(.ping) != .pong { reporter.check(false, "bad reply") }
                return Double(now() - start) / Double(calls)
            }
            figures["fairness_call_roundtrip_pid\(suffix)", default: []].append(roundTrip)
            let counted = try await BenchFlood.started(runtime: runtime)
            let castRate = try await asProcess(runtime) { _ in
                let start = now()
                for _ in 0..<casts { counted.server.cast(.one) }
                _ = try await counted.server.call(.count)  // after every cast
                return Double(casts) / (Double(now() - start) / 1e9)
            }
            reporter.check(counted.tally.load == casts, "every cast was handled")
            figures["fairness_cast_throughput\(suffix)", default: []].append(castRate)
            Process.exit(counted.server.pid!, .kill)
            Process.exit(ping.pid!, .kill)
            Process.exit(echo.pid!, .kill)
        }
    }
    let units: [String: String] = ["fairness_call_roundtrip_pid": "ns/op", "fairness_cast_throughput": "casts/s"]
    for (name, values) in figures.sorted(by: { $0.key < $1.key }) {
        let base = name.replacingOccurrences(of: "_unbounded", with: "")
        reporter.report(name, units[base] ?? "us", values)
    }
}

/// Answers a ping by signalling the sender's semaphore.
struct BenchEcho: GenServer {
    enum Cast: Sendable {
        case ping(DispatchSemaphore)
    }
    static func initialize(_: Void) async throws -> InitResult<BenchEcho> { .ok(BenchEcho()) }
    mutating func handleCast(_ message: Cast) async throws -> HandleResult {
        guard case .ping(let answered) = message else { return .noreply }
        answered.signal()
        return .noreply
    }
}

enum BenchFailure: Error { case restartFails, crash }

/// A count shared between threads.
final class Count: Sendable {
    let value = Atomic<Int>(0)
    var load: Int { value.load(ordering: .relaxed) }
}

/// Counts casts; a call answers the count once every cast before it was handled.
struct BenchFlood: GenServer {
    enum Cast: Sendable {
        case one
        /// Waits (suspended) until the stream ends.
        case hold(AsyncStream<Void>)
    }
    enum Request: Sendable { case count }
    typealias Reply = Int

    let tally: Count

    static func initialize(_ tally: Count) async throws -> InitResult<BenchFlood> { .ok(BenchFlood(tally: tally)) }

    mutating func handleCast(_ message: Cast) async throws -> HandleResult {
        switch message {
        case .one: tally.value.add(1, ordering: .relaxed)
        case .hold(let gate): for await _ in gate {}
        }
        return .noreply
    }

    mutating func handleCall(_ request: Request, from caller: Caller<Int>) async throws -> CallResult<Int> {
        .reply(tally.load)
    }

    /// Starts one, and returns it with its count.
    static func started(runtime: Runtime) async throws -> (server: ServerRef<BenchFlood>, tally: Count) {
        let tally = Count()
        return (try await start(tally, runtime: runtime), tally)
    }
}
