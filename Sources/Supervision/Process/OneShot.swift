import Synchronization

/// A one-time rendezvous that several parties race to resolve — a value, or the deadline
/// passing (the one-shot is its own timer). Exactly one of them wins.
// @unchecked: `continuation` is written once before the one-shot is published (to the
// clock or a waiter), then read only by the single winner of `claimed` (an Atomic).
@usableFromInline
package final class OneShot<Value: Sendable>: ScheduledTimer, @unchecked Sendable {
    private let claimed = Atomic<Bool>(false)
    // Written once, before the one-shot is published.
    private var continuation: UnsafeContinuation<Value?, Never>?
    /// Set once `continuation` is written: a cancellation handler may fire only then.
    private let published = Atomic<Bool>(false)

    /// Suspends until resolved; `nil` means the deadline passed first — or, when
    /// `cancellable`, that the calling task was cancelled. `register` publishes the
    /// one-shot to whoever will resolve it (and may resolve it at once); `unregister`
    /// runs when it ended unresolved (timed out or cancelled), to forget it there.
    nonisolated(nonsending)
    package static func wait(
        deadline: Timeout, clock: any SupervisionClock, cancellable: Bool = false,
        register: (OneShot<Value>) -> Void, unregister: (OneShot<Value>) -> Void = { _ in }
    ) async -> Value? {
        let oneShot = OneShot<Value>()
        let value: Value?
        if cancellable {
            value = await withTaskCancellationHandler {
                await withUnsafeContinuation { continuation in
                    oneShot.publish(continuation, deadline: deadline, clock: clock)
                    register(oneShot)
                    // Cancelled before the handler could see the continuation: end it here.
                    if Task.isCancelled { oneShot.fire() }
                }
            } onCancel: {
                if oneShot.published.load(ordering: .acquiring) { oneShot.fire() }
            }
        } else {
            value = await withUnsafeContinuation { continuation in
                oneShot.publish(continuation, deadline: deadline, clock: clock)
                register(oneShot)
            }
        }
        if value == nil { unregister(oneShot) }
        return value
    }

    /// Stores the waiter's continuation and arms the deadline, before anyone can resolve.
    private func publish(_ continuation: UnsafeContinuation<Value?, Never>, deadline: Timeout, clock: any SupervisionClock) {
        self.continuation = continuation
        published.store(true, ordering: .releasing)
        if case .after(let delay) = deadline {
            clock.schedule(self, after: delay)
        }
    }

    /// Resolves with `value`. Returns `false` if something else won.
    @usableFromInline @discardableResult
    package func resolve(_ value: Value) -> Bool {
        guard claim() else { return false }
        continuation.unsafelyUnwrapped.resume(returning: value)
        return true
    }

    private func claim() -> Bool {
        claimed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
    }

    @usableFromInline
    package var isSettled: Bool { claimed.load(ordering: .acquiring) }

    @usableFromInline
    package func fire() {
        if claim() { continuation.unsafelyUnwrapped.resume(returning: nil) }
    }
}
