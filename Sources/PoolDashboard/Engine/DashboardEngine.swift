import Logging
import Supervision
import Synchronization
import WorkerRegistry

/// Runs the demo supervision tree and connects it to a dashboard: it queues what the
/// runtime reports (``drain()``), carries out commands without blocking the caller
/// (``execute(_:)``), and answers the frame builder's questions (``data``).
///
/// The tree is OTP-shaped:
///
/// ```
/// root (Supervisor, one_for_one)
/// ├─ registry "phones"      (Registry host)
/// ├─ pool "phones"          (DynamicSupervisor of PhoneLine workers, via WorkerPool)
/// └─ loadgen                (LoadGenerator: lookupOrStart traffic and crashes)
/// ```
public final class DashboardEngine: Sendable {
    public let runtime: Runtime
    public let pool: WorkerPool<PhoneLine, String, String>
    public let options: DemoOptions
    public let root: Supervisor
    let lookups: LookupCounter
    private let inbox: Inbox
    private let treeCache = Mutex<[TreeLine]>([])
    private let eventsTask: Mutex<Task<Void, Never>?> = Mutex(nil)

    private init(runtime: Runtime, pool: WorkerPool<PhoneLine, String, String>, options: DemoOptions,
                 root: Supervisor, lookups: LookupCounter, inbox: Inbox) {
        self.runtime = runtime
        self.pool = pool
        self.options = options
        self.root = root
        self.lookups = lookups
        self.inbox = inbox
    }

    /// The pool's name.
    public static let poolName = "phones"

    /// Starts the demo tree.
    nonisolated(nonsending)
    public static func startDemo(options: DemoOptions, runtime: Runtime) async throws -> DashboardEngine {
        let inbox = Inbox()
        let box = inbox
        let clock = runtime.clock
        let listener = RegistryListener<String, String>.handler { event in
            let now = clock.now()
            switch event {
            case let .registered(key, pid, value): box.post(.registered(id: key, pid: pid, value: value, at: now))
            case let .unregistered(key, pid, cause): box.post(.unregistered(id: key, pid: pid, cause: cause, at: now))
            }
        }
        let pool = WorkerPool(
            PhoneLine.self, id: String.self, name: poolName,
            options: .init(restart: options.restart, shutdown: .timeout(.seconds(2)),
                           maxRestarts: options.maxRestarts, period: options.period),
            listeners: [listener]
        ) { _, arguments in arguments.plan }
        pool.registry.putMeta("owner", "ops")
        pool.registry.putMeta("region", "eu-west")
        let lookups = LookupCounter(start: clock.now())
        let events = runtime.events.subscribe(capacity: 1 << 16)
        let root = try await Supervisor.start(children: [
            pool.registry.childSpec(id: "registry \(poolName)"),
            pool.childSpec(id: "pool \(poolName)"),
            .worker(LoadGenerator.self, arguments: .init(pool: pool, options: options, lookups: lookups), id: "loadgen"),
        ], options: .init(strategy: .oneForOne, maxRestarts: 10, period: .seconds(30)), runtime: runtime)
        let engine = DashboardEngine(runtime: runtime, pool: pool, options: options, root: root, lookups: lookups, inbox: inbox)
        let task = Task.detached {
            for await event in events { box.post(.supervision(event)) }
        }
        engine.eventsTask.withLock { $0 = task }
        if let supervisor = pool.supervisor { engine.post(.note("pool supervisor \(supervisor.pid) started", kind: .info, at: clock.now())) }
        return engine
    }

    /// Takes everything queued since the last call, in order.
    public func drain() -> [DashboardInput] {
        inbox.drain()
    }

    func post(_ input: DashboardInput) {
        inbox.post(input)
    }

    /// The pid of the pool's supervisor now (it changes when the root restarts it).
    public var poolSupervisor: PID? { pool.supervisor?.pid }

    /// One refresh of a dashboard: applies everything queued since the last one to
    /// `state`, expires tombstones older than its tombstone time at `now`, and follows
    /// the pool's current supervisor.
    ///
    /// - Complexity: O(inputs queued × log n) for n workers shown.
    public func update(_ state: inout DashboardState, now: Timestamp) {
        for input in drain() { state.apply(input) }
        state.expireTombstones(now: now)
        if let supervisor = poolSupervisor { state.watchSupervisor(supervisor) }
    }

