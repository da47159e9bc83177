import ScalableLocks

/// What the runtime's callbacks post, from any thread, until a drain applies it to the
/// index: a lock and an append for the poster, whose own work (a registration, an exit)
/// is never held up by the index.
///
/// The first post to an empty inbox calls `wake`, so drains happen when there is
/// something to drain and never otherwise. Past `limit` queued inputs, posts are dropped
/// and counted, and the next drain rebuilds the index from the registry instead.
final class Inbox<Input: Sendable>: Sendable {
    private struct State {
        var queue: [Input] = []
        var overflowed = 0
    }

    private let state = Lock(State())
    private let limit: Int
    private let wake: @Sendable () -> Void

    init(limit: Int = 1 << 20, wake: @escaping @Sendable () -> Void) {
        self.limit = limit
        self.wake = wake
    }

    func post(_ input: Input) {
        let first = state.withLock { state -> Bool in
            guard state.queue.count < limit else {
                state.overflowed += 1
                return false
            }
            state.queue.append(input)
            return state.queue.count == 1
        }
        if first { wake() }
    }

    /// Everything posted since the last drain, in order, and how many posts were dropped.
    func drain() -> (inputs: [Input], dropped: Int) {
        state.withLock { state in
            defer {
                state.queue = []
                state.overflowed = 0
            }
            return (state.queue, state.overflowed)
        }
    }
}
