import CBenchProbes
import InspectorProtocol
import PoolDashboard
import PoolInspector
import Supervision
import WorkerRegistry

#if canImport(Glibc)
import Glibc
#endif

/// The inspector and an attached dashboard, against a pool of `dashboardWorkers` live
/// workers (a million in a full run), over the real Unix socket:
///
/// - `inspector_watch_1m`: the inspector's first look at the pool (indexing what it holds,
///   in the background: `watch` itself returns at once).
/// - `inspector_memory_bytes_per_worker`: the heap the inspector's index takes.
/// - `inspector_connect_to_first_frame_1m`: connect, hello, subscribe, events, summary and
///   the rows of the first screen, to the first frame built.
/// - `inspector_key_to_frame_1m` (the slowest key of a script) and its median: a key
///   pressed, its requests answered over the socket, the frame built.
/// - `inspector_los_hit_*`: `lookup_or_start_hit` with no inspector, with an inspector and
///   no client, and with a dashboard attached at a 1 s refresh, in a rotated order in each
///   round of one run; each cost is the median over the rounds of its slowdown against the
///   no-inspector run of the same round. `inspector_los_hit_noise_a_a` is the median gap
///   between two no-inspector runs of one round: the noise those costs stand against. The
///   `_cpu_` figures are the same in process CPU time per hit, which leaves out time the
///   machine's other tenants take (and counts the in-process dashboard's own work).
/// - `inspector_idle_cpu`, `inspector_attached_idle_cpu`: the process's CPU while the app is
///   idle, with an inspector and no client, and with a dashboard attached at 1 s;
///   `inspector_attached_idle_cpu_app` leaves out the in-process dashboard's own model and
///   frames, which a real `pooltui attach` spends in its own process.
/// - `inspector_hostile_*`: what 16 misbehaving clients cost the app (`hostileClientFigures`).
func inspectorSection(_ reporter: Reporter, _ sizes: Sizes, _ runtime: Runtime) async throws {
    let workers = sizes.dashboardWorkers
    let folder = "/tmp/pool-bench-\(getpid())"
    let pool = try await makePool(runtime, name: "bench", restart: .permanent)
    let setup = now()
    try await asProcess(runtime) { _ in
        for id in 0..<workers { _ = try await pool.lookupOrStart(id, arguments: id, timeout: .infinity) }
    }
    reporter.info("inspector setup: \(workers) workers started in \(String(format3: Double(now() - setup) / 1e9)) s")

    // The first look, and what the index costs.
    cplatform_trim_heap()
    let heapBefore = MemoryReading.now()
    let watchStart = now()
    var inspector = try await startInspector(pool, runtime: runtime, folder: folder)
    let watchTime = now() - watchStart
    cplatform_trim_heap()
    let heapAfter = MemoryReading.now()
    reporter.emit("inspector_watch_1m", Double(watchTime) / 1e6, "ms")
    reporter.emit("inspector_memory_bytes_per_worker", (heapAfter.heap - heapBefore.heap) / Double(workers), "bytes/worker")

    // Connect to first frame.
    let layout = Layout(columns: 160, rows: 48)
    await reporter.run("inspector_connect_to_first_frame_1m", "ms") { _ in
        let start = now()
        guard let bench = try? await BenchDashboard.connect(path: inspector.socketPath!, layout: layout) else {
            reporter.check(false, "the bench dashboard connects")
            return .nan
        }
        let frame = bench.frame()
        let elapsed = now() - start
        reporter.check(bench.state.tableCount == workers && frame.text.contains("workers \(workers)"),
                       "the first frame shows \(workers) workers (table \(bench.state.tableCount))")
        bench.close()
        return Double(elapsed) / 1e6
    }

    // Key to frame: a script a person might type, each key to its answered frame.
    let script: [(String, Key)] = [
        ("j", .character("j")), ("k", .character("k")), ("PgDn", .pageDown), ("PgUp", .pageUp),
        ("End", .end), ("Home", .home), ("o", .character("o")), ("o", .character("o")),
        ("o", .character("o")), ("o", .character("o")), ("/", .character("/")), ("4", .character("4")),
        ("2", .character("2")), ("Enter", .enter), ("j", .character("j")), ("o", .character("o")),
        ("/", .character("/")), ("Esc", .escape), ("Esc", .escape), ("Enter", .enter), ("Esc", .escape),
        ("t", .character("t")), ("Esc", .escape), ("?", .character("?")), ("Esc", .escape),
    ]
    let dashboard = try await BenchDashboard.connect(path: inspector.socketPath!, layout: layout)
    // The selection in the middle of the table, as a person scrolling would have it.
    var moves: [RequestEnvelope] = []
    for _ in 0..<(workers / layout.tableRows / 2) { moves += dashboard.state.handle(.pageDown, at: dashboard.now) }
    await dashboard.settle(moves)
    await dashboard.settle(dashboard.state.handle(.character("r"), at: dashboard.now))
    var slowest: [String: Double] = [:]
    var all: [Double] = []
    await reporter.run("inspector_key_to_frame_1m", "ms") { _ in
        var worst = 0.0
        for (name, key) in script {
            let start = now()
            await dashboard.settle(dashboard.state.handle(key, at: dashboard.now))
            _ = dashboard.frame()
            let milliseconds = Double(now() - start) / 1e6
            worst = max(worst, milliseconds)
            all.append(milliseconds)
            slowest[name] = max(slowest[name] ?? 0, milliseconds)
        }
        return worst
    }
    reporter.emit("inspector_key_to_frame_1m_median", median(all), "ms")
    reporter.info("inspector_key_to_frame_1m slowest per key (ms): " + slowest.sorted { $0.value > $1.value }
        .map { "\($0.key)=\(String(format3: $0.value))" }.joined(separator: " "))
    reporter.check(dashboard.state.filter.isEmpty && dashboard.state.tableCount == workers, "the script ends unfiltered over every worker")
    dashboard.close()

    // What it costs the app: lookup_or_start_hit with no inspector, an idle one, and one
    // with a dashboard attached at 1 s — alternated, so the machine's noise hits all three.
    let ids = randomKeys(sizes.hitLookups, base: 0, space: workers, seed: 99)
    let window: UInt64 = sizes.dashboardWorkers >= 1_000_000 ? 2_000_000_000 : 200_000_000
    /// One run: wall time and process CPU time per hit. The CPU figure leaves out the time
    /// this shared machine's other tenants take from us; it counts the inspector's threads
    /// (and the bench's own in-process dashboard) too.
    struct Sample { var wall: Double; var cpu: Double }
    func hits() async throws -> Sample {
        try await asProcess(runtime) { _ in
            var operations = 0
            let start = now()
            let cpuStart = cpuNanoseconds()
            while now() - start < window {
                for id in ids where try await pool.lookupOrStart(id, arguments: id, timeout: .infinity).serial == 0 {
                    reporter.check(false, "a hit returned no pid")
                }
                operations += ids.count
            }
            return Sample(wall: Double(now() - start) / Double(operations),
                          cpu: Double(cpuNanoseconds() - cpuStart) / Double(operations))
        }
    }
    // Each round runs every condition in a rotated order (so neither drift nor what the
    // previous run left behind favours one), and each cost is the median of the rounds' own
    // ratios against their no-inspector run.
    enum Condition: CaseIterable { case bare, quiet, bareAgain, watched }
    func measure(_ condition: Condition) async throws -> Sample {
        switch condition {
        case .bare, .bareAgain:
            return try await hits()
        case .quiet:
            let inspector = try await startInspector(pool, runtime: runtime, folder: folder)
            let result = try await hits()
            await inspector.stop()
            return result
        case .watched:
            let inspector = try await startInspector(pool, runtime: runtime, folder: folder)
            let watcher = try await BenchDashboard.connect(path: inspector.socketPath!, layout: layout)
            let refresher = Task { await watcher.run(refresh: .seconds(1)) }
            let result = try await hits()
            refresher.cancel()
            await refresher.value
            watcher.close()
            await inspector.stop()
            return result
        }
    }
    var samples: [Condition: [Sample]] = [:]
    await inspector.stop()
    let rounds = sizes.dashboardWorkers >= 1_000_000 ? 6 : 3
    for round in 0...rounds {
        let order = Condition.allCases
        var results: [Condition: Sample] = [:]
        for step in 0..<order.count {
            let condition = order[(step + round) % order.count]
            results[condition] = try await measure(condition)
        }
        if round == 0 { continue }  // warm-up
        for (condition, sample) in results { samples[condition, default: []].append(sample) }
    }
    reporter.report("inspector_los_hit_no_inspector", "ns/op", samples[.bare]!.map(\.wall))
    reporter.report("inspector_los_hit_inspector_no_client", "ns/op", samples[.quiet]!.map(\.wall))
    reporter.report("inspector_los_hit_client_1s", "ns/op", samples[.watched]!.map(\.wall))
    func costs(_ condition: Condition, _ measure: (Sample) -> Double) -> [Double] {
        zip(samples[condition]!, samples[.bare]!).map { (measure($0) / measure($1) - 1) * 100 }
    }
    func listed(_ values: [Double]) -> String { values.map { String(format3: $0) }.joined(separator: " ") }
    for (name, measure) in [("", { (sample: Sample) in sample.wall }), ("_cpu", { (sample: Sample) in sample.cpu })] {
        let noise = costs(.bareAgain, measure), idle = costs(.quiet, measure), attached = costs(.watched, measure)
        reporter.info("inspector_los_hit\(name) per round (%): no inspector again \(listed(noise)); no client \(listed(idle)); client at 1 s \(listed(attached))")
        // The same run twice with no inspector: how far apart two runs of one thing land here.
        reporter.emit("inspector_los_hit\(name)_noise_a_a", median(noise.map(abs)), "%")
        reporter.emit("inspector_los_hit\(name)_cost_no_client", median(idle), "%")
        reporter.emit("inspector_los_hit\(name)_cost_client_1s", median(attached), "%")
    }

    // Idle CPU: an inspector with no client keeps no thread busy; an attached dashboard at
    // 1 s costs little.
    inspector = try await startInspector(pool, runtime: runtime, folder: folder)
    try await hostileClientFigures(reporter, sizes, runtime, pool: pool, inspector: inspector)
    let idleSeconds: UInt64 = sizes.dashboardWorkers >= 1_000_000 ? 10 : 2
    /// The process's CPU over `seconds` of the app idling, as a share of one core, with
    /// `during` running meanwhile (stopped before the reading ends).
    func cpu(for seconds: UInt64, during: (@Sendable () async -> Void)? = nil) async throws -> (percent: Double, wall: Double) {
        let cpuStart = cpuNanoseconds()
        let wallStart = now()
        let running = during.map { work in Task { await work() } }
        try await Task.sleep(for: .seconds(Int64(seconds)))
        running?.cancel()
        await running?.value
        let wall = Double(now() - wallStart)
        return (Double(cpuNanoseconds() - cpuStart) / wall * 100, wall)
    }
    reporter.emit("inspector_idle_cpu", try await cpu(for: idleSeconds).percent, "%")
    let watcher = try await BenchDashboard.connect(path: inspector.socketPath!, layout: layout)
    // The dashboard's own work is counted from its first tick (not its connect), so the
    // whole window is split between it and the app.
    let ownBefore = watcher.ownCPU
    let (total, wall) = try await cpu(for: idleSeconds) { await watcher.run(refresh: .seconds(1)) }
    let dashboardShare = Double(watcher.ownCPU - ownBefore) / wall * 100
    reporter.emit("inspector_attached_idle_cpu", total, "%")
    // Without the dashboard's own model and frames, which `pooltui attach` runs in its own
    // process: what an attached dashboard costs the app.
    reporter.emit("inspector_attached_idle_cpu_app", total - dashboardShare, "%")
    watcher.close()
    await inspector.stop()
    await pool.stopPool()
    rmdir(folder)
}

