import InspectorProtocol
import NIOCore
import NIOPosix
import ScalableLocks

#if canImport(Glibc)
import Glibc
#endif

/// A connection to an app's inspector, as `pooltui attach` makes it: says hello, then
/// sends requests and hands every line from the app to the caller.
///
/// Two ways to use it: ``request(_:)`` awaits a request's reply (scripts, `--once`);
/// `send(_:)` fires one whose reply, like every push, goes to the `onMessage` handler
/// (the dashboard, which must never wait on the network).
public final class InspectorClient: Sendable {
    /// Why a connection could not be made or was lost, as a sentence for the person.
    public struct ConnectionError: Error, Sendable, Hashable, CustomStringConvertible {
        /// What went wrong, as a sentence for the person.
        public var message: String
        /// The app answered with a protocol error (another version, refused …).
        public var protocolError: ProtocolError?

        /// An error saying `message`, with the app's `protocolError` if it answered one.
        public init(_ message: String, protocolError: ProtocolError? = nil) {
            self.message = message
            self.protocolError = protocolError
        }

        /// The ``message``.
        public var description: String { message }
    }

    typealias Connection = NIOAsyncChannel<LineFramer.Frame, ByteBuffer>

    /// Points in a connection's life where a test can step in (``helloSeam``).
    package enum HelloStep: Sendable {
        /// The writer is about to write its first line (the hello).
        case beforeWriting
        /// The connection's channel has closed (the app hung up, or a write failed).
        case closed
        /// The connection has ended and said why to whoever awaits the hello.
        case ended
        /// `connect` is about to await the app's answer to its hello.
        case beforeAwaitingHello
    }

    /// Testing only: awaited at each ``HelloStep`` of the connections made in its scope,
    /// so that a test can order the writer, the reader, the caller and the app (a refusal
    /// read, the connection ended, and only then the caller looks) without waiting for
    /// time to pass.
    @TaskLocal package static var helloSeam: (@Sendable (HelloStep) async -> Void)?

    private struct State {
        var nextID: Int64 = 1
        var waiting: [Int64: CheckedContinuation<ServerMessage, Never>] = [:]
        var closed: String?
    }

    /// The state the connection's task and the client share.
    private final class Shared: Sendable {
        let state = Lock(State())
        init() {}
        func withLock<Result: Sendable>(_ body: (inout sending State) -> sending Result) -> Result { state.withLock(body) }
    }

    /// The socket it is connected to.
    public let path: String
    /// The app's hello.
    public let hello: ServerHello
    private let state: Shared
    private let outgoing: AsyncStream<[UInt8]>.Continuation
    private let task: Task<Void, Never>

    private init(path: String, hello: ServerHello, state: Shared, outgoing: AsyncStream<[UInt8]>.Continuation,
                 task: Task<Void, Never>) {
        self.path = path
        self.hello = hello
        self.state = state
        self.outgoing = outgoing
        self.task = task
    }