    /// Carries out a command in the background; its outcome arrives as a log note.
    public func execute(_ command: Command) {
        let pool = self.pool
        let clock = runtime.clock
        let box = inbox
        func note(_ text: String, _ kind: DashboardState.LogEntry.Kind) {
            box.post(.note(text, kind: kind, at: clock.now()))
        }
        switch command {
        case .quit:
            return
        case .kill(let id):
            guard let pid = pool.lookup(id) else { return note("KILL \(TerminalText.escaped(id)): not running", .error) }
            note("KILL \(TerminalText.escaped(id)) \(pid) (brutal)", .kill)
            Process.exit(pid, .kill)
            // The id may already be back, under the pid of its restart.
            let holder = pool.lookup(id)
            let registry = holder == pid ? "still registered?!" : holder.map { "gone from the registry (id now held by \($0))" } ?? "gone from the registry"
            note("kill returned: \(pid) dead, \(TerminalText.escaped(id)) \(registry)", .kill)
        case .crash(let id):
            guard let pid = pool.lookup(id) else { return note("CRASH \(TerminalText.escaped(id)): not running", .error) }
            note("CRASH \(TerminalText.escaped(id)) \(pid) (told to fail)", .crash)
            ServerRef<PhoneLine>(pid: pid).cast(.crash)
        case .stop(let id):
            note("STOP \(TerminalText.escaped(id)) (graceful)", .stop)
            Task.detached {
                switch await pool.stop(id) {
                case .stopped: note("stop \(TerminalText.escaped(id)) returned: dead and unregistered", .stop)
                case .notFound: note("stop \(TerminalText.escaped(id)): not running", .error)
                }
            }
        case .lookupOrStart(let id):
            Task.detached {
                do {
                    let pid = try await pool.lookupOrStart(id, arguments: .init(number: id, plan: "manual"))
                    note("lookupOrStart \(TerminalText.escaped(id)) → \(pid)", .info)
                } catch {
                    note("lookupOrStart \(TerminalText.escaped(id)) failed: \(error)", .error)
                }
            }
        case .putMeta(let key, let value):
            pool.registry.putMeta(key, value)
            note("META \(TerminalText.escaped(key))=\(TerminalText.escaped(value))", .info)
        }
    }

    /// Samples the supervision tree for the tree view (asks supervisors: call it off the
    /// terminal thread).
    nonisolated(nonsending)
    public func sampleTree() async {
        var lines: [TreeLine] = [TreeLine(depth: 0, text: "root \(root.pid) Supervisor one_for_one")]
        if let snapshot = try? await root.snapshot() {
            lines[0].text += " · intensity \(DashboardState.intensity(snapshot.intensity))"
            for child in snapshot.children {
                let pid = child.pid.map(String.init(describing:)) ?? child.state.rawValue
                var text = "\(child.id) \(pid) \(child.type.rawValue) \(child.restart.rawValue) restarts=\(child.restarts)"
                if let pid = child.pid, let supervisor = DynamicSupervisor(pid: pid) {
                    text += " · DynamicSupervisor intensity \(DashboardState.intensity(supervisor.intensity()))"
                    lines.append(TreeLine(depth: 1, text: text))
                    let counts = supervisor.countChildren()
                    lines.append(TreeLine(depth: 2, text: "\(counts.active) PhoneLine workers (\(options.restart.rawValue)), \(counts.specs - counts.active) restarting"))
                } else {
                    lines.append(TreeLine(depth: 1, text: text))
                }
            }
        }
        treeCache.withLock { $0 = lines }
    }

    /// What frames read.
    public var data: some DashboardData { LiveData(engine: self) }

    /// Stops the tree and waits for it.
    nonisolated(nonsending)
    public func stop() async {
        eventsTask.withLock { $0?.cancel() }
        try? await root.stop(.shutdown)
    }

    fileprivate struct LiveData: DashboardData {
        let engine: DashboardEngine

        func now() -> Timestamp { engine.runtime.clock.now() }

        func process(_ pid: PID) -> ProcessSnapshot? { Process.info(pid) }

        func registry() -> RegistrySummary {
            let registry = engine.pool.registry
            let meta = registry.allMeta().map { (key: $0.key, value: String(describing: $0.value)) }.sorted { $0.key < $1.key }
            return RegistrySummary(name: registry.name, mode: registry.keys.rawValue, entries: registry.count(), meta: meta)
        }

        func pool() -> PoolSummary {
            let supervisor = engine.pool.supervisor
            return PoolSummary(active: supervisor?.countChildren().active ?? 0,
                               intensity: supervisor.map { $0.intensity() },
                               lookupsPerSecond: engine.lookups.rate(now: now()))
        }

        func tree() -> [TreeLine] { engine.treeCache.withLock { $0 } }
    }

    /// What the runtime's callbacks post, from any thread, until the dashboard drains it.
    final class Inbox: Sendable {
        private let queue = Mutex<[DashboardInput]>([])

        func post(_ input: DashboardInput) { queue.withLock { $0.append(input) } }

        func drain() -> [DashboardInput] {
            queue.withLock { queue in
                defer { queue = [] }
                return queue
            }
        }
    }
}
