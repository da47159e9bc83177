import DequeModule
import Foundation
import InspectorProtocol
import Supervision
import WorkerRegistry
import ScalableLocks

/// Watches one registry — a `WorkerPool`'s, or a plain `Registry` the app names — for
/// the inspector: keeps its rows indexed, counts what happens to them, writes the event
/// log, answers windows of rows, and carries out the commands the app allows.
///
/// The registry's listener only queues (``Inbox``); drains apply the queue under this
/// watch's lock, off the app's hot paths. A row is keyed by the registry key (a
/// duplicate registry: by key and pid); its ref, which clients use, survives restarts.
final class RegistryWatch<Key: Hashable & Sendable, Value: Sendable>: Watch {
    struct Identity: Hashable, Sendable {
        var key: Key
        /// The entry's process in a duplicate registry; `nil` in a unique one.
        var pid: PID?
    }

    enum Input: Sendable {
        case registered(Key, PID, Value, Timestamp)
        case unregistered(Key, PID, UnregisterCause, Timestamp)
        case supervision(SupervisionEvent)
        /// A command's own line for the log, queued so it keeps its place among the
        /// events the command caused.
        case note(WireEvent.Kind, String, Timestamp)
    }

    /// What a pool adds to its registry.
    struct PoolHooks: Sendable {
        /// The pool's supervisor now.
        var supervisor: @Sendable () -> DynamicSupervisor?
        /// `lookupOrStart` from an id typed as text, if the app said how: where the worker
        /// lives, and its pid when that is here.
        var start: (@Sendable (String) async throws(ProtocolError) -> (placement: String, pid: PID?))?
        /// The worker type.
        var worker: String
    }

    private struct State {
        var index = WorkerIndex()
        /// The ref of each identity's row, and each row's identity by slot.
        var refs: [Identity: UInt64] = [:]
        var identities: [Identity?] = []
        /// Whether the first look at the registry is done (inputs wait in the inbox).
        var loaded = false
        var counters = WireCounters()
        var tombstones = Deque<(ref: UInt64, pid: PID, since: Timestamp)>()
        /// Dead workers by pid, and when their entry went, until their `DOWN` is logged.
        var departed: [PID: (text: String, at: Timestamp)] = [:]
        /// The pool supervisors seen (the current one and the ones it replaced).
        var supervisors: Set<PID> = []
        var starts = RateMeter()
        var exits = RateMeter()

        func row(of identity: Identity) -> IndexedRow? {
            refs[identity].flatMap { index.row($0) }
        }

        func identity(of ref: UInt64) -> Identity? {
            guard index.row(ref) != nil else { return nil }
            let slot = WorkerIndex.slot(of: ref)
            return slot < identities.count ? identities[slot] : nil
        }

        mutating func insert(_ identity: Identity, _ make: (UInt64) -> IndexedRow) {
            let ref = index.insert(make)
            refs[identity] = ref
            let slot = WorkerIndex.slot(of: ref)
            if slot >= identities.count { identities.append(contentsOf: repeatElement(nil, count: slot - identities.count + 1)) }
            identities[slot] = identity
        }

        mutating func remove(_ ref: UInt64) {
            guard let identity = identity(of: ref) else { return }
            index.remove(ref)
            identities[WorkerIndex.slot(of: ref)] = nil
            if refs[identity] == ref { refs[identity] = nil }
        }
    }

    let name: String
    let registry: Registry<Key, Value>
    let pool: PoolHooks?
    let poolDescription: PoolDescription
    let clock: any SupervisionClock
    private let tombstoneTime: Duration
    private let log: EventLog
    private let inbox: Inbox<Input>
    private let listener: RegistryListenerID
    private let state: Lock<State>
    /// Fired when the first look at the registry is done.
    private let indexed = Readiness()

