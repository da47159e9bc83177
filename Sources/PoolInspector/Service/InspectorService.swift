import Foundation
import InspectorProtocol
import Logging
import Supervision
import Synchronization
import ScalableLocks

/// The inspector without its transport: the watched pools, the event log, the sessions
/// of attached clients, and the answers to their requests. A transport (the Unix socket
/// server, or memory) feeds each client's bytes to its ``InspectorSession``.
///
/// Everything it keeps is updated in the background: registry listeners and runtime
/// events only queue; a drain — soon after the first queued item, and before any read —
/// applies the queue. With nothing happening, nothing runs.
final class InspectorService: Sendable {
    let app: String
    let runtime: Runtime
    let options: Inspector.Options
    let logger: Logger
    let log: EventLog
    let startedAt: Timestamp
    let startedAtUnixMilliseconds: Int64

    private let watches = Lock<[any Watch]>([])
    private let sessions = Lock<[UInt64: InspectorSession]>([:])
    private let nextSession = Atomic<UInt64>(1)
    private let stopping = Atomic<Bool>(false)
    private let drainLock = Lock(())
    private let treeCache = Lock<TreeReply?>(nil)
    /// Runtime events about supervisors no pool claims (the root's escalations …).
    private let runtimeEvents: Inbox<SupervisionEvent>
    private let drainSignal: AsyncStream<Void>.Continuation
    private let tasks = Lock<[Task<Void, Never>]>([])

    /// The OS thread this inspector does its work on: each session's requests (scans of a
    /// million-row index, a worker's state), its replies, the event listener and the
    /// background drain of registry changes. Stopped with the inspector (``shutdown()``);
    /// work that outlives it (a session still closing) finishes on the global executor.
    ///
    /// Without it that work ran on Swift's cooperative pool, beside the app's own tasks: 16
    /// clients asking for rows under filters nobody used before kept every cooperative
    /// thread scanning, and a request of the app waited behind them (`pool-bench inspector`
    /// at a million workers: `inspector_hostile_los_hit_p99` 122 ms, 8,274 times its idle
    /// figure). On its own thread the inspector takes at most that one thread from the app,
    /// whatever its clients do; they wait for one another instead. One thread per inspector,
    /// not one per process: two inspectors (or two tests) never queue behind each other's
    /// clients. (It keeps the default priority: at nice 10 it starved behind a busy
    /// process, and a dashboard's hello timed out.)
    let executor: SingleThreadExecutor

    /// How long after the first queued input a background drain runs: inputs arriving
    /// meanwhile are applied in the same drain.
    static let drainDelay = Duration.milliseconds(20)
    /// How long a sampled tree is reused for other clients.
    static let treeReuse = Duration.milliseconds(250)

    init(app: String, runtime: Runtime, options: Inspector.Options) {
        self.app = app
        self.runtime = runtime
        self.options = options
        self.logger = options.logger ?? runtime.logger
        self.log = EventLog(capacity: options.eventLogCapacity)
        self.startedAt = runtime.clock.now()
        self.startedAtUnixMilliseconds = Int64(Date().timeIntervalSince1970 * 1000)
        let executor = SingleThreadExecutor("the inspector thread of \(app)")
        self.executor = executor
        let (signals, signal) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        drainSignal = signal
        runtimeEvents = Inbox(wake: { signal.yield() })
        let events = runtime.events.subscribe(capacity: 1 << 16)
        let drainer = Task.detached(executorPreference: executor) { [weak self] in
            for await _ in signals {
                try? await Task.sleep(for: Self.drainDelay)
                guard let self else { return }
                self.drainAll()
            }
        }
        let listener = Task.detached(executorPreference: executor) { [weak self] in
            for await event in events {
                guard let self else { return }
                self.dispatch(event)
            }
        }
        tasks.withLock { $0 = [drainer, listener] }
    }

    deinit {
        // An inspector dropped without `stop()`: its background work and its listeners go
        // with it.
        drainSignal.finish()
        for task in tasks.withLock({ $0 }) { task.cancel() }
        for watch in watches.withLock({ $0 }) { watch.close() }
        executor.shutdown()
    }

    /// Wakes the background drain.
    var wake: @Sendable () -> Void {
        let signal = drainSignal
        return { signal.yield() }
    }

    /// Stops the background work, closes every session, stops listening to the
    /// registries and lets the inspector's thread end.
    func shutdown() {
        drainSignal.finish()
        for task in tasks.withLock({ $0 }) { task.cancel() }
        closeSessions()
        for watch in watches.withLock({ $0 }) { watch.close() }
        executor.shutdown()
    }

