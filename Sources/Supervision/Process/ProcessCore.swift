import CPlatform
import DequeModule
import ScalableLocks
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a process is in its life. Transitions only go forward.
@usableFromInline
enum ProcessStatus: UInt8 {
    /// Running or idle; accepts messages, links, monitors and names.
    case alive = 0
    /// Its exit has begun: it accepts nothing new and its exit hooks (name release)
    /// are running. Still counts as alive for `PID.isAlive`, so that no one can see it
    /// dead while a registry still holds it.
    case exiting = 1
    /// Exited. Links and monitors have been (or are being) signalled.
    case dead = 2
}

/// The mutable part of a process, guarded by the process's lock.
@usableFromInline
struct ProcessState {
    // Stored in this order so the one-byte fields share one word and the state packs
    // without padding (an idle process is mostly this struct; see the idle benchmark).
    @usableFromInline var exitReason: ExitReason?
    @usableFromInline var status = ProcessStatus.alive
    /// A task is handling the mailbox (server processes only).
    @usableFromInline var active = false
    @usableFromInline var trapExit = false
    /// `false` until `initialize` succeeded: a process that dies before that is
    /// reported to its starter, not to its parent by an exit signal.
    @usableFromInline var acknowledged = true
    @usableFromInline var mailbox = Deque<Envelope>()
    /// Counts activations, so a late task handle is never stored for a newer one.
    @usableFromInline var generation: UInt64 = 0
    /// The task running the process's code, cancelled when the process dies.
    @usableFromInline var task: Task<Void, Never>?
    /// A spawned process suspended in `receive`.
    @usableFromInline var receiver: UnsafeContinuation<Void, Never>?
    @usableFromInline var links = PIDSet()
    @usableFromInline var hooks = ExitHooks()
    /// The call being handled right now.
    @usableFromInline var inflight: CallSlot?
    /// The last call this process made; cancelled if the process dies while waiting.
    @usableFromInline var awaiting: CallSlot?
    /// The starter waiting for `initialize` to finish.
    @usableFromInline var startup: StartSlot?
    /// Messages handled so far.
    @usableFromInline var handled: UInt64 = 0
    /// What few processes use (monitors on them, deferred calls, start waiters, a
    /// dynamic supervisor's table and exit handler): allocated on first use, so an idle
    /// process without them pays one word.
    @usableFromInline var rare: RareProcessState?

    @usableFromInline
    init() {}

    /// The rarely used part, made on first use.
    @usableFromInline
    mutating func rareState() -> RareProcessState {
        if let rare { return rare }
        let made = RareProcessState()
        rare = made
        return made
    }
}

/// The fields of ``ProcessState`` that few processes use. A reference, touched only
/// under the process's lock like the rest of the state.
// @unchecked: every var is touched only under the owning process's `state` Lock.
@usableFromInline
final class RareProcessState: @unchecked Sendable {
    // Unchecked: every field is read and written only under the owning process's lock.
    /// Monitors on this process: monitor id → who gets the `DOWN`.
    @usableFromInline var monitors: [UInt64: Watcher] = [:]
    /// Calls the server chose to answer later (`.noreply`), with the order they were
    /// deferred in: the server's exit fails them in that order.
    @usableFromInline var deferred: [ObjectIdentifier: (order: UInt64, slot: CallSlot)] = [:]
    @usableFromInline var deferredCount: UInt64 = 0
    /// Told when `initialize` finishes (`true`) or the process exits first (`false`):
    /// ``Process/awaitStarted(_:)``, a supervisor deciding a superseded restart.
    @usableFromInline var startWaiters: [@Sendable (Bool) -> Void] = []
    /// An object the behaviour publishes for direct access through the pid (a
    /// dynamic supervisor's shared child table).
    @usableFromInline var attachment: (any AnyObject & Sendable)?
    /// Handles exit signals from linked processes synchronously, inside the linked
    /// process's exit, for a process that traps exits; returns `false` to have the signal
    /// delivered as an `EXIT` message after all. A dynamic supervisor uses it to forget a
    /// child without being woken up.
    @usableFromInline var linkExitHandler: (@Sendable (PID, ExitReason) -> Bool)?

