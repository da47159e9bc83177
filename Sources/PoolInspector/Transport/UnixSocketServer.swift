import InspectorProtocol
import Logging
import NIOCore
import NIOPosix
import ScalableLocks
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The inspector's transport: a Unix domain socket on swift-nio, one event-loop thread,
/// each client a ``InspectorSession``.
///
/// Before anything is read from a client, the kernel's word on who it is
/// (`SO_PEERCRED`) decides whether it may attach: the app's own user, or root. Anyone
/// else is told why, and the app logs it.
final class UnixSocketServer: Sendable {
    typealias Connection = NIOAsyncChannel<LineFramer.Frame, ByteBuffer>

    let path: String
    private let group: MultiThreadedEventLoopGroup
    private let acceptor: Task<Void, Never>
    private let channel: any Channel
    private let accepted: Accepted

    /// Connections accepted and not yet served. swift-nio's server stream drops a
    /// connection that completes its setup while the server is closing, and a dropped
    /// `NIOAsyncChannel` traps; holding each here until it is served (or, at stop,
    /// closed) keeps every one accounted for.
    final class Accepted: Sendable {
        private let connections = Lock<[ObjectIdentifier: Connection]>([:])

        func add(_ connection: Connection) {
            connections.withLock { $0[ObjectIdentifier(connection.channel)] = connection }
        }

        func take(_ connection: Connection) {
            _ = connections.withLock { $0.removeValue(forKey: ObjectIdentifier(connection.channel)) }
        }

        func takeAll() -> [Connection] {
            connections.withLock { connections in
                defer { connections = [:] }
                return Array(connections.values)
            }
        }
    }

    /// How long a refused client has to send its first line (which is read and dropped)
    /// before its connection is closed.
    static let refusalGrace = Duration.seconds(1)
    /// How many refused connections may wait out their grace at once; past that, a
    /// refused client is closed as soon as it is told why, so that a client refused in a
    /// loop cannot pile up connections.
    static let maxRefusalsWaiting = 64

    private init(path: String, group: MultiThreadedEventLoopGroup, acceptor: Task<Void, Never>, channel: any Channel,
                 accepted: Accepted) {
        self.path = path
        self.group = group
        self.acceptor = acceptor
        self.channel = channel
        self.accepted = accepted
    }

