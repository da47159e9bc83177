import ScalableLocks

/// A condition that becomes true once — a watch's first look at its registry is done —
/// and the tasks waiting for it.
final class Readiness: Sendable {
    private let state = Lock<(ready: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    init() {}

    var isReady: Bool { state.withLock { $0.ready } }

    /// Makes it true and wakes every waiter.
    func fire() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard !state.ready else { return [] }
            state.ready = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once it is true.
    func wait() async {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Bool in
                if state.ready { return true }
                state.waiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }
}