    /// Starts watching: listens to the registry first, then indexes what it holds, so
    /// that no registration is missed.
    init(name: String, registry: Registry<Key, Value>, pool: PoolHooks?, allowed: Set<CommandKind>,
         readOnlyReason: String?, clock: any SupervisionClock, tombstoneTime: Duration, log: EventLog,
         wake: @escaping @Sendable () -> Void) {
        self.name = name
        self.registry = registry
        self.pool = pool
        self.clock = clock
        self.tombstoneTime = tombstoneTime
        self.log = log
        var offered: Set<CommandKind> = [.kill, .crash, .putMeta]
        if pool != nil { offered.insert(.stop) }
        if pool?.start != nil { offered.insert(.lookupOrStart) }
        let commands = CommandKind.allCases.filter { allowed.contains($0) && offered.contains($0) }
        let missing = CommandKind.allCases.filter { !commands.contains($0) }
        poolDescription = PoolDescription(
            name: name, kind: pool == nil ? .registry : .pool, keys: registry.keys.rawValue, worker: pool?.worker,
            commands: commands, readOnlyReason: missing.isEmpty ? nil : Self.reason(missing, allowed: allowed, offered: offered, readOnlyReason))
        let inbox = Inbox<Input>(wake: wake)
        self.inbox = inbox
        listener = registry.addListener(.handler { event in
            switch event {
            case let .registered(key, pid, value): inbox.post(.registered(key, pid, value, clock.now()))
            case let .unregistered(key, pid, cause): inbox.post(.unregistered(key, pid, cause, clock.now()))
            }
        })
        var state = State()
        if let supervisor = pool?.supervisor() { state.supervisors.insert(supervisor.pid) }
        self.state = Lock(state)
        // The first look at a registry of a million entries takes seconds: never on the
        // caller's thread, nor on one of Swift concurrency's few.
        Thread.detachNewThread { [self] in
            let loaded = Self.read(registry, at: clock.now())
            self.state.withLock { state in
                Self.load(loaded, into: &state)
                state.loaded = true
            }
            indexed.fire()
            wake()
        }
    }

    /// Returns once the first look at the registry is done.
    func ready() async {
        await indexed.wait()
    }

    private static func reason(_ missing: [CommandKind], allowed: Set<CommandKind>, offered: Set<CommandKind>,
                               _ given: String?) -> String {
        if let given { return given }
        if allowed.isEmpty { return "the app serves this inspector read-only (it allows no commands)" }
        let refused = missing.filter { !allowed.contains($0) }.map(\.rawValue)
        let unsupported = missing.filter { allowed.contains($0) && !offered.contains($0) }.map(\.rawValue)
        var parts: [String] = []
        if !refused.isEmpty { parts.append("the app does not allow \(refused.joined(separator: ", "))") }
        if unsupported.contains(CommandKind.lookupOrStart.rawValue) {
            parts.append("lookupOrStart needs the arguments of a new worker, which the app did not give")
        }
        if unsupported.contains(CommandKind.stop.rawValue) { parts.append("stop needs a pool's supervisor") }
        return parts.joined(separator: "; ")
    }

    var supervisorPID: PID? { pool?.supervisor()?.pid }

    func claims(supervisor: PID) -> Bool {
        supervisor == supervisorPID || state.withLock { $0.supervisors.contains(supervisor) }
    }

    func post(_ event: SupervisionEvent) {
        inbox.post(.supervision(event))
    }

    /// Queues a line for the log, in order with the events around it.
    func note(_ kind: WireEvent.Kind, _ text: String) {
        inbox.post(.note(kind, text, clock.now()))
    }

    func close() {
        registry.removeListener(listener)
    }

    // MARK: - Descriptions

    static func text(of key: Key) -> String {
        if let text = key as? String { return text }
        return String(describing: key)
    }

    static func text(ofValue value: Value) -> String {
        if Value.self == Void.self { return "" }
        if let text = value as? String { return text }
        return String(describing: value)
    }

    private func identity(_ key: Key, _ pid: PID) -> Identity {
        Identity(key: key, pid: registry.keys == .unique ? nil : pid)
    }