    /// Binds `path` (which must not exist) and serves `service` on it; the socket file
    /// is made private (0600) before this returns.
    static func start(path: String, service: InspectorService) async throws(InspectorError) -> UnixSocketServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let accepted = Accepted()
        let server: NIOAsyncChannel<Connection, Never>
        do {
            server = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 1_024)
                .bind(unixDomainSocketPath: path,
                      serverBackPressureStrategy: .init(lowWatermark: 64, highWatermark: 512)) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineFrameDecoder()))
                        let connection = try Connection(wrappingChannelSynchronously: channel)
                        accepted.add(connection)
                        return connection
                    }
                }
        } catch {
            try? await group.shutdownGracefully()
            throw InspectorError(.bind, "cannot serve on \(path): \(error)")
        }
        guard chmod(path, 0o600) == 0 else {
            let reason = SocketDirectory.errorText(errno)
            try? await server.channel.close()
            try? await group.shutdownGracefully()
            throw InspectorError(.bind, "cannot make \(path) private (mode 0600): \(reason)")
        }
        let owner = geteuid()
        let refusals = RefusalsWaiting()
        // Connections are served on the inspector's own thread (their task groups inherit it).
        let acceptor = Task(executorPreference: service.executor) {
            do {
                try await server.executeThenClose { connections in
                    await withDiscardingTaskGroup { clients in
                        do {
                            for try await connection in connections {
                                accepted.take(connection)
                                clients.addTask { await serve(connection, service: service, owner: owner, refusals: refusals) }
                            }
                        } catch {
                            // The listening socket closed: the inspector is stopping.
                        }
                    }
                }
            } catch {
                service.logger.debug("inspector socket \(path) closed: \(error)")
            }
        }
        return UnixSocketServer(path: path, group: group, acceptor: acceptor, channel: server.channel, accepted: accepted)
    }

    /// Stops accepting and removes the socket file; then, once `closeSessions` has told
    /// every session to end (each connection closes when its queue is sent), waits for
    /// the connections to finish.
    ///
    /// A client that does not read what is queued for it is cut off after ``stopGrace``.
    func stop(closeSessions: () -> Void) async {
        try? await channel.close()
        unlink(path)
        closeSessions()
        let acceptor = self.acceptor
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await acceptor.value }
            group.addTask {
                try? await Task.sleep(for: Self.stopGrace)
                acceptor.cancel()
            }
            await group.next()
            group.cancelAll()
        }
        await acceptor.value
        for leftover in accepted.takeAll() {
            try? await leftover.executeThenClose { _, _ in }
        }
        try? await group.shutdownGracefully()
    }

    /// How long ``stop(closeSessions:)`` lets connections send what is queued.
    static let stopGrace = Duration.seconds(1)

    private static func serve(_ connection: Connection, service: InspectorService, owner: UInt32,
                              refusals: RefusalsWaiting) async {
        do {
            // Every accepted connection goes through `executeThenClose`, even one refused
            // at once: that is what closes it.
            try await connection.executeThenClose { inbound, outbound in
                // Says why, then lets the client's first line (its hello) in before
                // closing: a socket closed before the client wrote would fail that write
                // (EPIPE), and the client would report a broken pipe instead of the reason.
                func refuse(_ error: ProtocolError) async throws {
                    try await outbound.write(ByteBuffer(bytes: WireCodec.line(ServerMessage.failure(id: nil, error))))
                    guard refusals.begin() else { return }
                    defer { refusals.end() }
                    await withTaskGroup(of: Void.self) { group in
                        group.addTask {
                            do {
                                for try await _ in inbound { return }
                            } catch {}  // gone: nothing to wait for
                        }
                        group.addTask { try? await Task.sleep(for: Self.refusalGrace) }
                        await group.next()
                        group.cancelAll()
                    }
                }
                let peer = try await {
                    do {
                        return try await PeerCredentials.of(connection.channel)
                    } catch {
                        // A client that only checked that something listens is gone
                        // already; anything else is worth a warning.
                        if connection.channel.isActive {
                            service.logger.warning("inspector: refused a client whose credentials cannot be read: \(error)")
                        }
                        throw error
                    }
                }()
                guard peer.mayAttach(toAppOf: owner) else {
                    service.logger.warning("inspector: refused a client of another user (\(peer)); only uid \(owner) and root may attach")
                    try await refuse(ProtocolError(.refused, "this app runs as uid \(owner) and accepts clients of that user or root only; you are uid \(peer.uid)"))
                    return
                }
                let session: InspectorSession
                switch service.openSession(peer: peer.description) {
                case .opened(let opened):
                    session = opened
                case .full:
                    service.logger.warning("inspector: refused \(peer): \(service.options.maxClients) clients attached already")
                    try await refuse(ProtocolError(.tooManyClients, "this app serves at most \(service.options.maxClients) clients at once; try again later"))
                    return
                case .stopping:
                    try await refuse(ProtocolError(.tooManyClients, "the app's inspector is stopping"))
                    return
                }
                defer { service.closeSession(session) }
                try await withThrowingTaskGroup(of: Bool.self) { group in
                    group.addTask {
                        do {
                            while let line = await session.outbox.next() {
                                try await outbound.write(ByteBuffer(bytes: line))
                            }
                        } catch {
                            session.ended()  // the client is gone: wake a reader waiting for room
                            throw error
                        }
                        return true  // the writer finished: the session closed itself
                    }
                    group.addTask {
                        do {
                            for try await frame in inbound {
                                await session.receive(frame)
                                if session.isClosing { break }
                            }
                        } catch {
                            session.ended()
                            throw error
                        }
                        return false  // the client closed its side
                    }
                    let writerFirst = try await group.next() ?? true
                    if writerFirst {
                        group.cancelAll()
                    } else {
                        session.outbox.close()  // send what is queued, then end
                        _ = try await group.next()
                    }
                }
            }
        } catch {
            // The client went away mid-reply, or sent garbage the channel refused: its
            // session ends, nothing else does.
            service.logger.debug("inspector: a client disconnected: \(error)")
        }
    }
}

/// Refused connections waiting out their grace (``UnixSocketServer/refusalGrace``), at
/// most ``UnixSocketServer/maxRefusalsWaiting`` at once.
final class RefusalsWaiting: Sendable {
    private let count = Atomic<Int>(0)

    /// Takes a place, or returns `false` if all are taken.
    func begin() -> Bool {
        if count.wrappingAdd(1, ordering: .relaxed).newValue <= UnixSocketServer.maxRefusalsWaiting { return true }
        count.wrappingSubtract(1, ordering: .relaxed)
        return false
    }

    /// Gives back a place taken by ``begin()``.
    func end() { count.wrappingSubtract(1, ordering: .relaxed) }
}