    @usableFromInline
    init() {}
}

/// A process: identity, mailbox, links, monitors, exit hooks and the exit procedure.
///
/// Subclasses decide how the mailbox is consumed: ``ServerProcess`` runs a short-lived
/// task per burst of messages (an idle server costs no task), ``TaskProcess`` runs one
/// task for its whole life and suspends in `receive`.
///
/// Locking: each process has one lock. Linking takes two, always in serial order. The
/// exit procedure never holds a lock while it calls out (hooks, other processes,
/// continuations), so no lock order can be inverted.
// @unchecked: non-final (servers and spawned processes subclass it), so it cannot be
// checked; every stored property is a Sendable `let`, and the mutable state is in `state`
// (a Lock).
@usableFromInline
class ProcessCore: @unchecked Sendable {
    @usableFromInline
    let serial: UInt64
    @usableFromInline
    let runtime: Runtime
    let startedAt: Timestamp
    // `parent` and the two one-byte fields after it share a word (see ProcessState).
    /// The process that started this one (a supervisor for children), if any.
    @usableFromInline
    let parent: PID?
    /// Server processes start a task when a message arrives at an idle mailbox.
    let usesActivations: Bool
    /// Mirrors `ProcessState.status` for lock-free reads.
    let statusWord = Atomic<UInt8>(ProcessStatus.alive.rawValue)
    @usableFromInline
    let state: Lock<ProcessState>

    @usableFromInline
    init(runtime: Runtime, parent: PID?, usesActivations: Bool) {
        runtime.confinement?.checkConfinement("spawn")
        self.serial = PIDAllocator.allocate()
        self.runtime = runtime
        self.parent = parent
        self.startedAt = runtime.clock.now()
        self.usesActivations = usesActivations
        self.state = Lock(ProcessState())
        runtime.counters.live.add(1, ordering: .relaxed)
        runtime.counters.spawned.add(1, ordering: .relaxed)
        runtime.instruments?.started.increment()
        ProcessTable.shared.insert(self)
    }

    @usableFromInline
    final var pid: PID { PID(serial: serial) }

    /// Not yet fully exited.
    final var isAlive: Bool {
        statusWord.load(ordering: .acquiring) != ProcessStatus.dead.rawValue
    }

    /// Alive and not exiting: accepts messages, links, monitors and names.
    @usableFromInline
    final var acceptsMessages: Bool {
        statusWord.load(ordering: .acquiring) == ProcessStatus.alive.rawValue
    }

    /// A short description of what the process runs, for diagnostics.
    @usableFromInline
    var behaviourName: String { "process" }

    /// Drops the behaviour's state once the process is dead and no code of it owns the
    /// state any more.
    @usableFromInline
    func releaseBehaviourState() {}

    /// Starts a task to handle the mailbox. Only for `usesActivations` processes.
    ///
    /// - Parameter inline: the caller is about to wait for this process (a call or a
    ///   start), so the activation may run on the caller's thread right away.
    @usableFromInline
    func startActivation(generation: UInt64, inline: Bool) {
        preconditionFailure("\(Self.self) does not use activations")
    }

    // MARK: - Mailbox

    /// What to do, outside the lock, after a message was enqueued.
    enum Wake {
        case none
        case resume(UnsafeContinuation<Void, Never>)
        case activate(UInt64)
    }

    /// Appends to the mailbox and decides who must be woken. Caller holds the lock.
    final func enqueueLocked(_ state: inout ProcessState, _ envelope: Envelope) -> Wake {
        state.mailbox.append(envelope)
        if let receiver = state.receiver {
            state.receiver = nil
            return .resume(receiver)
        }
        if usesActivations && !state.active {
            state.active = true
            state.generation &+= 1
            return .activate(state.generation)
        }
        return .none
    }