    /// A row of the registry as read, before it has a ref.
    private struct Read {
        var identity: Identity
        var text: String
        var pid: PID
        var value: String
        var startedAt: Timestamp
    }

    /// Every entry the registry holds now, described.
    private static func read(_ registry: Registry<Key, Value>, at now: Timestamp) -> [Read] {
        let unique = registry.keys == .unique
        let entries = registry.select { key, pid, value in (key, pid, value) }
        var rows: [Read] = []
        rows.reserveCapacity(entries.count)
        // A duplicate registry may hold several entries of one key and process: one row.
        var seen = Set<Identity>()
        for (key, pid, value) in entries {
            let identity = Identity(key: key, pid: unique ? nil : pid)
            if !unique, !seen.insert(identity).inserted { continue }
            rows.append(Read(identity: identity, text: text(of: key), pid: pid, value: text(ofValue: value),
                             startedAt: Process.startTime(of: pid) ?? now))
        }
        return rows
    }

    /// Makes `rows` the whole index.
    private static func load(_ rows: [Read], into state: inout State) {
        let refs = state.index.load(count: rows.count) { index, ref in
            let read = rows[index]
            return IndexedRow(ref: ref, text: read.text, pid: read.pid, value: read.value, startedAt: read.startedAt)
        }
        state.refs = Dictionary(minimumCapacity: rows.count)
        state.identities = []
        state.identities.reserveCapacity(rows.count)
        for (read, ref) in zip(rows, refs) {
            state.refs[read.identity] = ref
            state.identities.append(read.identity)
        }
    }

    /// The identity of the row a live process holds, from the registry (a restarted
    /// worker's new pid, say).
    private func identity(ofLive pid: PID) -> Identity? {
        guard let key = registry.keys(for: pid).first else { return nil }
        return identity(key, pid)
    }

    // MARK: - Drain

    func drain(now: Timestamp) -> [EventLog.Entry] {
        // Until the first look is done, inputs wait in the inbox.
        guard indexed.isReady else { return [] }
        let (inputs, dropped) = inbox.drain()
        let supervisor = pool?.supervisor()?.pid
        let reread = dropped > 0 ? Self.read(registry, at: now) : nil
        return state.withLock { state in
            var entries: [EventLog.Entry] = []
            if let supervisor { state.supervisors.insert(supervisor) }
            if let reread {
                // The queue overflowed: what it lost cannot be replayed; start again from
                // what the registry holds.
                Self.load(reread, into: &state)
                state.tombstones = []
                state.departed = [:]
                entries.append(EventLog.Entry(time: now, pool: name, kind: .error,
                    text: "the inspector fell \(dropped) events behind and re-read the registry"))
            } else {
                for input in inputs { apply(input, to: &state, log: &entries) }
            }
            expireTombstones(&state, now: now)
            return entries
        }
    }

