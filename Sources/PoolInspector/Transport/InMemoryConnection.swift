import InspectorProtocol

/// A client of an inspector in the app's own process — the built-in demo's dashboard, a
/// test — that speaks the same protocol, line for line, without a socket.
///
/// Lines sent go to the client's session in order; lines for the client reach
/// `receive`, in order, on a task of their own.
public final class InMemoryConnection: Sendable {
    private let service: InspectorService
    private let session: InspectorSession
    private let writer: Task<Void, Never>

    init?(service: InspectorService, receive: @escaping @Sendable ([UInt8]) -> Void, onClose: @escaping @Sendable () -> Void) {
        guard case .opened(let session) = service.openSession(peer: "in process") else { return nil }
        self.service = service
        self.session = session
        writer = Task {
            while let line = await session.outbox.next() { receive(line) }
            onClose()
        }
    }

    /// Hands request lines (each a JSON object; newlines split them) to the session, and
    /// returns once it may read more.
    public func send(_ bytes: [UInt8]) async {
        var framer = LineFramer()
        var frames: [LineFramer.Frame] = []
        framer.append(bytes) { frames.append($0) }
        for frame in frames { await session.receive(frame) }
    }

    /// Ends the session; queued lines are dropped.
    public func close() {
        service.closeSession(session)
        writer.cancel()
    }

    deinit { close() }
}

extension Inspector {
    /// Attaches a client in this process, without a socket: `receive` gets each line the
    /// server sends (newline included), `onClose` is called once the session has ended
    /// (the app closed it, or the client did). Returns `nil` when ``Options/maxClients``
    /// are attached, or the inspector is stopping.
    public func connectInMemory(receive: @escaping @Sendable ([UInt8]) -> Void,
                                onClose: @escaping @Sendable () -> Void = {}) -> InMemoryConnection? {
        InMemoryConnection(service: service, receive: receive, onClose: onClose)
    }
}