    final func perform(_ wake: Wake, inline: Bool = false) {
        switch wake {
        case .none: break
        case .resume(let receiver): receiver.resume()
        case .activate(let generation): startActivation(generation: generation, inline: inline)
        }
    }

    /// Delivers a message unless the process is exiting or dead. Never blocks beyond
    /// the process's lock. Returns whether the message was accepted.
    ///
    /// - Parameter inline: the sender waits for this message's outcome (a call), so an
    ///   idle server may handle it on the sender's thread before this returns.
    @usableFromInline @discardableResult
    final func deliver(_ envelope: Envelope, inline: Bool = false) -> Bool {
        runtime.confinement?.checkConfinement("deliver")
        let wake = state.withLock { state -> Wake? in
            guard state.status == .alive else { return nil }
            return enqueueLocked(&state, envelope)
        }
        guard let wake else { return false }
        perform(wake, inline: inline)
        return true
    }

    /// Stores the handle of a freshly started task, or cancels it if the process died
    /// or the activation already ended.
    @usableFromInline
    final func adopt(_ task: Task<Void, Never>, generation: UInt64?) {
        let cancel = state.withLock { state -> Bool in
            guard state.status == .alive else { return true }
            if let generation, !(state.active && state.generation == generation) { return false }
            state.task = task
            return false
        }
        if cancel { task.cancel() }
    }

    // MARK: - Exit

    /// Ends the process with `reason` (never ``ExitReason/kill``), synchronously: when
    /// this returns, the process accepts nothing, its callers have their errors, its
    /// names are released, it is dead, and its links and monitors have been signalled.
    /// Linked processes that die of it die before this returns too.
    ///
    /// If the process is already exiting on another thread, this waits until that exit
    /// has made it dead (names released, gone from the process table) — a few
    /// instructions to a few hook calls away, since the exit procedure never suspends.
    /// A kill from inside an exit procedure (an exit hook) returns at once instead: it
    /// may be the very exit it would wait for, and two threads whose hooks each killed
    /// the other's process would wait for each other.
    @usableFromInline
    final func terminate(_ reason: ExitReason) {
        runtime.confinement?.checkConfinement("exit")
        var work: [(ProcessCore, ExitReason)] = []
        let began = exitNow(reason.asExitReason, propagating: &work)
        while let (core, reason) = work.popLast() {
            _ = core.exitNow(reason, propagating: &work)
        }
        if !began { awaitDeathElsewhere() }
    }

    /// Waits until an exit that another thread is running has made this process dead.
    private final func awaitDeathElsewhere() {
        guard statusWord.load(ordering: .acquiring) == ProcessStatus.exiting.rawValue,
              cplatform_exiting_depth() == 0
        else { return }
        Self.exitWaitSeam.withLock { $0 }?(pid)
        var spins = 0
        while statusWord.load(ordering: .acquiring) != ProcessStatus.dead.rawValue {
            spins += 1
            if spins < 64 { cplatform_spin_pause() } else { sched_yield() }
        }
        // `dead` is stored under the lock just before the process leaves the table (what
        // `PID.isAlive` reads): taking the lock once waits for that to be done too.
        state.withLock { _ in }
    }

    /// Test seam: called with the target's pid when an exit begins waiting for another
    /// thread's exit of the same process, so a test can let that exit go on only then.
    package static let exitWaitSeam = Lock<(@Sendable (PID) -> Void)?>(nil)

    /// Marks a process that never ran (its name was taken) as dead, without events.
    @usableFromInline
    final func discard() {
        let wasAlive = state.withLock { state -> Bool in
            guard state.status == .alive else { return false }
            state.status = .dead
            state.exitReason = .normal
            statusWord.store(ProcessStatus.dead.rawValue, ordering: .releasing)
            ProcessTable.shared.remove(serial)
            return true
        }
        if wasAlive {
            runtime.counters.exited()
            runtime.instruments?.exited(.normal)
        }
    }