    private func apply(_ input: Input, to state: inout State, log entries: inout [EventLog.Entry]) {
        switch input {
        case let .registered(key, pid, value, at):
            let identity = identity(key, pid)
            let previous = state.row(of: identity)
            if let previous, previous.pid == pid {
                if !previous.isDead {
                    // Seen already (the first read of the registry raced the listener).
                    var row = previous
                    row.value = Self.text(ofValue: value)
                    if row != previous { state.index.update(row) }
                }
                return
            }
            state.counters.started += 1
            state.starts.add(at: at)
            if var row = previous {
                // A new incarnation under the same id: the same row, with its history.
                if case .dead(let reason, _, _) = row.phase { row.lastExit = reason }
                row.pid = pid
                row.value = Self.text(ofValue: value)
                row.startedAt = at
                row.phase = .live
                state.index.update(row)
            } else {
                state.insert(identity) { ref in
                    IndexedRow(ref: ref, text: Self.text(of: key), pid: pid, value: Self.text(ofValue: value), startedAt: at)
                }
            }
        case let .unregistered(key, pid, cause, at):
            let identity = identity(key, pid)
            guard var row = state.row(of: identity), row.pid == pid, !row.isDead else { return }
            let shown = "\(row.text) \(pid)"
            state.exits.add(at: at)
            switch cause {
            case .processExited(let reason):
                let kind = WireRow.ExitKind(reason)
                switch kind {
                case .killed: state.counters.killed += 1
                case .crashed: state.counters.crashed += 1
                case .stopped, .shutdown: state.counters.stopped += 1
                }
                row.phase = .dead(reason: reason.description, kind: kind, since: at)
                state.departed[pid] = (row.text, at)
                entries.append(EventLog.Entry(time: at, pool: name, kind: .unregister,
                                              text: "UNREG \(shown) — entry removed as part of its exit (\(reason))"))
            case .unregistered, .registryClosed:
                state.counters.stopped += 1
                row.phase = .dead(reason: cause.description, kind: .stopped, since: at)
                entries.append(EventLog.Entry(time: at, pool: name, kind: .unregister, text: "UNREG \(shown) — \(cause)"))
            }
            state.index.update(row)
            state.tombstones.append((row.ref, pid, at))
        case .supervision(let event):
            supervision(event, &state, &entries)
        case let .note(kind, text, at):
            entries.append(EventLog.Entry(time: at, pool: name, kind: kind, text: text))
        }
    }

    private func supervision(_ event: SupervisionEvent, _ state: inout State, _ entries: inout [EventLog.Entry]) {
        func add(_ kind: WireEvent.Kind, _ text: String) {
            entries.append(EventLog.Entry(time: event.time, pool: name, kind: kind, text: text))
        }
        switch event.kind {
        case let .exited(pid, reason, _):
            // The DOWN may come after the successor registered the same id.
            let departure = state.departed.removeValue(forKey: pid)
            guard let text = departure?.text ?? identity(ofLive: pid).flatMap({ state.row(of: $0)?.text }) else {
                if state.supervisors.contains(pid) { add(.escalation, "DOWN supervisor \(pid) \(reason)") }
                return
            }
            var line = "DOWN \(text) \(pid) \(reason)"
            if let cleaned = departure?.at {
                line += " · registry clean \(Self.microseconds(event.time - cleaned)) before DOWN"
            }
            let kind: WireEvent.Kind
            switch WireRow.ExitKind(reason) {
            case .killed: kind = .kill
            case .crashed: kind = .crash
            case .stopped, .shutdown: kind = .down
            }
            add(kind, line)
        case let .restarted(supervisor, childID, old, new, restarts):
            if let identity = identity(ofLive: new), var row = state.row(of: identity), row.pid == new {
                row.restarts = restarts
                state.index.update(row)
                state.counters.restarts += 1
                add(.restart, "RESTART \(row.text) \(old) → \(new) (#\(restarts))")
            } else if state.supervisors.contains(old) {
                state.supervisors.insert(new)
                add(.escalation, "RESTART \(childID ?? "pool") supervisor \(old) → \(new) by \(supervisor)")
            }
        case let .intensityExceeded(supervisor, restarts, maxRestarts, period):
            guard state.supervisors.contains(supervisor) else { return }
            state.counters.escalations += 1
            add(.escalation, "ESCALATE \(supervisor) gave up: \(restarts) restarts > \(maxRestarts) in \(Self.seconds(period)) — stops its children, exits shutdown")
        case let .supervisorShutdown(pid, reason):
            guard state.supervisors.contains(pid) else { return }
            add(.escalation, "SHUTDOWN supervisor \(pid) (\(reason))")
        case let .restartFailed(supervisor, childID, reason):
            guard state.supervisors.contains(supervisor) else { return }
            add(.error, "RESTART FAILED \(childID ?? "child") under \(supervisor): \(reason)")
        case .started:
            break
        }
    }

