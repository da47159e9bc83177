import PoolDashboard
import Supervision

#if canImport(Glibc)
import Glibc
#endif

/// The dashboard at scale: the demo tree with `dashboardWorkers` live workers, the model
/// fed by the real registry and supervision events, frames built from the real runtime.
///
/// - `dashboard_frame_build_1m`: one frame, the worst of the three views below (each
///   also printed): sorted by key, sorted by uptime, and filtered.
/// - `dashboard_key_to_frame_1m`: the slowest key of a fixed script (moves, pages, ends,
///   sort cycling, typing a filter, clearing it), from the key to its frame built.
/// - `dashboard_idle_cpu_1m`: the process's CPU while the dashboard loop idles at a 1 s
///   refresh (keys polled every 50 ms, as the terminal does) — an upper bound of the
///   dashboard's own cost, since the idle demo tree is included.
func dashboardSection(_ reporter: Reporter, _ sizes: Sizes, _ runtime: Runtime) async throws {
    let workers = sizes.dashboardWorkers
    let options = DemoOptions(workers: workers, restart: .permanent, crashRate: 0, lookupRate: 0)
    let liveBefore = runtime.liveProcessCount
    let setup = now()
    let engine = try await DashboardEngine.startDemo(options: options, runtime: runtime)
    let data = engine.data
    var state = DashboardState(poolName: DashboardEngine.poolName, refreshInterval: .seconds(1), startedAt: data.now())
    var applyNanoseconds: UInt64 = 0
    var applied = 0
    // Setup only (not measured): wait for the load generator to start every worker.
    while state.workerCount < workers {
        let inputs = engine.drain()
        if inputs.isEmpty {
            try await Task.sleep(for: .milliseconds(10))
            continue
        }
        let start = now()
        for input in inputs { state.apply(input) }
        applyNanoseconds += now() - start
        applied += inputs.count
    }
    reporter.info("dashboard setup: \(workers) workers started and indexed in \(String(format3: Double(now() - setup) / 1e9)) s; model ingest \(String(format1: Double(applyNanoseconds) / Double(max(applied, 1)))) ns per event")
    reporter.check(state.workerCount == workers && engine.pool.count() == workers,
                   "the dashboard knows every worker (\(state.workerCount) of \(workers)) and the pool counts them")

    let builder = FrameBuilder()
    let layout = Layout(columns: 160, rows: 48)
    var consumed = 0
    func frame(_ state: DashboardState) -> Frame {
        let frame = builder.build(state, data: data, layout: layout)
        consumed &+= frame.lines.count
        return frame
    }
    func press(_ state: inout DashboardState, _ keys: [Key]) {
        for key in keys { _ = state.handle(key, pageSize: layout.tableRows) }
    }
    // The selection in the middle of the table, as a person scrolling would have it.
    state.refreshSelection(pageSize: layout.tableRows)
    press(&state, Array(repeating: .pageDown, count: workers / layout.tableRows / 2))

    // Frame builds: the three views.
    let byKey = state
    var byUptime = state
    press(&byUptime, [.character("o")])
    var filtered = state
    press(&filtered, [.character("/"), .character("1"), .character("2"), .character("3"), .enter])
    let filteredIDs = filtered.tableIDs()
    reporter.check(byUptime.sort == .uptime, "o sorts by uptime")
    reporter.check(!filteredIDs.isEmpty && filteredIDs.allSatisfy { $0.contains("123") },
                   "the filtered view holds only matching ids (\(filteredIDs.count) of \(workers))")
    let views: [(name: String, state: DashboardState)] = [("sorted_key", byKey), ("sorted_uptime", byUptime), ("filtered", filtered)]
    let framesPerRep = 200
    var worst: [[Double]] = Array(repeating: [], count: reporter.repetitions + 1)
    for (name, view) in views {
        let check = frame(view)
        reporter.check(check.lines.count == layout.rows && !check.text.contains("too small"),
                       "a \(name) frame fills the \(layout.columns)x\(layout.rows) screen")
        await reporter.run("dashboard_frame_build_1m_\(name)", "ms") { rep in
            let start = now()
            for _ in 0..<framesPerRep { _ = frame(view) }
            let milliseconds = Double(now() - start) / 1e6 / Double(framesPerRep)
            worst[rep].append(milliseconds)
            return milliseconds
        }
    }
    reporter.report("dashboard_frame_build_1m", "ms", worst.dropFirst().map { $0.max() ?? .nan })

    // Key to frame: a script a person might type, each key timed to its frame.
    let script: [(String, Key)] = [
        ("j", .character("j")), ("k", .character("k")), ("PgDn", .pageDown), ("PgUp", .pageUp),
        ("End", .end), ("Home", .home), ("o", .character("o")), ("o", .character("o")),
        ("o", .character("o")), ("o", .character("o")), ("/", .character("/")), ("4", .character("4")),
        ("2", .character("2")), ("Enter", .enter), ("j", .character("j")), ("o", .character("o")),
        ("/", .character("/")), ("Esc", .escape), ("Esc", .escape), ("Enter", .enter), ("Esc", .escape),
        ("t", .character("t")), ("Esc", .escape), ("?", .character("?")), ("Esc", .escape),
    ]
    var slowest: [String: Double] = [:]
    await reporter.run("dashboard_key_to_frame_1m", "ms") { _ in
        var session = byKey
        var worstKey = 0.0
        for (name, key) in script {
            let start = now()
            _ = session.handle(key, pageSize: layout.tableRows)
            _ = frame(session)
            let milliseconds = Double(now() - start) / 1e6
            worstKey = max(worstKey, milliseconds)
            slowest[name] = max(slowest[name] ?? 0, milliseconds)
        }
        return worstKey
    }
    reporter.info("dashboard_key_to_frame_1m slowest per key (ms): " + slowest.sorted { $0.value > $1.value }
        .map { "\($0.key)=\(String(format3: $0.value))" }.joined(separator: " "))

    // Idle CPU at a 1 s refresh.
    let idleSeconds = sizes.dashboardWorkers >= 1_000_000 ? 10 : 2
    try await reporter.run("dashboard_idle_cpu_1m", "%") { _ in
        var session = byKey
        let cpuStart = cpuNanoseconds()
        let wallStart = now()
        var nextRefresh = data.now()
        while now() - wallStart < UInt64(idleSeconds) * 1_000_000_000 {
            let current = data.now()
            if current >= nextRefresh {
                engine.update(&session, now: current)
                session.refreshSelection(pageSize: layout.tableRows)
                _ = frame(session)
                nextRefresh = current + session.refreshInterval
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return Double(cpuNanoseconds() - cpuStart) / Double(now() - wallStart) * 100
    }
    reporter.info("dashboard frames consumed: \(consumed) lines")

    await engine.stop()
    reporter.check(runtime.liveProcessCount == liveBefore,
                   "the demo tree stopped: live processes back to \(liveBefore) (now \(runtime.liveProcessCount))")
}

/// CPU time (user + system) of the whole process, in nanoseconds.
func cpuNanoseconds() -> UInt64 {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func nanoseconds(_ time: timeval) -> UInt64 { UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_usec) * 1_000 }
    return nanoseconds(usage.ru_utime) + nanoseconds(usage.ru_stime)
}