    private struct Leftovers {
        var mailbox: Deque<Envelope>
        var task: Task<Void, Never>?
        var receiver: UnsafeContinuation<Void, Never>?
        var hooks: ExitHooks
        var inflight: CallSlot?
        var awaiting: CallSlot?
        var deferred: [ObjectIdentifier: (order: UInt64, slot: CallSlot)]
        var startup: StartSlot?
        var silentParent: Bool
        var idle: Bool
        var startWaiters: [@Sendable (Bool) -> Void]
    }

    /// Runs the exit procedure; returns `false` if the process was already exiting or dead.
    private final func exitNow(_ reason: ExitReason, propagating work: inout [(ProcessCore, ExitReason)]) -> Bool {
        // 1. Stop accepting anything; take what must be answered or cancelled.
        let leftovers = state.withLock { state -> Leftovers? in
            guard state.status == .alive else { return nil }
            state.status = .exiting
            statusWord.store(ProcessStatus.exiting.rawValue, ordering: .releasing)
            defer {
                state.mailbox = []
                state.task = nil
                state.receiver = nil
                state.hooks = ExitHooks()
                state.inflight = nil
                state.awaiting = nil
                state.rare?.deferred = [:]
                state.startup = nil
                state.rare?.startWaiters = []
            }
            return Leftovers(
                mailbox: state.mailbox, task: state.task, receiver: state.receiver,
                hooks: state.hooks, inflight: state.inflight, awaiting: state.awaiting, deferred: state.rare?.deferred ?? [:],
                startup: state.startup, silentParent: !state.acknowledged,
                idle: usesActivations && !state.active, startWaiters: state.rare?.startWaiters ?? [])
        }
        guard let leftovers else { return false }
        // Until it is dead, a kill from a hook below (on this thread) does not wait.
        cplatform_exiting_enter()

        // 2. Cancel its running code; answer everyone waiting on it.
        leftovers.task?.cancel()
        leftovers.receiver?.resume()
        let callError = CallError.exited(reason)
        leftovers.inflight?.fail(callError)
        leftovers.awaiting?.fail(.cancelled)
        // In the order they were deferred (not a hash table's: see step 5).
        for (_, slot) in leftovers.deferred.values.sorted(by: { $0.order < $1.order }) { slot.fail(callError) }
        for envelope in leftovers.mailbox {
            switch envelope {
            case .call(let slot): slot.fail(callError)
            case .describe(let slot): slot.fail(callError)
            default: break
            }
        }
        // No activation owns an idle server's state, and none will start now.
        if leftovers.idle { releaseBehaviourState() }

        // 3. Release its names before anyone can see it dead.
        let me = pid
        for hook in leftovers.hooks {
            hook.processExiting(me, reason: reason)
        }

        // 4. Dead: gone from the process table, so no pid reaches it any more.
        let (linked, monitors, lateObservers) = state.withLock { state -> ([PID], [UInt64: Watcher], [@Sendable (Bool) -> Void]) in
            state.status = .dead
            state.exitReason = reason
            statusWord.store(ProcessStatus.dead.rawValue, ordering: .releasing)
            ProcessTable.shared.remove(serial)
            defer {
                state.rare?.monitors = [:]
                state.rare?.startWaiters = []
            }
            // Observers of its start that came while it was exiting (`observeStart`).
            return (state.links.removeAll(), state.rare?.monitors ?? [:], state.rare?.startWaiters ?? [])
        }
        cplatform_exiting_leave()
        runtime.counters.exited()
        runtime.instruments?.exited(reason)
        runtime.events.publish(.exited(me, reason: reason, parent: parent))
        // A starter learns of the failure once the names are released and the process is
        // dead: a start it makes at once under the same name finds the name free.
        leftovers.startup?.settle(.success(.failed(reason)))
        for waiter in leftovers.startWaiters + lateObservers { waiter(false) }

        // 5. Signal links, then monitors. Everything that wakes another task goes out in
        // a fixed order (never a hash table's): links oldest process first, monitors in
        // the order they were set up, so a seeded scheduler sees the same jobs in the
        // same order in every run.
        let links = linked.count > 1 ? linked.sorted() : linked
        for link in links {
            guard let linked = link.core else { continue }
            if leftovers.silentParent, link == parent {
                linked.dropLink(to: me)
            } else {
                linked.receiveLinkExit(from: me, reason: reason, propagating: &work)
            }
        }
        if monitors.count > 1 {
            for (id, watcher) in monitors.sorted(by: { $0.key < $1.key }) {
                watcher.deliverDown(MonitorRef(id: id, target: me), reason: reason)
            }
        } else if let (id, watcher) = monitors.first {
            watcher.deliverDown(MonitorRef(id: id, target: me), reason: reason)
        }
        return true
    }