    /// Connects to the inspector socket at `path` and says hello.
    ///
    /// - Parameters:
    ///   - path: the socket (from `AppFinder` or `pooltui ls`).
    ///   - client: the name the app's log gives this client.
    ///   - timeout: how long the app may take to say hello.
    ///   - onMessage: every line from the app that no ``request(_:)`` awaits: replies to
    ///     `send(_:)`, pushes, errors without an id. Called on the connection's task, in
    ///     order.
    ///   - onClose: called once when the connection ends, with why.
    /// - Throws: ``ConnectionError`` when nothing listens, the user may not connect,
    ///   the app refuses (another protocol version, another user), or says nothing
    ///   within `timeout`.
    public static func connect(
        path: String, client: String = "pooltui", timeout: Duration = .seconds(5),
        onMessage: @escaping @Sendable (ServerMessage) -> Void = { _ in },
        onClose: @escaping @Sendable (String) -> Void = { _ in }
    ) async throws(ConnectionError) -> InspectorClient {
        var connection: Connection?
        // A listener whose queue of new connections is full answers EAGAIN: it is busy,
        // not gone. Try again for a while.
        for attempt in 0..<50 {
            do {
                connection = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .connect(unixDomainSocketPath: path) { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineFrameDecoder()))
                            return try Connection(wrappingChannelSynchronously: channel)
                        }
                    }
                break
            } catch let error as IOError where error.errnoCode == EAGAIN && attempt < 49 {
                try? await Task.sleep(for: .milliseconds(20))
            } catch let error as IOError {
                switch error.errnoCode {
                case ENOENT: throw ConnectionError("no socket at \(path)")
                case ECONNREFUSED: throw ConnectionError("nothing listens on \(path): the app that made it has exited")
                case EACCES, EPERM: throw ConnectionError("not allowed to connect to \(path): it belongs to another user")
                default: throw ConnectionError("cannot connect to \(path): \(SocketDirectory.errorText(error.errnoCode))")
                }
            } catch {
                throw ConnectionError("cannot connect to \(path): \(error)")
            }
        }
        guard let connection else { throw ConnectionError("cannot connect to \(path): the app is too busy to accept") }
        let state = Shared()
        let (lines, outgoing) = AsyncStream<[UInt8]>.makeStream()
        // The first answer wins: a refusal read before the connection ends is what the
        // person is told, not the "connection lost" or the timeout that follow it.
        let (greeting, greeted) = AsyncStream<Result<ServerHello, ConnectionError>>.makeStream(bufferingPolicy: .bufferingOldest(1))
        let task = Task {
            let reason = await run(connection, lines: lines, state: state, onMessage: onMessage, greeted: greeted)
            greeted.yield(.failure(ConnectionError(reason)))
            greeted.finish()
            await helloSeam?(.ended)
            let waiting = state.withLock { state -> [CheckedContinuation<ServerMessage, Never>] in
                state.closed = reason
                defer { state.waiting = [:] }
                return Array(state.waiting.values)
            }
            for waiter in waiting { waiter.resume(returning: .failure(id: nil, ProtocolError(.malformed, reason))) }
            onClose(reason)
        }
        outgoing.yield(WireCodec.line(RequestEnvelope(id: 0, .hello(ClientHello(client: client)))))
        let timer = Task {
            try? await Task.sleep(for: timeout)
            greeted.yield(.failure(ConnectionError("the app at \(path) did not answer the hello within \(timeout)")))
        }
        defer { timer.cancel() }
        await helloSeam?(.beforeAwaitingHello)
        var result: Result<ServerHello, ConnectionError> = .failure(ConnectionError("the connection to \(path) ended"))
        for await first in greeting {
            result = first
            break
        }
        switch result {
        case .success(let hello):
            guard hello.protocolVersion == InspectorWire.protocolVersion else {
                outgoing.finish()
                task.cancel()
                throw ConnectionError("the app \(hello.app) speaks pooltui protocol \(hello.protocolVersion) and this pooltui speaks \(InspectorWire.protocolVersion): use a pooltui built with the app's PoolInspector version")
            }
            return InspectorClient(path: path, hello: hello, state: state, outgoing: outgoing, task: task)
        case .failure(let error):
            outgoing.finish()
            task.cancel()
            throw error
        }
    }

    /// Reads and writes until the connection ends; returns why it ended.
    private static func run(
        _ connection: Connection, lines: AsyncStream<[UInt8]>, state: Shared,
        onMessage: @escaping @Sendable (ServerMessage) -> Void,
        greeted: AsyncStream<Result<ServerHello, ConnectionError>>.Continuation
    ) async -> String {
        do {
            return try await connection.executeThenClose { inbound, outbound in
                try await withThrowingTaskGroup(of: String?.self) { group in
                    let seam = helloSeam
                    if let seam {
                        connection.channel.closeFuture.whenComplete { _ in Task { await seam(.closed) } }
                    }
                    group.addTask {
                        do {
                            var first = true
                            for await line in lines {
                                if first { await seam?(.beforeWriting) }
                                first = false
                                try await outbound.write(ByteBuffer(bytes: line))
                            }
                            return "closed"
                        } catch {
                            // The app may have answered and closed (a refusal: too many
                            // clients, another user): what it said is still to be read.
                            // A failed write closes the channel, so the reader ends soon
                            // and says why; it must not be cancelled before it has read.
                            return nil
                        }
                    }
                    group.addTask {
                        for try await frame in inbound {
                            guard case .line(let line) = frame else { continue }
                            let message: ServerMessage
                            do {
                                message = try WireCodec.serverMessage(line)
                            } catch {
                                onMessage(.failure(id: nil, ProtocolError(.malformed, "the app sent a line this pooltui cannot read: \((error as? ProtocolError)?.message ?? "\(error)")")))
                                continue
                            }
                            switch message {
                            case .reply(0, .hello(let hello)):
                                greeted.yield(.success(hello))
                                continue
                            case .failure(let id, let error) where id == 0 || id == nil && error.code != .malformed:
                                greeted.yield(.failure(ConnectionError(error.message, protocolError: error)))
                                if id == 0 { continue }
                            default:
                                break
                            }
                            let id: Int64?
                            switch message {
                            case .reply(let replyID, _): id = replyID
                            case .failure(let failureID, _): id = failureID
                            case .push: id = nil
                            }
                            if let id, let waiter = state.withLock({ $0.waiting.removeValue(forKey: id) }) {
                                waiter.resume(returning: message)
                            } else {
                                onMessage(message)
                            }
                        }
                        return "the app closed the connection"
                    }
                    // The first task to end with a reason ends the connection.
                    while let ended = try await group.next() {
                        guard let reason = ended else { continue }
                        group.cancelAll()
                        return reason
                    }
                    return "closed"
                }
            }
        } catch {
            return "the connection was lost: \(error)"
        }
    }

    /// Sends a request; its reply goes to `onMessage`. Returns its id.
    @discardableResult
    public func send(_ request: Request) -> Int64 {
        let id = state.withLock { state -> Int64 in
            defer { state.nextID += 1 }
            return state.nextID
        }
        outgoing.yield(WireCodec.line(RequestEnvelope(id: id, request)))
        return id
    }

    /// Sends a request with an id of the caller's (a dashboard that tracks its own).
    public func send(_ envelope: RequestEnvelope) {
        outgoing.yield(WireCodec.line(envelope))
    }

    /// Sends a request and waits for its reply.
    ///
    /// - Throws: the app's `ProtocolError` for the request, or one with code
    ///   `malformed` when the connection ended first.
    public func request(_ request: Request) async throws(ProtocolError) -> Reply {
        let message: ServerMessage = await withCheckedContinuation { continuation in
            let id = state.withLock { state -> Int64? in
                guard state.closed == nil else { return nil }
                let id = state.nextID
                state.nextID += 1
                state.waiting[id] = continuation
                return id
            }
            guard let id else {
                continuation.resume(returning: .failure(id: nil, ProtocolError(.malformed, "the connection is closed")))
                return
            }
            outgoing.yield(WireCodec.line(RequestEnvelope(id: id, request)))
        }
        switch message {
        case .reply(_, let reply): return reply
        case .failure(_, let error): throw error
        case .push: throw ProtocolError(.malformed, "a push where a reply was expected")
        }
    }

    /// Closes the connection.
    public func close() {
        outgoing.finish()
        task.cancel()
    }

    /// Waits until the connection has ended.
    public func waitUntilClosed() async {
        await task.value
    }
}
