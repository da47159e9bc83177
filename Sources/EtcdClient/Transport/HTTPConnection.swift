import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import ScalableLocks

/// One keep-alive HTTP/1.1 connection to one etcd member, on swift-nio. Requests run one
/// at a time, in order; a streamed request (a watch) keeps the connection for itself.
///
/// Any failure — a refused connect, a reset, a request past its timeout, an answer that
/// is not HTTP — closes the connection and fails the request at hand and every queued one
/// with ``EtcdError/Code/unavailable`` or ``EtcdError/Code/timeout``; the client then
/// opens a new one (or tries another member).
final class HTTPConnection: Sendable {
    typealias Channel = NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>

    /// A request's answer: its status and whole body.
    struct Response: Sendable {
        var status: Int
        var body: [UInt8]
    }

    /// Where a request's answer goes, exactly once.
    final class Reply: Sendable {
        private let state = Lock<(CheckedContinuation<Response, any Error>?, done: Bool)>((nil, false))

        func install(_ continuation: CheckedContinuation<Response, any Error>) {
            let early = state.withLock { state -> Bool in
                if state.done { return true }
                state.0 = continuation
                return false
            }
            if early { continuation.resume(throwing: EtcdError(.unavailable, "the connection closed")) }
        }

        func settle(_ result: Result<Response, EtcdError>) {
            let continuation = state.withLock { state -> CheckedContinuation<Response, any Error>? in
                guard !state.done else { return nil }
                state.done = true
                defer { state.0 = nil }
                return state.0
            }
            continuation?.resume(with: result.mapError { $0 as any Error })
        }
    }

    struct Job: Sendable {
        var path: String
        var body: [UInt8]
        var reply: Reply
        /// For a streamed request: each chunk of the body as it arrives.
        var chunks: AsyncStream<[UInt8]>.Continuation?
    }

    let endpoint: EtcdEndpoint
    private let jobs: AsyncStream<Job>.Continuation
    private let channel: any NIOCore.Channel
    private let isClosed = Atomic<Bool>(false)

    private init(endpoint: EtcdEndpoint, channel: Channel) {
        self.endpoint = endpoint
        self.channel = channel.channel
        let (stream, jobs) = AsyncStream<Job>.makeStream()
        self.jobs = jobs
        Task { [self] in
            await serve(channel, jobs: stream)
        }
    }

    /// Connects to `endpoint`, within `timeout`.
    static func connect(to endpoint: EtcdEndpoint, timeout: Duration) async throws(EtcdError) -> HTTPConnection {
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.milliseconds(Int64(timeout.milliseconds)))
                .channelOption(.socketOption(.so_reuseaddr), value: 1)
                .channelOption(.tcpOption(.tcp_nodelay), value: 1)
                .connect(host: endpoint.host, port: endpoint.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        return try Channel(wrappingChannelSynchronously: channel)
                    }
                }
            return HTTPConnection(endpoint: endpoint, channel: channel)
        } catch {
            throw EtcdError(.unavailable, "\(endpoint): cannot connect (\(error))")
        }
    }

    /// Closed here, or by the member (a pooled connection the server dropped).
    var closed: Bool { isClosed.load(ordering: .acquiring) || !channel.isActive }

    /// POSTs `body` (JSON) to `path` and returns the whole answer, within `timeout`.
    func post(_ path: String, _ body: [UInt8], timeout: Duration) async throws(EtcdError) -> Response {
        let reply = Reply()
        guard !closed else { throw EtcdError(.unavailable, "\(endpoint): the connection is closed") }
        let timer = Task { [self] in
            try await Task.sleep(for: timeout)
            reply.settle(.failure(EtcdError(.timeout, "\(endpoint) did not answer \(path) within \(timeout)")))
            close()
        }
        defer { timer.cancel() }
        do {
            return try await withCheckedThrowingContinuation { continuation in
                reply.install(continuation)
                if case .terminated = jobs.yield(Job(path: path, body: body, reply: reply, chunks: nil)) {
                    reply.settle(.failure(EtcdError(.unavailable, "\(endpoint): the connection is closed")))
                }
            }
        } catch let error as EtcdError {
            throw error
        } catch {
            throw EtcdError(.unavailable, "\(endpoint): \(error)")
        }
    }

    /// POSTs `body` to `path` and streams the answer's body, chunk by chunk, until the
    /// server ends it or the connection closes. The connection serves nothing else after.
    func stream(_ path: String, _ body: [UInt8]) -> AsyncStream<[UInt8]> {
        let (chunks, continuation) = AsyncStream<[UInt8]>.makeStream()
        let reply = Reply()
        continuation.onTermination = { [self] _ in close() }
        if closed {
            continuation.finish()
        } else {
            jobs.yield(Job(path: path, body: body, reply: reply, chunks: continuation))
        }
        return chunks
    }

    /// Closes the connection; queued and running requests fail.
    func close() {
        guard !isClosed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        jobs.finish()
        channel.close(promise: nil)
    }

    private func serve(_ channel: Channel, jobs: AsyncStream<Job>) async {
        var current: Job?
        do {
            try await channel.executeThenClose { inbound, outbound in
                var responses = inbound.makeAsyncIterator()
                for await job in jobs {
                    current = job
                    var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: job.path)
                    head.headers.add(name: "Host", value: "\(endpoint.host):\(endpoint.port)")
                    head.headers.add(name: "Content-Type", value: "application/json")
                    head.headers.add(name: "Content-Length", value: "\(job.body.count)")
                    try await outbound.write(.head(head))
                    try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: job.body))))
                    try await outbound.write(.end(nil))
                    var status = 0
                    var body: [UInt8] = []
                    reading: while let part = try await responses.next() {
                        switch part {
                        case .head(let response):
                            status = Int(response.status.code)
                        case .body(let buffer):
                            if let chunks = job.chunks {
                                chunks.yield(Array(buffer.readableBytesView))
                            } else {
                                body.append(contentsOf: buffer.readableBytesView)
                                guard body.count <= 64 << 20 else {
                                    throw EtcdError(.malformed, "\(endpoint): an answer over 64 MiB")
                                }
                            }
                        case .end:
                            break reading
                        }
                    }
                    guard status != 0 else { throw EtcdError(.unavailable, "\(endpoint) closed the connection") }
                    job.chunks?.finish()
                    job.reply.settle(.success(Response(status: status, body: body)))
                    current = nil
                    if job.chunks != nil { break }
                }
            }
        } catch {
            let failure = (error as? EtcdError) ?? EtcdError(.unavailable, "\(endpoint): \(error)")
            current?.reply.settle(.failure(failure))
            current?.chunks?.finish()
        }
        close()
        // Whatever was queued behind fails too.
        for await job in jobs {
            job.reply.settle(.failure(EtcdError(.unavailable, "\(endpoint): the connection closed")))
            job.chunks?.finish()
        }
    }
}

extension Duration {
    var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1_000 + Double(attoseconds) / 1e15
    }
}
