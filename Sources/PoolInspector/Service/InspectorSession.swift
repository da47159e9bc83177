import InspectorProtocol
import Logging
import ScalableLocks

/// One client of the inspector, whatever carries its bytes (a Unix socket, or memory in
/// tests and the built-in demo): reads request lines, answers them through its
/// ``SessionOutbox``, and receives pushes while it is subscribed.
///
/// Requests are served concurrently — a command that takes seconds never holds up a
/// read — at most ``maxInFlight`` at once; the transport reads the next line only after
/// ``receive(_:)`` returns, which waits while too many are in flight or too many reply
/// bytes wait, so a client that floods requests or never reads is simply no longer read.
final class InspectorSession: Sendable {
    let id: UInt64
    /// Who is on the other end, as the transport knows it (`pid 123, uid 0`).
    let peer: String
    let outbox: SessionOutbox
    static let maxInFlight = 16

    private struct State {
        var phase = SessionState.awaitingHello
        var subscribed = false
        var inFlight = 0
        var slotWaiters: [CheckedContinuation<Void, Never>] = []
        var tasks: [UInt64: Task<Void, Never>] = [:]
        var nextTask: UInt64 = 0
    }

    private let state = Lock(State())
    private let service: InspectorService

    init(id: UInt64, peer: String, service: InspectorService, replyLimit: Int, pushLimit: Int) {
        self.id = id
        self.peer = peer
        self.service = service
        self.outbox = SessionOutbox(replyLimit: replyLimit, pushLimit: pushLimit)
    }

    /// The client's name once it said hello.
    var client: String? {
        if case .ready(let client) = state.withLock({ $0.phase }) { return client }
        return nil
    }

    var isSubscribed: Bool { state.withLock { $0.subscribed } }

    func setSubscribed(_ value: Bool) { state.withLock { $0.subscribed = value } }

    var isClosing: Bool { state.withLock { $0.phase == .closing } }

    /// Handles one frame from the transport; returns when the next may be read.
    func receive(_ frame: LineFramer.Frame) async {
        switch frame {
        case .tooLong(let bytes):
            outbox.reply(WireCodec.line(ServerMessage.failure(id: nil, ProtocolError(
                .lineTooLong, "a line of \(bytes) bytes is longer than the \(InspectorWire.maxLineBytes) allowed; it was skipped"))))
        case .line(let line):
            await receive(line: line)
        }
        await outbox.waitForRoom()
    }

    private func receive(line: [UInt8]) async {
        let envelope: RequestEnvelope
        switch WireCodec.request(line) {
        case .success(let decoded): envelope = decoded
        case .failure(let failure):
            outbox.reply(WireCodec.line(ServerMessage.failure(id: failure.id, failure.error)))
            return
        }
        switch state.withLock({ $0.phase.admit(op: envelope.request.op) }) {
        case .ignore:
            return
        case .helloFirst:
            outbox.reply(WireCodec.line(ServerMessage.failure(id: envelope.id, ProtocolError(
                .helloRequired, "say hello first: {\"id\":1,\"op\":\"hello\",\"protocol\":\(InspectorWire.protocolVersion),\"client\":\"…\"}"))))
            return
        case .serve:
            break
        }
        switch envelope.request {
        case .hello(let greeting):
            hello(greeting, id: envelope.id)
        case .subscribe(let query):
            setSubscribed(query.events)
            outbox.reply(WireCodec.line(ServerMessage.reply(id: envelope.id, .subscribed)))
        default:
            await acquireSlot()
            spawn { [self] in
                let message = await service.respond(envelope, session: self)
                outbox.reply(WireCodec.line(message))
                releaseSlot()
            }
        }
    }

    private func hello(_ hello: ClientHello, id: Int64) {
        let client = "\(hello.client.isEmpty ? "a client" : hello.client) (\(peer))"
        guard hello.protocolVersion == InspectorWire.protocolVersion else {
            let error = ProtocolError(.protocolVersion,
                "this app speaks pooltui protocol \(InspectorWire.protocolVersion) and the client speaks \(hello.protocolVersion): use a pooltui built with the same PoolInspector version as the app")
            service.logger.warning("inspector refused \(client): protocol \(hello.protocolVersion), not \(InspectorWire.protocolVersion)")
            outbox.reply(WireCodec.line(ServerMessage.failure(id: id, error)))
            state.withLock { $0.phase = $0.phase.afterHello(accepted: false, client: client) }
            outbox.close()
            return
        }
        let first = state.withLock { state -> Bool in
            let waiting = state.phase == .awaitingHello
            state.phase = state.phase.afterHello(accepted: true, client: client)
            return waiting
        }
        if first { service.logger.info("inspector: \(client) attached") }
        outbox.reply(WireCodec.line(ServerMessage.reply(id: id, .hello(service.hello()))))
    }

    private func acquireSlot() async {
        let free = state.withLock { state -> Bool in
            guard state.inFlight < Self.maxInFlight || state.phase == .closing else { return false }
            state.inFlight += 1
            return true
        }
        if free { return }
        await withCheckedContinuation { continuation in
            let now = state.withLock { state -> Bool in
                if state.inFlight < Self.maxInFlight {
                    state.inFlight += 1
                    return true
                }
                state.slotWaiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    private func releaseSlot() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if !state.slotWaiters.isEmpty { return state.slotWaiters.removeFirst() }  // the slot passes on
            state.inFlight -= 1
            return nil
        }
        waiter?.resume()
    }

    private func spawn(_ body: @escaping @Sendable () async -> Void) {
        state.withLock { state in
            let key = state.nextTask
            state.nextTask += 1
            state.tasks[key] = Task(executorPreference: service.executor) { [self] in
                await body()
                _ = self.state.withLock { $0.tasks.removeValue(forKey: key) }
            }
        }
    }

    /// The client has gone: drops what it was sent, cancels what it asked.
    func ended() {
        let tasks = state.withLock { state -> [Task<Void, Never>] in
            state.phase = .closing
            state.subscribed = false
            defer { state.tasks = [:] }
            return Array(state.tasks.values)
        }
        for task in tasks { task.cancel() }
        outbox.abandon()
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            defer { state.slotWaiters = [] }
            return state.slotWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Ends the session from the app's side: what is queued still goes out.
    func close() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.phase = .closing
            defer { state.slotWaiters = [] }
            return state.slotWaiters
        }
        outbox.close()
        for waiter in waiters { waiter.resume() }
    }
}
