import CBenchProbes
#if canImport(Glibc)
import Glibc
#endif
import Logging
import PoolDemo
import Supervision
import Synchronization
import WorkerRegistry
import ScalableLocks

/// A worker the torture run can ask to answer, crash or exit with any reason.
struct TortureWorker: GenServer {
    typealias Arguments = Int
    enum Request: Sendable { case ping }
    typealias Reply = Int
    enum Cast: Sendable { case crash, exit(ExitReason) }

    let id: Int

    static func initialize(_ id: Int) async throws -> InitResult<TortureWorker> { .ok(TortureWorker(id: id)) }

    mutating func handleCall(_ request: Request, from caller: Caller<Int>) async throws -> CallResult<Int> { .reply(id) }

    mutating func handleCast(_ message: Cast) async throws -> HandleResult {
        switch message {
        case .crash: throw TortureCrash()
        case .exit(let reason): return .stop(reason)
        }
    }
}

struct TortureCrash: Error {}

/// What the torture run counts, across threads.
final class TortureTally: Sendable {
    let operations = Atomic<Int>(0)
    let checks = Atomic<Int>(0)
    private let violations = Lock<[String]>([])

    func check(_ holds: Bool, _ what: @autoclosure () -> String) {
        checks.add(1, ordering: .relaxed)
        if !holds {
            let text = what()
            violations.withLock { if $0.count < 50 { $0.append(text) } }
        }
    }

    var broken: [String] { violations.withLock { $0 } }
}

/// Pids whose kill returned, each with the moment (a counter) it was recorded: a lookup
/// that began after that moment must not return it.
final class KilledSet: Sendable {
    private let pids = Lock<(clock: UInt64, killed: [PID: UInt64])>((0, [:]))
    /// Records a kill that has returned.
    func insert(_ pid: PID) { pids.withLock { $0.clock += 1; $0.killed[pid] = $0.clock } }
    /// The moment now: read before a lookup begins.
    var moment: UInt64 { pids.withLock { $0.clock } }
    /// Whether `pid`'s kill had returned (and been recorded) by `moment`.
    func killed(_ pid: PID, by moment: UInt64) -> Bool { pids.withLock { $0.killed[pid].map { $0 <= moment } ?? false } }
}