    /// Tells every session to end — what is queued for it still goes out — and opens
    /// no new one.
    func closeSessions() {
        let all = sessions.withLock { sessions -> [InspectorSession] in
            stopping.store(true, ordering: .relaxed)
            return Array(sessions.values)
        }
        for session in all { session.close() }
    }

    // MARK: - Pools

    /// Adds a watch. Names are unique: a second watch of one name replaces nothing and
    /// is refused.
    func add(_ watch: any Watch) throws(InspectorError) {
        try watches.withLock { watches throws(InspectorError) in
            guard !watches.contains(where: { $0.name == watch.name }) else {
                throw InspectorError(.duplicateName, "the inspector already watches a pool or registry named \"\(watch.name)\"")
            }
            watches.append(watch)
        }
    }

    var watched: [any Watch] { watches.withLock { $0 } }

    private func watch(_ name: String) throws(ProtocolError) -> any Watch {
        let all = watched
        guard let found = all.first(where: { $0.name == name }) else {
            throw ProtocolError(.unknownPool, "no pool or registry named \"\(name)\"; this app watches: \(all.map(\.name).joined(separator: ", "))")
        }
        return found
    }

    private func dispatch(_ event: SupervisionEvent) {
        switch event.kind {
        case .started:
            return  // no watch needs starts; skipping them halves the queue under churn
        case .intensityExceeded, .supervisorShutdown, .restartFailed:
            runtimeEvents.post(event)
        default:
            break
        }
        for watch in watched { watch.post(event) }
    }

    /// Applies everything queued in every watch, logs it, and pushes the new entries to
    /// subscribed clients. Serialised, so pushes go out in log order.
    func drainAll() {
        drainLock.withLock { _ in
            let now = runtime.clock.now()
            let all = watched
            var entries: [EventLog.Entry] = []
            for watch in all { entries += watch.drain(now: now) }
            for event in runtimeEvents.drain().inputs {
                if let entry = Self.runtimeEntry(event, claimed: all) { entries.append(entry) }
            }
            let added = log.append(entries)
            guard !added.isEmpty else { return }
            let line = WireCodec.line(ServerMessage.push(.events(EventsReply(entries: added, last: added.last!.seq, missed: 0))))
            for session in sessions.withLock({ Array($0.values) }) where session.isSubscribed {
                session.outbox.push(line)
            }
        }
    }

    private static func runtimeEntry(_ event: SupervisionEvent, claimed watches: [any Watch]) -> EventLog.Entry? {
        func unclaimed(_ pid: PID) -> Bool { !watches.contains { $0.claims(supervisor: pid) } }
        switch event.kind {
        case let .intensityExceeded(supervisor, restarts, maxRestarts, period) where unclaimed(supervisor):
            return EventLog.Entry(time: event.time, pool: nil, kind: .escalation,
                text: "ESCALATE \(supervisor) gave up: \(restarts) restarts > \(maxRestarts) in \(RegistryWatch<String, Void>.seconds(period)) — stops its children, exits shutdown")
        case let .supervisorShutdown(pid, reason) where unclaimed(pid):
            return EventLog.Entry(time: event.time, pool: nil, kind: .escalation, text: "SHUTDOWN supervisor \(pid) (\(reason))")
        case let .restartFailed(supervisor, childID, reason) where unclaimed(supervisor):
            return EventLog.Entry(time: event.time, pool: nil, kind: .error,
                text: "RESTART FAILED \(childID ?? "child") under \(supervisor): \(reason)")
        default:
            return nil
        }
    }

    // MARK: - Sessions

    /// What ``openSession(peer:)`` did.
    enum Opening {
        case opened(InspectorSession)
        /// ``Inspector/Options/maxClients`` are attached.
        case full
        /// The inspector is stopping.
        case stopping
    }

    /// A session for a new client.
    func openSession(peer: String) -> Opening {
        let session = InspectorSession(id: nextSession.add(1, ordering: .relaxed).oldValue, peer: peer, service: self,
                                       replyLimit: options.clientReplyBytes, pushLimit: options.clientPushBytes)
        return sessions.withLock { sessions -> Opening in
            guard !stopping.load(ordering: .relaxed) else { return .stopping }
            guard sessions.count < options.maxClients else { return .full }
            sessions[session.id] = session
            return .opened(session)
        }
    }

