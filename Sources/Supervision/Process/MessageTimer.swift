import Synchronization

/// A message a process gets once a clock's deadline passes, unless cancelled first:
/// ``Process/sendAfter(_:_:after:)``'s message, or a server's idle timeout
/// (``Then/timeout(_:)``). Fires at most once, on the clock's thread.
@usableFromInline
final class MessageTimer: ScheduledTimer {
    /// What the process gets.
    @usableFromInline
    enum Payload: Sendable {
        /// A plain message, as `Process.send` sends it.
        case info(any Sendable)
        /// A server's idle timeout, delivered as this timer itself: the server handles
        /// it only while it is still the timeout armed last.
        case idleTimeout
    }

    private let target: PID
    private let payload: Payload
    private let done = Atomic<Bool>(false)

    @usableFromInline
    init(target: PID, payload: Payload) {
        self.target = target
        self.payload = payload
    }

    /// Settled once fired or cancelled, or once its process is gone: a clock may drop it.
    @usableFromInline
    var isSettled: Bool { done.load(ordering: .acquiring) || !target.isAlive }

    /// Cancels it. Returns `false` if it already fired or was cancelled (a fired idle
    /// timeout may then be in the mailbox: the server drops it).
    @usableFromInline @discardableResult
    func cancel() -> Bool { !done.exchange(true, ordering: .acquiringAndReleasing) }

    @usableFromInline
    func fire() {
        guard !done.exchange(true, ordering: .acquiringAndReleasing) else { return }
        switch payload {
        case .info(let message): target.core?.deliver(.info(message))
        case .idleTimeout: target.core?.deliver(.timeout(self))
        }
    }
}
