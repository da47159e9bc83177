import Synchronization

/// A one-time rendezvous that several parties race to resolve — a value, or the deadline
/// passing (the one-shot is its own timer). Exactly one of them wins.
// @unchecked: `continuation` is written once before the one-shot is published (to the
// clock or a waiter), then read only by the single winner of `claimed` (an Atomic).
@usableFromInline
final class OneShot<Value: Sendable>: ScheduledTimer, @unchecked Sendable {
    private let claimed = Atomic<Bool>(false)
    // Written once, before the one-shot is published.
    private var continuation: UnsafeContinuation<Value?, Never>?

    /// Suspends until resolved; `nil` means the deadline passed first. `register`
    /// publishes the one-shot to whoever will resolve it (and may resolve it at once).
    nonisolated(nonsending)
    static func wait(
        deadline: Timeout, clock: any SupervisionClock,
        register: (OneShot<Value>) -> Void
    ) async -> Value? {
        let oneShot = OneShot<Value>()
        return await withUnsafeContinuation { continuation in
            oneShot.continuation = continuation
            if case .after(let delay) = deadline {
                clock.schedule(oneShot, after: delay)
            }
            register(oneShot)
        }
    }

    /// Resolves with `value`. Returns `false` if something else won.
    @usableFromInline @discardableResult
    func resolve(_ value: Value) -> Bool {
        guard claim() else { return false }
        continuation.unsafelyUnwrapped.resume(returning: value)
        return true
    }

    private func claim() -> Bool {
        claimed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
    }

    @usableFromInline
    var isSettled: Bool { claimed.load(ordering: .acquiring) }

    @usableFromInline
    func fire() {
        if claim() { continuation.unsafelyUnwrapped.resume(returning: nil) }
    }
}