private func startInspector(_ pool: BenchPool, runtime: Runtime, folder: String) async throws -> Inspector {
    let inspector = Inspector(name: "bench", runtime: runtime, options: .init(commands: .all, directory: folder))
    try inspector.watch(pool)  // returns at once: the first look runs in the background
    await inspector.waitUntilIndexed()
    try await inspector.start()
    return inspector
}

/// A dashboard without a terminal, over a real socket: the model, its requests and the
/// frames, as `pooltui attach` runs them.
// @unchecked: `state`, `iterator` and `ownCPU` are used by one task at a time — the
// bench awaits the task running `run()` before it reads them.
final class BenchDashboard: @unchecked Sendable {
    // Unchecked: `state` is touched only by the one task that drives the bench
    // (sequentially), never concurrently; the messages arrive through `messages`.
    var state: DashboardState
    let client: InspectorClient
    let messages: AsyncStream<ServerMessage>
    let layout: Layout
    let clock = ContinuousClock()
    let started: ContinuousClock.Instant
    private var iterator: AsyncStream<ServerMessage>.Iterator

    private init(state: DashboardState, client: InspectorClient, messages: AsyncStream<ServerMessage>, layout: Layout) {
        self.state = state
        self.client = client
        self.messages = messages
        self.layout = layout
        started = clock.now
        iterator = messages.makeAsyncIterator()
    }

