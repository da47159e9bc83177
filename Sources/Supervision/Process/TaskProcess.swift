import ScalableLocks
import Synchronization

/// A process that runs one async closure for its whole life: OTP's `spawn`.
///
/// It receives messages through its ``Inbox``. When the closure returns, the process
/// exits with ``ExitReason/normal``; when it throws, with ``ExitReason/error(_:)``.
// Unchecked: the state shared between threads is behind `ProcessCore`'s lock; `slice` is
// touched only by the process's own task (the one caller of `receive`).
// @unchecked: a subclass of ProcessCore (non-final, so unchecked); `slice` is touched only
// by the process's own task.
final class TaskProcess: ProcessCore, @unchecked Sendable {
    /// The run of messages `receive` found waiting without suspending. Only the process's
    /// own task calls `receive`, one call at a time.
    private var slice: Slice

    init(runtime: Runtime, parent: PID?) {
        slice = Slice(runtime.fairness, handled: 0)
        super.init(runtime: runtime, parent: parent, usesActivations: false)
    }

    override var behaviourName: String { "spawn" }

    func start(_ body: @escaping @Sendable (Inbox) async throws -> Void) {
        let task = runtime.spawnTask { [self] in
            await ProcessContext.$current.withValue(self) {
                do {
                    try await body(Inbox(core: self))
                    self.terminate(.normal)
                } catch {
                    if self.acceptsMessages {
                        self.runtime.logger.error("process crashed", metadata: [
                            "process.pid": "\(self.pid)",
                            "process.parent": "\(self.parent.map(String.init(describing:)) ?? "none")",
                            "error.reason": "\(String(describing: error))",
                        ])
                    }
                    self.terminate(.error(error))
                }
            }
        }
        adopt(task, generation: nil)
        if runtime.events.hasSubscribers {
            runtime.events.publish(.started(pid, parent: parent, behaviour: behaviourName))
        }
    }

    /// Removes and returns the first message accepted by `predicate`, waiting for one
    /// until `deadline`. Returns `nil` on timeout; throws `CancellationError` once the
    /// process is exiting.
    nonisolated(nonsending)
    func receive(
        deadline: Timeout, where predicate: (Message) -> Bool
    ) async throws -> Message? {
        let timer: ReceiveTimer?
        if case .after(let delay) = deadline {
            let armed = ReceiveTimer(core: self)
            runtime.clock.schedule(armed, after: delay)
            timer = armed
        } else {
            timer = nil
        }
        defer { timer?.settle() }
        var waited = false
        while true {
            enum Step { case found(Message), exited, timedOut, wait }
            var step = Step.wait
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
                var unreceivable: [Envelope] = []
                let resumeNow = state.withLock { state -> Bool in
                    guard state.status == .alive else {
                        step = .exited
                        return true
                    }
                    var index = state.mailbox.startIndex
                    while index < state.mailbox.endIndex {
                        guard let message = Self.message(from: state.mailbox[index]) else {
                            // Not for `receive`: out of the mailbox, answered after the lock.
                            unreceivable.append(state.mailbox.remove(at: index))
                            continue
                        }
                        if predicate(message) {
                            state.mailbox.remove(at: index)
                            state.handled &+= 1
                            step = .found(message)
                            return true
                        }
                        index += 1
                    }
                    if timer?.isSettled == true {
                        step = .timedOut
                        return true
                    }
                    state.receiver = continuation
                    return false
                }
                // Answered now, before this task may suspend: their callers wait for it.
                for envelope in unreceivable { Self.answer(envelope) }
                if resumeNow { continuation.resume() }
            }
            switch step {
            case .found(let message):
                if waited {
                    slice.reset()
                } else if slice.spend(on: runtime.clock) {
                    // Mail keeps waiting: a loop that never suspends would hold the
                    // thread, so give it back once per budget (the message stays taken).
                    await Task.yield()
                }
                return message
            case .exited: throw CancellationError()
            case .timedOut: return nil
            case .wait: waited = true
            }
        }
    }

    /// Wakes a receiver whose deadline passed.
    fileprivate func wakeReceiver() {
        let receiver = state.withLock { state -> UnsafeContinuation<Void, Never>? in
            defer { state.receiver = nil }
            return state.receiver
        }
        receiver?.resume()
    }

    /// The message `receive` hands out, or `nil` for what only a server handles.
    private static func message(from envelope: Envelope) -> Message? {
        switch envelope {
        case .info(let payload), .cast(let payload): return .message(payload)
        case .exit(let from, let reason): return .exit(from: from, reason: reason)
        case .down(let ref, let reason): return .down(ref, reason: reason)
        case .call, .stop, .describe, .timeout: return nil
        }
    }

    /// Answers what a spawned process cannot handle, once it is out of the mailbox.
    private static func answer(_ envelope: Envelope) {
        switch envelope {
        case .call(let slot): slot.fail(.wrongServerType(target: "spawned process", expected: "a GenServer"))
        case .describe(let slot): slot.settle(.success(nil))  // no state the runtime can reach
        case .info, .cast, .exit, .down, .stop, .timeout: break
        }
    }
}

/// The deadline of one `receive`.
private final class ReceiveTimer: ScheduledTimer {
    private let core: TaskProcess
    private let fired = Atomic<Bool>(false)

    init(core: TaskProcess) { self.core = core }

    var isSettled: Bool { fired.load(ordering: .acquiring) }

    func settle() { fired.store(true, ordering: .releasing) }

    func fire() {
        guard !fired.exchange(true, ordering: .acquiringAndReleasing) else { return }
        core.wakeReceiver()
    }
}


/// The mailbox of a spawned process, as its code sees it.
///
/// Messages from one sender arrive in the order sent. `receive` suspends without a
/// thread; it throws `CancellationError` once the process is exiting (killed, or a
/// linked process took it down), so the process's code stops at its next receive.
/// One task receives at a time — the process's own, as in OTP: `receive` from several
/// tasks at once is not supported.
public struct Inbox: Sendable {
    let core: TaskProcess

    /// The process this inbox belongs to.
    public var pid: PID { core.pid }

    /// Removes and returns the next message, waiting for one.
    nonisolated(nonsending) public func receive() async throws -> Message {
        try await core.receive(deadline: .infinity) { _ in true }!
    }

    /// Removes and returns the next message, or `nil` if none arrives within `timeout`
    /// (measured on the runtime's clock).
    nonisolated(nonsending) public func receive(timeout: Timeout) async throws -> Message? {
        try await core.receive(deadline: timeout) { _ in true }
    }

    /// Removes and returns the first message that `predicate` accepts, leaving the
    /// others in order (a selective receive). `predicate` runs under the mailbox lock:
    /// it must only inspect the message.
    nonisolated(nonsending) public func receive(
        timeout: Timeout = .infinity, where predicate: (Message) -> Bool
    ) async throws -> Message? {
        try await core.receive(deadline: timeout, where: predicate)
    }

    /// Removes and returns the first plain message of type `T`, leaving other messages
    /// in order; `nil` on timeout.
    nonisolated(nonsending) public func receive<T: Sendable>(
        _ type: T.Type, timeout: Timeout = .infinity
    ) async throws -> T? {
        try await core.receive(deadline: timeout) { $0.payload(as: T.self) != nil }?.payload(as: T.self)
    }

    /// The number of messages waiting.
    public var count: Int { core.state.withLock { $0.mailbox.count } }
}