    /// The exit reason, once dead (for holders of the process object).
    @usableFromInline
    final var exitReason: ExitReason? {
        state.withLock { $0.status == .dead ? $0.exitReason : nil }
    }

    // MARK: - Signals

    /// A linked process exited.
    private final func receiveLinkExit(from sender: PID, reason: ExitReason, propagating work: inout [(ProcessCore, ExitReason)]) {
        enum Action { case nothing, die, wake(Wake), intercept(@Sendable (PID, ExitReason) -> Bool) }
        let action = state.withLock { state -> Action in
            guard state.status == .alive, state.links.remove(sender) else { return .nothing }
            if state.trapExit {
                if let handler = state.rare?.linkExitHandler { return .intercept(handler) }
                return .wake(enqueueLocked(&state, .exit(from: sender, reason: reason)))
            }
            return reason.isNormal ? .nothing : .die
        }
        switch action {
        case .nothing: break
        case .wake(let wake): perform(wake)
        case .die: work.append((self, reason))
        case .intercept(let handler):
            if !handler(sender, reason) { deliver(.exit(from: sender, reason: reason)) }
        }
    }

    /// An exit signal sent with `Process.exit(pid, reason)`.
    final func receiveExitSignal(from sender: PID?, reason: ExitReason) {
        if case .kill = reason {
            terminate(.killed)
            return
        }
        enum Action { case nothing, die, wake(Wake), awaitDeath }
        let action = state.withLock { state -> Action in
            // Already exiting on another thread: it dies of that, and this returns once it
            // is dead, as a signal that kills it would.
            if state.status == .exiting { return .awaitDeath }
            guard state.status == .alive else { return .nothing }
            if state.trapExit {
                return .wake(enqueueLocked(&state, .exit(from: sender, reason: reason)))
            }
            if reason.isNormal {
                return sender?.serial == serial ? .die : .nothing
            }
            return .die
        }
        switch action {
        case .nothing: break
        case .wake(let wake): perform(wake)
        case .die: terminate(reason)
        case .awaitDeath: awaitDeathElsewhere()
        }
    }

    // MARK: - Links

    @usableFromInline
    enum LinkOutcome { case linked, targetNotAlive, callerNotAlive }

    /// Links two processes, atomically with respect to either one's exit.
    @usableFromInline
    static func link(_ a: ProcessCore, _ b: ProcessCore) -> LinkOutcome {
        if a === b { return .linked }
        let (first, second) = a.serial < b.serial ? (a, b) : (b, a)
        return first.state.withLock { firstState -> LinkOutcome in
            second.state.withLock { secondState -> LinkOutcome in
                let firstDead = firstState.status == .dead
                let secondDead = secondState.status == .dead
                guard !(a === first ? firstDead : secondDead) else { return .callerNotAlive }
                guard !(a === first ? secondDead : firstDead) else { return .targetNotAlive }
                firstState.links.insert(second.pid)
                secondState.links.insert(first.pid)
                return .linked
            }
        }
    }

    /// Removes the link between two processes, both sides at once.
    static func unlink(_ a: ProcessCore, _ b: ProcessCore) {
        if a === b { return }
        let (first, second) = a.serial < b.serial ? (a, b) : (b, a)
        first.state.withLock { firstState in
            second.state.withLock { secondState in
                firstState.links.remove(second.pid)
                secondState.links.remove(first.pid)
            }
        }
    }

