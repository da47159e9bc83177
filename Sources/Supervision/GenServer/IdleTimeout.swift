import Synchronization

/// A server's armed idle timeout (``Then/timeout(_:)``): fires once, on the runtime's
/// clock, by putting itself in the server's mailbox. The server handles it only while it
/// is still the timeout armed last: handling any message (but a tool's state request)
/// disarms it, and a timeout that fired just before is then dropped unhandled.
@usableFromInline
final class IdleTimeout: ScheduledTimer {
    private let target: PID
    private let done = Atomic<Bool>(false)

    @usableFromInline
    init(target: PID) {
        self.target = target
    }

    /// Settled once fired or disarmed, or once its server is gone: a clock may drop it.
    @usableFromInline
    var isSettled: Bool { done.load(ordering: .acquiring) || !target.isAlive }

    /// Disarms it: it will not fire (if it already did, the server drops it).
    @usableFromInline
    func disarm() {
        done.store(true, ordering: .releasing)
    }

    @usableFromInline
    func fire() {
        guard !done.exchange(true, ordering: .acquiringAndReleasing) else { return }
        target.core?.deliver(.timeout(self))
    }
}