/// `pool-bench torture --seconds N --seed S`: OS threads and tasks at once kill workers,
/// send them exit signals with every kind of reason, crash them, stop them through the
/// pool, monitor and link to them, `lookupOrStart` and call them — all on one pool of
/// 256 ids — while each step checks the runtime's promises:
///
/// - a kill that returned: the process is not alive, and no lookup returns it again;
/// - a lookup never returns a process whose kill had returned before the lookup began;
/// - a watch (monitor) fires once the process is gone, and the id is no longer its;
///
/// and at the end, once quiet: every registered id is held by a live process and the
/// registry's count is the number of live named workers; after the tree stops, no
/// process of the runtime is left; the resident set grew little from the first quarter
/// to the end.
func tortureSection(_ reporter: Reporter, seconds: Int, seed: UInt64, logger: Logger) async throws {
    let seconds = max(1, min(seconds, 86_400))
    let runtime = Runtime(logger: logger, label: "torture")
    let ids = 256
    let pool = WorkerPool(TortureWorker.self, id: Int.self, name: "torture",
                          options: .init(restart: .permanent, maxRestarts: 1 << 40, period: .seconds(1))) { id, _ in id }
    let root = try await Supervisor.start(children: [pool.registry.childSpec(), pool.childSpec()], runtime: runtime)
    let tally = TortureTally()
    let killed = KilledSet()
    let deadline = now() + UInt64(seconds) * 1_000_000_000
    let threads = 4
    let tasks = 4
    reporter.info("# torture: \(threads) OS threads and \(tasks) tasks on \(ids) ids for \(seconds) s, seed \(seed)")

    // OS threads: synchronous signals and lookups, each with its own seeded generator.
    let rssEarly = Atomic<Int>(0)
    let joinables = (0..<threads).map { thread in
        OSThread.start("torture thread \(thread)") {
            var random = SplitMix64(seed: seed &+ UInt64(thread) &* 0x9E37_79B9_7F4A_7C15)
            while now() < deadline {
                let id = Int(random.next() % UInt64(ids))
                let moment = killed.moment
                tally.operations.add(1, ordering: .relaxed)
                guard let pid = pool.lookup(id) else { continue }
                tally.check(!killed.killed(pid, by: moment), "lookup(\(id)) returned \(pid), whose kill had returned")
                switch random.next() % 6 {
                case 0, 1:
                    Process.exit(pid, .kill)
                    tally.check(!pid.isAlive, "kill(\(pid)) returned while it was alive: \(Process.info(pid).map(String.init(describing:)) ?? "no info")")
                    if pool.lookup(id) == pid {
                        sched_yield()
                        tally.check(false, "lookup(\(id)) returned \(pid) after its kill returned: alive \(pid.isAlive), keys \(pool.registry.keys(for: pid)), again \(pool.lookup(id) == pid)")
                    }
                    killed.insert(pid)
                case 2:
                    Process.exit(pid, .shutdownWith("torture"))
                    tally.check(!pid.isAlive, "exit(\(pid), shutdown) returned while it was alive (it does not trap): \(Process.info(pid).map(String.init(describing:)) ?? "no info")")
                    killed.insert(pid)
                case 3:
                    Process.exit(pid, .normal)  // ignored: it does not trap exits
                case 4:
                    ServerRef<TortureWorker>(pid: pid).cast(.crash)
                default:
                    ServerRef<TortureWorker>(pid: pid).cast(.exit(random.next() % 2 == 0 ? .normal : .error(TortureCrash())))
                }
                if thread == 0, rssEarly.load(ordering: .relaxed) == 0, now() > deadline - UInt64(seconds) * 750_000_000 {
                    rssEarly.store(Int(cplatform_resident_bytes()), ordering: .relaxed)
                }
            }
        }
    }

    // Tasks: lookupOrStart, calls, stops through the pool, monitors and links.
    try await withThrowingTaskGroup(of: Void.self) { group in
        for task in 0..<tasks {
            group.addTask {
                var random = SplitMix64(seed: seed &+ 1_000 &+ UInt64(task))
                while now() < deadline {
                    let id = Int(random.next() % UInt64(ids))
                    let moment = killed.moment
                    switch random.next() % 5 {
                    case 0, 1:
                        if let pid = try? await runtime.run({ try await pool.lookupOrStart(id, arguments: id) }) {
                            tally.check(!killed.killed(pid, by: moment), "lookupOrStart(\(id)) returned \(pid), whose kill had returned")
                            do throws(CallError) {
                                let answer = try await ServerRef<TortureWorker>(pid: pid).call(.ping, timeout: .seconds(5))
                                tally.check(answer == id, "\(pid) answered \(answer) for id \(id)")
                            } catch {
                                tally.check(error.code != .timeout, "a call to \(pid) timed out")
                            }
                        }
                    case 2:
                        _ = await pool.stop(id)
                        if let pid = pool.lookup(id) { tally.check(!killed.killed(pid, by: moment), "lookup(\(id)) after stop returned \(pid), whose kill had returned") }
                    case 3:
                        // A watch fires once the process is gone, and the id is no longer its.
                        guard let pid = pool.lookup(id) else { break }
                        let watch = Process.watch(pid)
                        Process.exit(pid, .kill)
                        killed.insert(pid)
                        _ = await watch.reasonIgnoringCancellation
                        tally.check(!pid.isAlive && pool.lookup(id) != pid, "\(pid) still named after its watch fired")
                    default:
                        // A linked process that traps exits receives the worker's end as a message.
                        guard let pid = pool.lookup(id) else { break }
                        let got = Lock<ExitReason?>(nil)
                        let watcher = Process.spawn(runtime: runtime) { inbox in
                            try Process.flag(trapExit: true)
                            try Process.link(pid)
                            while let message = try await inbox.receive(timeout: .seconds(2)) {
                                if case .exit(let from, let reason) = message, from == pid {
                                    got.withLock { $0 = reason }
                                    return
                                }
                            }
                        }
                        Process.exit(pid, .kill)
                        killed.insert(pid)
                        let watch = Process.watch(watcher)
                        _ = await watch.reasonIgnoringCancellation
                        let reason = got.withLock { $0 }
                        // Killed here, or ended by another thread first (any reason): the
                        // exit reaches the linked process that traps exits, as a message.
                        tally.check(reason != nil, "the linked watcher of \(pid) got no exit message")
                    }
                    tally.operations.add(1, ordering: .relaxed)
                }
            }
        }
        try await group.waitForAll()
    }
    for joinable in joinables { joinable.join() }

    // Quiet: every registered id is held by a live process; the count says so.
    try await pool.supervisor?.sync()
    let held = pool.toList()
    for (id, pid) in held { tally.check(pid.isAlive && !killed.killed(pid, by: .max), "id \(id) is held by the dead \(pid)") }
    tally.check(pool.count() == held.count, "count \(pool.count()) but \(held.count) entries listed")
    let rssEnd = Int(cplatform_resident_bytes())
    try await root.stop()
    tally.check(runtime.liveProcessCount == 0, "\(runtime.liveProcessCount) processes left after the tree stopped")
    let early = max(rssEarly.load(ordering: .relaxed), 1)
    let growth = Double(rssEnd - early) / Double(early)
    tally.check(growth < 0.5, "resident set grew from \(early >> 20) MiB to \(rssEnd >> 20) MiB")

    let operations = tally.operations.load(ordering: .relaxed)
    let checks = tally.checks.load(ordering: .relaxed)
    reporter.emit("torture_operations", Double(operations), "ops")
    reporter.emit("torture_checks", Double(checks), "checks")
    reporter.emit("torture_violations", Double(tally.broken.count), "violations")
    reporter.info("# torture: resident set \(early >> 20) MiB after the first quarter, \(rssEnd >> 20) MiB at the end")
    for violation in tally.broken { reporter.info("# VIOLATION \(violation)") }
    reporter.check(tally.broken.isEmpty, "torture: every promise held (\(checks) checks, \(operations) operations)")
}
