import Synchronization
import ScalableLocks

/// A monitor: a one-way watch on a process that yields exactly one `DOWN`.
public struct MonitorRef: Hashable, Sendable, CustomStringConvertible {
    /// Unique for the life of the OS process.
    public let id: UInt64
    /// The monitored process.
    public let target: PID

    /// The same monitor.
    public static func == (lhs: MonitorRef, rhs: MonitorRef) -> Bool { lhs.id == rhs.id }
    /// Hashes the monitor's id.
    public func hash(into hasher: inout Hasher) { hasher.combine(id) }

    /// As OTP prints a reference: `#Ref<0.N>`.
    public var description: String { "#Ref<0.\(id)>" }

    static let allocator = Atomic<UInt64>(1)

    static func make(target: PID) -> MonitorRef {
        MonitorRef(id: allocator.add(1, ordering: .relaxed).oldValue, target: target)
    }
}

/// Who receives a `DOWN`.
@usableFromInline
enum Watcher: Sendable {
    /// A process: the `DOWN` goes to its mailbox.
    case process(ProcessCore)
    /// Plain code awaiting an ``ExitWatch``.
    case waiter(ExitWaiter)

    func deliverDown(_ ref: MonitorRef, reason: ExitReason) {
        switch self {
        case .process(let core): _ = core.deliver(.down(ref, reason: reason))
        case .waiter(let waiter): waiter.fire(reason)
        }
    }
}

/// The receiving end of an ``ExitWatch``: remembers the reason and wakes everyone
/// waiting for it.
@usableFromInline
final class ExitWaiter: Sendable {
    private struct State {
        var reason: ExitReason?
        var listeners: [OneShot<ExitReason>] = []
    }

    private let state = Lock(State())

    func fire(_ reason: ExitReason) {
        let listeners = state.withLock { state -> [OneShot<ExitReason>] in
            guard state.reason == nil else { return [] }
            state.reason = reason
            defer { state.listeners = [] }
            return state.listeners
        }
        for listener in listeners { listener.resolve(reason) }
    }

    var firedReason: ExitReason? { state.withLock { $0.reason } }

    /// How many waits are suspended on it now.
    var waiting: Int { state.withLock { $0.listeners.count } }

    /// Waits for the reason; `nil` if `timeout` passed first or (when `cancellable`) the
    /// calling task was cancelled. A listener that gave up is forgotten at once.
    nonisolated(nonsending)
    func wait(timeout: Timeout, clock: any SupervisionClock, cancellable: Bool = false) async -> ExitReason? {
        await OneShot<ExitReason>.wait(deadline: timeout, clock: clock, cancellable: cancellable) { listener in
            let reason = state.withLock { state -> ExitReason? in
                if let reason = state.reason { return reason }
                state.listeners.append(listener)
                return nil
            }
            if let reason { listener.resolve(reason) }
        } unregister: { listener in
            state.withLock { $0.listeners.removeAll { $0 === listener } }
        }
    }
}

/// A monitor for code that is not a process: await ``reason`` to learn when and why
/// the process exited.
///
/// Created by ``Process/watch(_:)``. Like a monitor, it fires exactly once; watching a
/// dead process fires at once with ``ExitReason/noproc``. By the time ``reason``
/// returns, every name the process held has been released.
public struct ExitWatch: Sendable {
    /// The monitor behind the watch.
    public let ref: MonitorRef
    let waiter: ExitWaiter
    let clock: any SupervisionClock

    /// The watched process.
    public var pid: PID { ref.target }

    /// Suspends until the process has exited, and returns why.
    ///
    /// - Throws: `CancellationError` if the calling task is cancelled first. The watch
    ///   stays in place: await it again, or ``cancel()`` it.
    public var reason: ExitReason {
        get async throws(CancellationError) {
            guard let reason = await waiter.wait(timeout: .infinity, clock: clock, cancellable: true) else {
                throw CancellationError()
            }
            return reason
        }
    }

    /// Suspends until the process has exited, whatever happens to the calling task: for
    /// the runtime's own waits that must not end early (a supervisor waiting for a child
    /// it killed, a tree's `run()` waiting for the root it stopped).
    package var reasonIgnoringCancellation: ExitReason {
        get async {
            // Without a timeout and not cancellable, the wait ends only with a reason.
            await waiter.wait(timeout: .infinity, clock: clock) ?? .noproc
        }
    }

    /// Suspends until the process has exited or `timeout` has passed on its runtime's
    /// clock; returns the reason, or `nil` on timeout or when the calling task is
    /// cancelled (check `Task.isCancelled` to tell them apart).
    nonisolated(nonsending) public func reason(timeout: Timeout) async -> ExitReason? {
        await waiter.wait(timeout: timeout, clock: clock, cancellable: true)
    }

    /// How many waits on this watch are suspended now: for tests that must act while one
    /// waits.
    package var waiting: Int { waiter.waiting }

    /// The exit reason if the process has already exited, without waiting.
    public var exitReason: ExitReason? { waiter.firedReason }

    /// Stops watching. Returns `false` if the watch had already fired.
    @discardableResult
    public func cancel() -> Bool {
        ref.target.core?.removeMonitor(ref) ?? false
    }
}
