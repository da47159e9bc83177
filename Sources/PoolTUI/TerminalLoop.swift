import PoolDashboard
import Supervision
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Set by SIGTERM and SIGHUP; the terminal loop checks it on every turn and quits,
/// restoring the terminal.
let terminationRequested = Atomic<Bool>(false)

/// The dashboard's terminal thread: reads keys, applies them to the model, drains what
/// the runtime reported, and draws. It never blocks a Swift concurrency thread: it runs
/// on a thread of its own, and the async caller waits for it on a continuation.
enum TerminalLoop {
    enum Outcome: Sendable {
        case quit
        case failure(String)
    }

    /// Runs the dashboard until the user quits (or a termination signal arrives).
    static func run(engine: DashboardEngine, refresh: Duration) async -> Outcome {
        await withCheckedContinuation { (continuation: CheckedContinuation<Outcome, Never>) in
            let thread = TerminalThread {
                continuation.resume(returning: loop(engine: engine, refresh: refresh))
            }
            thread.start()
        }
    }

    private static func loop(engine: DashboardEngine, refresh: Duration) -> Outcome {
        installSignalHandlers()
        let terminal: Terminal
        do {
            terminal = try Terminal()
        } catch {
            return .failure("cannot start the terminal (is TERM right?)")
        }
        defer { terminal.restore() }

        let data = engine.data
        let builder = FrameBuilder()
        var state = DashboardState(poolName: DashboardEngine.poolName, refreshInterval: refresh,
                                   startedAt: data.now())
        var layout = Layout(columns: terminal.size.columns, rows: terminal.size.rows)
        var nextRefresh = data.now()
        var lastTreeSample = Timestamp.zero
        var shownTree: [TreeLine] = []

        while !terminationRequested.load(ordering: .relaxed) {
            var dirty = false
            if let key = terminal.readKey() {
                if case .resize(let columns, let rows) = key { layout = Layout(columns: columns, rows: rows) }
                for command in state.handle(key, pageSize: layout.tableRows) {
                    if command == .quit { return .quit }
                    engine.execute(command)
                }
                dirty = true
            }
            let now = data.now()
            if now >= nextRefresh {
                if !state.paused { engine.update(&state, now: now) }
                state.refreshSelection(pageSize: layout.tableRows)
                nextRefresh = now + state.refreshInterval
                dirty = true
            }
            // The tree view asks supervisors (async): sample in the background, at most
            // once per refresh, and redraw when a sample has changed it.
            if state.mode == .tree {
                if now - lastTreeSample >= state.refreshInterval {
                    lastTreeSample = now
                    Task.detached { await engine.sampleTree() }
                }
                let tree = data.tree()
                if tree != shownTree {
                    shownTree = tree
                    dirty = true
                }
            }
            if dirty { terminal.draw(builder.build(state, data: data, layout: layout)) }
        }
        return .quit
    }

    private static func installSignalHandlers() {
        for signal in [SIGTERM, SIGHUP] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { _ in
                terminationRequested.store(true, ordering: .relaxed)
            }
            sigemptyset(&action.sa_mask)
            sigaction(signal, &action, nil)
        }
    }
}

/// A plain OS thread for the terminal.
private final class TerminalThread: @unchecked Sendable {
    private let body: () -> Void

    init(_ body: @escaping () -> Void) {
        self.body = body
    }

    func start() {
        let context = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        pthread_create(&thread, nil, { context in
            let thread = Unmanaged<TerminalThread>.fromOpaque(context!).takeRetainedValue()
            thread.body()
            return nil
        }, context)
        pthread_detach(thread)
    }
}
