import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus

/// Serves a Prometheus collector registry in the text exposition format over HTTP/1.1,
/// for a Prometheus server (or `curl`) to scrape: `GET /metrics`.
///
/// It answers `GET` and `HEAD` of `/metrics` with the registry's current text
/// (`text/plain; version=0.0.4`), any other path with 404 and any other method with
/// 405. Connections are kept alive as the client asks; a request body is read and
/// dropped; a request that does not parse closes its connection (NIO's decoder bounds
/// the head). It binds loopback unless told otherwise: the metrics of an app are not
/// for the whole network by default.
package final class PrometheusEndpoint: Sendable {
    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    /// The address it listens on.
    package let host: String
    /// The port it listens on (the one the OS chose, when asked for port 0).
    package let port: Int
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel
    private let acceptor: Task<Void, Never>

    private init(host: String, port: Int, group: MultiThreadedEventLoopGroup, channel: any Channel, acceptor: Task<Void, Never>) {
        self.host = host
        self.port = port
        self.group = group
        self.channel = channel
        self.acceptor = acceptor
    }

    /// Binds `host:port` and serves `registry` until ``stop()``.
    ///
    /// - Throws: ``PrometheusEndpointError`` when the address cannot be bound (in use,
    ///   not local, not an address).
    package static func start(
        registry: PrometheusCollectorRegistry, host: String = "127.0.0.1", port: Int = 0
    ) async throws(PrometheusEndpointError) -> PrometheusEndpoint {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server: NIOAsyncChannel<Connection, Never>
        do {
            server = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 256)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        return try Connection(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            try? await group.shutdownGracefully()
            throw PrometheusEndpointError(address: "\(host):\(port)", reason: "\(error)")
        }
        let bound = server.channel.localAddress?.port ?? port
        let acceptor = Task<Void, Never> {
            try? await server.executeThenClose { connections in
                await withDiscardingTaskGroup { clients in
                    do {
                        for try await connection in connections {
                            clients.addTask { await serve(connection, registry: registry) }
                        }
                    } catch {
                        // The listening socket closed: the endpoint is stopping.
                    }
                }
            }
        }
        return PrometheusEndpoint(host: host, port: bound, group: group, channel: server.channel, acceptor: acceptor)
    }

    /// Stops listening, closes open connections and waits for them.
    package func stop() async {
        try? await channel.close()
        acceptor.cancel()
        await acceptor.value
        try? await group.shutdownGracefully()
    }

    private static func serve(_ connection: Connection, registry: PrometheusCollectorRegistry) async {
        try? await connection.executeThenClose { inbound, outbound in
            var request: HTTPRequestHead?
            for try await part in inbound {
                switch part {
                case .head(let head):
                    request = head
                case .body:
                    continue  // nothing here takes a body
                case .end:
                    guard let head = request else { continue }
                    request = nil
                    let response = respond(to: head, registry: registry)
                    try await outbound.write(.head(response.head))
                    if head.method != .HEAD, let body = response.body { try await outbound.write(.body(.byteBuffer(body))) }
                    try await outbound.write(.end(nil))
                    if !head.isKeepAlive { return }
                }
            }
        }
    }

    /// What a request gets: the metrics, or why not.
    static func respond(to request: HTTPRequestHead, registry: PrometheusCollectorRegistry) -> (head: HTTPResponseHead, body: ByteBuffer?) {
        let path = request.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? request.uri
        let status: HTTPResponseStatus
        let text: [UInt8]
        var headers = HTTPHeaders()
        if request.method != .GET && request.method != .HEAD {
            status = .methodNotAllowed
            headers.add(name: "Allow", value: "GET, HEAD")
            text = Array("only GET and HEAD are served\n".utf8)
        } else if path == "/metrics" {
            status = .ok
            text = registry.emitToBuffer()
        } else {
            status = .notFound
            text = Array("not found: the metrics are at /metrics\n".utf8)
        }
        headers.add(name: "Content-Type", value: status == .ok ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain; charset=utf-8")
        headers.add(name: "Content-Length", value: "\(text.count)")
        headers.add(name: "Connection", value: request.isKeepAlive ? "keep-alive" : "close")
        return (HTTPResponseHead(version: request.version, status: status, headers: headers), ByteBuffer(bytes: text))
    }
}

/// An endpoint that could not start: the address, and why.
package struct PrometheusEndpointError: Error, CustomStringConvertible {
    /// The address it was asked to bind.
    package var address: String
    /// What the OS (or NIO) said.
    package var reason: String

    /// `cannot serve metrics on ADDRESS: REASON`.
    package var description: String { "cannot serve metrics on \(address): \(reason)" }
}