    /// Forgets a session whose client has gone.
    func closeSession(_ session: InspectorSession) {
        session.ended()
        let (removed, waiters) = sessions.withLock { sessions -> (Bool, [CheckedContinuation<Void, Never>]) in
            let removed = sessions.removeValue(forKey: session.id) != nil
            let ready = countWaiters.withLock { waiters -> [CheckedContinuation<Void, Never>] in
                let (now, later) = (waiters.filter { $0.atMost >= sessions.count }, waiters.filter { $0.atMost < sessions.count })
                waiters = later
                return now.map(\.continuation)
            }
            return (removed, ready)
        }
        for waiter in waiters { waiter.resume() }
        if removed, let client = session.client { logger.info("inspector: \(client) detached") }
    }

    private let countWaiters = Lock<[(atMost: Int, continuation: CheckedContinuation<Void, Never>)]>([])

    /// Returns once at most `count` clients are attached (for tests and orderly shutdowns).
    func waitForClients(atMost count: Int) async {
        await withCheckedContinuation { continuation in
            let now = sessions.withLock { sessions -> Bool in
                if sessions.count <= count { return true }
                countWaiters.withLock { $0.append((count, continuation)) }
                return false
            }
            if now { continuation.resume() }
        }
    }

    var clientCount: Int { sessions.withLock { $0.count } }

    /// The sessions now (tests look at their queues).
    var sessionsForTesting: [InspectorSession] { sessions.withLock { Array($0.values) } }

    func hello() -> ServerHello {
        ServerHello(app: app, pid: ProcessInfo.processInfo.processIdentifier, startedAtUnixMilliseconds: startedAtUnixMilliseconds,
                    now: Int64(clamping: runtime.clock.now().nanoseconds), startedAt: Int64(clamping: startedAt.nanoseconds),
                    server: "PoolInspector (protocol \(InspectorWire.protocolVersion))", readOnly: options.commands.isEmpty,
                    pools: watched.map(\.poolDescription))
    }

    // MARK: - Requests

    /// The answer to one request (other than hello and subscribe, which the session
    /// answers itself).
    func respond(_ envelope: RequestEnvelope, session: InspectorSession) async -> ServerMessage {
        do throws(ProtocolError) {
            return .reply(id: envelope.id, try await reply(to: envelope.request, session: session))
        } catch {
            return .failure(id: envelope.id, error)
        }
    }

    private func reply(to request: Request, session: InspectorSession) async throws(ProtocolError) -> Reply {
        switch request {
        case .hello, .subscribe:
            preconditionFailure("the session answers \(request.op) itself")
        case .summary:
            for watch in watched { await watch.ready() }
            drainAll()
            let now = runtime.clock.now()
            return .summary(SummaryReply(now: Int64(clamping: now.nanoseconds), pools: watched.map { $0.summary(now: now) },
                                         clients: clientCount, droppedEvents: runtime.events.droppedCount))
        case .rows(let query):
            guard query.before >= 0, query.after >= 0, query.focus.position >= 0 else {
                throw ProtocolError(.invalid, "before, after and focus.position must not be negative")
            }
            let watch = try watch(query.pool)
            await watch.ready()
            drainAll()
            return .rows(watch.rows(query, now: runtime.clock.now()))
        case .worker(let query):
            let watch = try watch(query.pool)
            await watch.ready()
            drainAll()
            return .worker(try watch.worker(ref: query.ref, now: runtime.clock.now()))
        case .describeState(let query):
            let watch = try watch(query.pool)
            await watch.ready()
            return .state(try await watch.describeState(query))
        case .tree:
            return .tree(await tree())
        case .events(let query):
            drainAll()
            return .events(log.read(since: query.since, limit: min(max(query.limit, 0), 5_000)))
        case .command(let command):
            let watch = try watch(command.pool)
            await watch.ready()
            let client = session.client ?? session.peer
            logger.notice("inspector: \(command.action.kind.rawValue) on \(command.pool) by \(client)")
            defer { wake() }
            return .command(try await watch.command(command.action, by: client))
        }
    }

    private func tree() async -> TreeReply {
        let now = runtime.clock.now()
        if let cached = treeCache.withLock({ $0 }), now - Timestamp(nanoseconds: UInt64(cached.sampledAt)) < Self.treeReuse {
            return cached
        }
        var pools: [PID: (name: String, worker: String?)] = [:]
        for watch in watched {
            if let supervisor = watch.supervisorPID { pools[supervisor] = (watch.name, watch.poolDescription.worker) }
        }
        let nodes = await TreeSampler(runtime: runtime, pools: pools).sample()
        let reply = TreeReply(nodes: nodes, sampledAt: Int64(clamping: runtime.clock.now().nanoseconds))
        treeCache.withLock { $0 = reply }
        return reply
    }
}
