import InspectorProtocol
import PoolInspector

/// The link of the built-in demo's dashboard: the same protocol, line for line, to an
/// inspector in this process.
final class LocalLink: DashboardLink {
    private let connection: InMemoryConnection
    private let outgoing: AsyncStream<[UInt8]>.Continuation
    private let sender: Task<Void, Never>

    init?(inspector: Inspector, mailbox: Mailbox) {
        guard let connection = inspector.connectInMemory(receive: { line in
            guard let message = try? WireCodec.serverMessage(Array(line.dropLast())) else { return }
            if case .reply(0, .hello(let hello)) = message {
                mailbox.post(.connected(hello))
            } else {
                mailbox.post(.message(message))
            }
        }) else { return nil }
        self.connection = connection
        let (lines, outgoing) = AsyncStream<[UInt8]>.makeStream()
        self.outgoing = outgoing
        sender = Task {
            for await line in lines { await connection.send(line) }
        }
        outgoing.yield(WireCodec.line(RequestEnvelope(id: 0, .hello(ClientHello(client: "pooltui (built-in demo)")))))
    }

    func send(_ requests: [RequestEnvelope]) {
        for request in requests { outgoing.yield(WireCodec.line(request)) }
    }

    func close() {
        outgoing.finish()
        sender.cancel()
        connection.close()
    }
}