    var now: Duration { clock.now - started }

    static func connect(path: String, layout: Layout) async throws -> BenchDashboard {
        let (messages, sink) = AsyncStream<ServerMessage>.makeStream()
        let client = try await InspectorClient.connect(path: path, client: "pool-bench", onMessage: { sink.yield($0) },
                                                       onClose: { _ in sink.finish() })
        let bench = BenchDashboard(state: DashboardState(target: "bench", pageSize: layout.tableRows), client: client,
                                   messages: messages, layout: layout)
        await bench.settle(bench.state.connected(client.hello, at: bench.now))
        return bench
    }

    /// Sends `requests` and applies the replies (and what they ask for) until none is
    /// in flight.
    func settle(_ requests: [RequestEnvelope]) async {
        for request in requests { client.send(request) }
        while state.isWaiting, let message = await iterator.next() {
            let start = threadCPUNanoseconds()
            let requests = state.receive(message, at: now)
            ownCPU += threadCPUNanoseconds() - start
            for request in requests { client.send(request) }
        }
    }

    func frame() -> Frame {
        FrameBuilder().build(state, layout: layout, at: now)
    }

    /// CPU time this dashboard's own work took (its model and its frames), which a real
    /// `pooltui attach` spends in its own process, not the app's.
    private(set) var ownCPU: UInt64 = 0

    /// Refreshes like a dashboard left open, until cancelled: as the terminal loop does, a
    /// frame when something changed, and at least one a second.
    func run(refresh: Duration) async {
        _ = state.handle(.character("-"), at: now)  // 2 s …
        _ = state.handle(.character("+"), at: now)  // … back to 1 s
        var lastDraw = now
        while !Task.isCancelled {
            var start = threadCPUNanoseconds()
            let requests = state.tick(at: now)
            ownCPU += threadCPUNanoseconds() - start
            if !requests.isEmpty { await settle(requests) }
            if !requests.isEmpty || now - lastDraw >= .seconds(1) {
                start = threadCPUNanoseconds()
                _ = frame()
                ownCPU += threadCPUNanoseconds() - start
                lastDraw = now
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    func close() {
        client.close()
    }
}

/// CPU time (user + system) of the whole process, in nanoseconds.
func cpuNanoseconds() -> UInt64 {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func nanoseconds(_ time: timeval) -> UInt64 { UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_usec) * 1_000 }
    return nanoseconds(usage.ru_utime) + nanoseconds(usage.ru_stime)
}

/// CPU time of the calling thread, in nanoseconds: around synchronous work only (an
/// `await` may move a task to another thread).
func threadCPUNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}