    /// Drops tombstones older than the tombstone time.
    private func expireTombstones(_ state: inout State, now: Timestamp) {
        while let first = state.tombstones.first, now - first.since >= tombstoneTime {
            state.tombstones.removeFirst()
            if let row = state.index.row(first.ref), row.pid == first.pid, row.isDead {
                state.remove(first.ref)
            }
            // A DOWN that never came (events dropped) is not waited for any longer.
            if let gone = state.departed[first.pid], now - gone.at >= tombstoneTime { state.departed[first.pid] = nil }
        }
    }

    // MARK: - Reads

    func summary(now: Timestamp) -> PoolSummary {
        let supervisor = pool?.supervisor()
        let meta = registry.allMeta().map { WireMeta(key: $0.key, value: String(describing: $0.value)) }
            .sorted { NaturalOrder.precedes($0.key, $1.key) }
        let entries = registry.count()
        let intensity = supervisor.map { use in
            let value = use.intensity()
            return WireIntensity(restarts: value.restarts, maxRestarts: value.maxRestarts,
                                 periodMilliseconds: Int64(value.period.saturatingNanoseconds / 1_000_000))
        }
        return state.withLock { state in
            PoolSummary(name: name, workers: supervisor?.countChildren().active ?? (pool == nil ? entries : 0),
                        entries: entries, rows: state.index.count, supervisor: supervisor?.pid.description,
                        intensity: intensity, counters: state.counters, meta: meta,
                        startsPerSecond: state.starts.rate(at: now), exitsPerSecond: state.exits.rate(at: now),
                        registryClosed: registry.isClosed)
        }
    }

    func rows(_ query: RowsQuery, now: Timestamp) -> RowsReply {
        let window = state.withLock { state in
            state.index.window(order: query.sort, filter: query.filter, focusRef: query.focus.ref,
                               position: query.focus.position, before: min(query.before, 5_000), after: min(query.after, 5_000))
        }
        // Process details outside the lock: they take each process's own lock.
        let rows = window.rows.map { row in row.wire(row.isDead ? nil : Process.info(row.pid)) }
        return RowsReply(pool: name, sort: query.sort, filter: query.filter, total: window.total, start: window.start,
                         focus: window.focus, focusFound: window.found, rows: rows, now: Int64(clamping: now.nanoseconds))
    }

    /// The row with `ref` and its identity, if it is still in the table.
    func find(ref: UInt64) -> (identity: Identity, row: IndexedRow)? {
        state.withLock { state in
            state.identity(of: ref).flatMap { identity in state.index.row(ref).map { (identity, $0) } }
        }
    }

    func worker(ref: UInt64, now: Timestamp) throws(ProtocolError) -> WorkerReply {
        guard let row = find(ref: ref)?.row else { throw Self.unknown(ref, in: name) }
        let info = row.isDead ? nil : Process.info(row.pid)
        let process = info.map { info in
            WireProcess(pid: info.pid.description, behaviour: info.behaviour, parent: info.parent?.description,
                        names: info.names, status: info.status.description, mailbox: info.mailboxLength,
                        links: info.links.map(\.description), monitors: info.monitorCount, trapExit: info.trapsExits,
                        handled: info.messagesHandled, startedAt: Int64(clamping: info.startedAt.nanoseconds))
        }
        return WorkerReply(row: row.wire(info), process: process, now: Int64(clamping: now.nanoseconds))
    }

    static func unknown(_ ref: UInt64, in pool: String) -> ProtocolError {
        ProtocolError(.unknownWorker, "no worker #\(ref) in \(pool) any more (it has gone from the table)")
    }

    static func microseconds(_ duration: Duration) -> String {
        let micros = Double(duration.saturatingNanoseconds) / 1000
        if abs(micros) < 1000 { return "\(Int(micros.rounded())) µs" }
        return "\(Int((micros / 1000).rounded())) ms"
    }

    static func seconds(_ duration: Duration) -> String {
        let seconds = Double(duration.saturatingNanoseconds) / 1e9
        return seconds == seconds.rounded() ? "\(Int(seconds))s" : "\(seconds)s"
    }
}
