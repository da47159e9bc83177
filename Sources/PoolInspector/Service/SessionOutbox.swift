import DequeModule
import InspectorProtocol
import ScalableLocks

/// The lines waiting to go out to one client, bounded so that a slow or stalled client
/// never slows, blocks or grows the app.
///
/// Replies are never dropped: their bytes are bounded because the client's requests are
/// no longer read while ``replyLimit`` bytes of replies wait (``waitForRoom()``). Pushes
/// are dropped past ``pushLimit``: every push still queued is dropped with it, and one
/// `resync` notice takes their place, telling the client how many it missed; pushes
/// resume once the notice has gone out.
final class SessionOutbox: Sendable {
    private enum Item {
        case reply([UInt8])
        case push([UInt8])
        case resync
    }

    private struct State {
        var items = Deque<Item>()
        var replyBytes = 0
        var pushBytes = 0
        /// Pushes dropped since the last resync notice went out; a notice is queued
        /// while this is positive.
        var missed = 0
        var closed = false
        var writer: CheckedContinuation<[UInt8]?, Never>?
        var roomWaiters: [CheckedContinuation<Void, Never>] = []
    }

    let replyLimit: Int
    let pushLimit: Int
    private let state = Lock(State())

    init(replyLimit: Int, pushLimit: Int) {
        self.replyLimit = replyLimit
        self.pushLimit = pushLimit
    }

    /// Queues a reply.
    func reply(_ line: [UInt8]) {
        enqueue { state in
            state.items.append(.reply(line))
            state.replyBytes += line.count
        }
    }

    /// Queues a push, or drops it (and everything pushed but not yet sent) when the
    /// client is behind. Returns whether it was queued.
    @discardableResult
    func push(_ line: [UInt8]) -> Bool {
        var queued = false
        enqueue { state in
            if state.missed > 0 {
                state.missed += 1
                return
            }
            guard state.pushBytes + line.count <= pushLimit else {
                let dropped = state.items.reduce(0) { count, item in if case .push = item { return count + 1 } else { return count } }
                state.items.removeAll { if case .push = $0 { return true } else { return false } }
                state.pushBytes = 0
                state.missed = dropped + 1
                state.items.append(.resync)
                return
            }
            state.items.append(.push(line))
            state.pushBytes += line.count
            queued = true
        }
        return queued
    }

    private func enqueue(_ body: (inout State) -> Void) {
        let (writer, line) = state.withLock { state -> (CheckedContinuation<[UInt8]?, Never>?, [UInt8]?) in
            guard !state.closed else { return (nil, nil) }
            body(&state)
            guard let writer = state.writer, let line = Self.pop(&state) else { return (nil, nil) }
            state.writer = nil
            return (writer, line)
        }
        if let writer, let line { writer.resume(returning: line) }
        wakeRoomWaiters()
    }

    /// Takes the next line to send (caller holds the lock).
    private static func pop(_ state: inout State) -> [UInt8]? {
        guard let item = state.items.popFirst() else { return nil }
        switch item {
        case .reply(let line):
            state.replyBytes -= line.count
            return line
        case .push(let line):
            state.pushBytes -= line.count
            return line
        case .resync:
            let missed = state.missed
            state.missed = 0
            return WireCodec.line(ServerMessage.push(.resync(
                missed: missed, reason: "this client fell behind: \(missed) pushed updates were dropped rather than slow the app; ask again for what you show")))
        }
    }

    /// The next line for the transport to write, waiting for one; `nil` once closed and
    /// empty.
    func next() async -> [UInt8]? {
        let line: [UInt8]?? = state.withLock { state in
            if let line = Self.pop(&state) { return .some(line) }
            if state.closed { return .some(nil) }
            return nil
        }
        wakeRoomWaiters()
        if let line { return line }
        return await withCheckedContinuation { continuation in
            let ready: [UInt8]?? = state.withLock { state in
                if let line = Self.pop(&state) { return .some(line) }
                if state.closed { return .some(nil) }
                state.writer = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// Returns once fewer than ``replyLimit`` bytes of replies wait (or the outbox is
    /// closed): the reader calls it before it reads another request.
    func waitForRoom() async {
        let roomy = state.withLock { $0.replyBytes < replyLimit || $0.closed }
        if roomy { return }
        await withCheckedContinuation { continuation in
            let now = state.withLock { state -> Bool in
                if state.replyBytes < replyLimit || state.closed { return true }
                state.roomWaiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    private func wakeRoomWaiters() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard !state.roomWaiters.isEmpty, state.replyBytes < replyLimit || state.closed else { return [] }
            defer { state.roomWaiters = [] }
            return state.roomWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Accepts nothing more; ``next()`` returns what is queued, then `nil`.
    func close() {
        let writer = state.withLock { state -> CheckedContinuation<[UInt8]?, Never>? in
            state.closed = true
            guard state.items.isEmpty else { return nil }
            defer { state.writer = nil }
            return state.writer
        }
        writer?.resume(returning: nil)
        wakeRoomWaiters()
    }

    /// Drops everything queued and closes (the client has gone).
    func abandon() {
        let writer = state.withLock { state -> CheckedContinuation<[UInt8]?, Never>? in
            state.closed = true
            state.items = []
            state.replyBytes = 0
            state.pushBytes = 0
            defer { state.writer = nil }
            return state.writer
        }
        writer?.resume(returning: nil)
        wakeRoomWaiters()
    }

    /// Bytes of replies and pushes queued now.
    var queuedBytes: (replies: Int, pushes: Int) { state.withLock { ($0.replyBytes, $0.pushBytes) } }
}