    /// Forgets a link without any signal.
    final func dropLink(to pid: PID) {
        state.withLock { _ = $0.links.remove(pid) }
    }

    // MARK: - Monitors and hooks

    /// Adds a monitor on `pid`; a process that is already dead gets its `DOWN` with
    /// ``ExitReason/noproc`` at once.
    static func addMonitor(on pid: PID, _ watcher: Watcher) -> MonitorRef {
        guard let core = pid.core else {
            let ref = MonitorRef.make(target: pid)
            watcher.deliverDown(ref, reason: .noproc)
            return ref
        }
        return core.addMonitor(watcher)
    }

    /// Adds a monitor; a process that is already dead gets its `DOWN` with
    /// ``ExitReason/noproc`` at once.
    final func addMonitor(_ watcher: Watcher) -> MonitorRef {
        let ref = MonitorRef.make(target: pid)
        let added = state.withLock { state -> Bool in
            guard state.status != .dead else { return false }
            state.rareState().monitors[ref.id] = watcher
            return true
        }
        if !added { watcher.deliverDown(ref, reason: .noproc) }
        return ref
    }

    /// Removes a monitor. Returns `false` if it had already fired or never existed.
    final func removeMonitor(_ ref: MonitorRef) -> Bool {
        state.withLock { $0.rare?.monitors.removeValue(forKey: ref.id) != nil }
    }

    /// Attaches an exit hook, once: a hook already attached is not attached again.
    /// Returns `false`, attaching nothing, if the process is exiting or dead.
    final func addExitHook(_ hook: any ProcessExitHook) -> Bool {
        state.withLock { state -> Bool in
            guard state.status == .alive else { return false }
            if !state.hooks.contains(hook) { state.hooks.append(hook) }
            return true
        }
    }

    final func removeExitHook(_ hook: any ProcessExitHook) {
        state.withLock { state in
            state.hooks.removeAll(hook)
        }
    }

    /// Whether `initialize` has succeeded (`true`, the process runs) or the process has
    /// exited (`false`: dead, its names released); if neither is known yet — it is
    /// starting, or its exit is under way — `nil`, and `observer` is called once one is,
    /// on the thread that finishes the start or the exit: it must be quick and not block.
    final func observeStart(_ observer: @escaping @Sendable (Bool) -> Void) -> Bool? {
        state.withLock { state -> Bool? in
            switch state.status {
            case .dead: return false
            case .alive where state.acknowledged: return true
            case .alive, .exiting:
                state.rareState().startWaiters.append(observer)
                return nil
            }
        }
    }

    /// Waits until `initialize` has succeeded (`true`) or the process exited first.
    nonisolated(nonsending)
    final func awaitAcknowledged() async -> Bool {
        await OneShot<Bool>.wait(deadline: .infinity, clock: runtime.clock) { waiter in
            if let known = observeStart({ waiter.resolve($0) }) { waiter.resolve(known) }
        } ?? false
    }

    /// Forgets a call this server deferred, once the call is settled.
    @usableFromInline
    final func forgetDeferred(_ slot: CallSlot) {
        state.withLock { _ = $0.rare?.deferred.removeValue(forKey: ObjectIdentifier(slot)) }
    }

    /// Remembers the call this process now waits for, so that its exit cancels it.
    @usableFromInline
    final func setAwaiting(_ slot: CallSlot) {
        state.withLock { $0.awaiting = slot }
    }

    /// Arms a timer on this process's runtime clock.
    @usableFromInline
    final func schedule(_ timer: any ScheduledTimer, after delay: Duration) {
        runtime.clock.schedule(timer, after: delay)
    }

    final func setTrapExit(_ value: Bool) -> Bool {
        state.withLock { state -> Bool in
            defer { state.trapExit = value }
            return state.trapExit
        }
    }
}
