import Foundation
import InspectorProtocol
@testable import PoolInspector
import Supervision
import Testing
import WorkerRegistry
import Logging
import TestSupport
import ScalableLocks

/// A silent logger for inspectors under test.
let quiet = Logger(label: "inspector-test", factory: { _ in SwiftLogNoOpLogHandler() })

/// A worker that describes its state, counts pings and can be made to block.
struct Talker: GenServer, StateDescribing {
    typealias Arguments = Int
    enum Request: Sendable { case ping, block(Latch, release: Latch) }
    typealias Reply = Int
    let id: Int
    var pings = 0
    static func initialize(_ id: Int) async throws -> InitResult<Talker> { .ok(Talker(id: id)) }
    mutating func handleCall(_ request: Request, from caller: Caller<Int>) async throws -> CallResult<Int> {
        switch request {
        case .ping:
            pings += 1
            return .reply(pings)
        case .block(let entered, let release):
            entered.fire()
            await release.wait()
            return .reply(0)
        }
    }
    func describeState() -> String { "worker \(id)\u{1B}[31m pings \(pings)" }
}

/// A worker whose starts fail once its argument is refused: a restart loop on demand.
struct Fragile: GenServer {
    typealias Arguments = Int
    static let refused = Lock<Set<Int>>([])
    /// Fired by the first start refused.
    static let refusing = Latch()
    static func initialize(_ argument: Int) async throws -> InitResult<Fragile> {
        guard !refused.withLock({ $0.contains(argument) }) else {
            refusing.fire()
            throw CancellationError()
        }
        return .ok(Fragile())
    }
}

/// A worker that keeps its state to itself.
struct Mute: GenServer {
    typealias Arguments = Int
    static func initialize(_ id: Int) async throws -> InitResult<Mute> { .ok(Mute()) }
}

/// An id that is neither a string nor a number: a tenant and a region.
struct TenantID: Hashable, Sendable, CustomStringConvertible {
    var tenant: String
    var region: Int
    var description: String { "\(tenant)@\(region)" }
}

/// A pool under a root supervisor in a runtime of its own, and an inspector over it.
struct TestApp<Worker: GenServer, ID: Hashable & Sendable>: Sendable where Worker.Arguments == Int {
    let runtime: Runtime
    let pool: WorkerPool<Worker, ID, String>
    let root: Supervisor
    let inspector: Inspector

    /// Starts `ids` workers; the pool restarts crashed ones (permanent).
    static func start(
        _ worker: Worker.Type, ids: [ID], commands: Inspector.Commands = .all, restart: RestartPolicy = .permanent,
        maxRestarts: Int = 1_000, period: Duration = .seconds(1),
        clock: any SupervisionClock = SystemClock.shared, directory: String? = nil,
        watch: (Inspector, WorkerPool<Worker, ID, String>) throws -> Void = { try $0.watch($1) }
    ) async throws -> TestApp {
        let runtime = quietRuntime(clock: clock)
        let pool = WorkerPool(worker, id: ID.self, name: "workers",
                              options: .init(restart: restart, maxRestarts: maxRestarts, period: period)) { id, _ in "v-\(id)" }
        let root = try await Supervisor.start(children: [pool.registry.childSpec(), pool.childSpec()], runtime: runtime)
        for (offset, id) in ids.enumerated() {
            _ = try await runtime.run { try await pool.lookupOrStart(id, arguments: offset) }
        }
        let inspector = Inspector(name: "test", runtime: runtime,
                                  options: .init(commands: commands, directory: directory, tombstoneTime: .seconds(3), logger: quiet))
        try watch(inspector, pool)
        return TestApp(runtime: runtime, pool: pool, root: root, inspector: inspector)
    }

    func stop() async {
        await inspector.stop()
        try? await root.stop()
    }
}

/// A client in memory speaking the protocol's lines: requests by id, replies awaited,
/// pushes kept for the test to read.
final class LineClient: @unchecked Sendable {
    // Unchecked: `connection` and `iterator` are used by the one test task that drives
    // the client, one call at a time; lines arrive through the stream.
    private var connection: InMemoryConnection!
    private var iterator: AsyncStream<ServerMessage>.Iterator
    /// Ids far above those the fuzz test writes by hand.
    private var nextID: Int64 = 1 << 40
    /// Pushes and id-less errors received while waiting for replies.
    private(set) var unsolicited: [ServerMessage] = []
    private var early: [Int64: ServerMessage] = [:]
    /// Lines received so far (replies, errors, pushes).
    private(set) var received = 0

    init(_ inspector: Inspector) {
        let (stream, sink) = AsyncStream<ServerMessage>.makeStream()
        iterator = stream.makeAsyncIterator()
        connection = inspector.connectInMemory { line in
            guard let message = try? WireCodec.serverMessage(Array(line.dropLast())) else {
                Issue.record("the server sent an unreadable line: \(String(decoding: line, as: UTF8.self))")
                return
            }
            sink.yield(message)
        } onClose: {
            sink.finish()
        }
        #expect(connection != nil)
    }

    /// Says hello (protocol 1) and returns the server's hello.
    func hello() async throws -> ServerHello {
        guard case .reply(_, .hello(let hello)) = await request(.hello(ClientHello(client: "test"))) else {
            throw ProtocolError(.malformed, "no hello")
        }
        return hello
    }

    /// Sends raw bytes (lines of JSON, or garbage).
    func send(raw bytes: [UInt8]) async {
        await connection.send(bytes)
    }

    /// Sends a request and waits for its reply (pushes meanwhile are kept).
    func request(_ request: Request) async -> ServerMessage {
        let id = nextID
        nextID += 1
        await connection.send(WireCodec.line(RequestEnvelope(id: id, request)))
        return await reply(to: id)
    }

    /// The reply to request `id`.
    func reply(to id: Int64) async -> ServerMessage {
        if let message = await next(for: id, orUnaddressedFailure: false) { return message }
        Issue.record("the connection ended before reply \(id)")
        return .failure(id: id, ProtocolError(.malformed, "closed"))
    }

    /// The answer to the line just sent with `id`: its reply or error, or an error without
    /// an id (a line whose id could not be read). Lines are answered in order, so the
    /// first of these is this line's; pushes meanwhile are kept.
    func answer(to id: Int64) async -> ServerMessage? {
        await next(for: id, orUnaddressedFailure: true)
    }

    /// The reply or error for `id` (or, if asked, the first error without an id); other
    /// replies are kept for their own waiters, everything else as unsolicited. `nil` once
    /// the connection ended.
    private func next(for id: Int64, orUnaddressedFailure: Bool) async -> ServerMessage? {
        if let message = early.removeValue(forKey: id) { return message }
        while let message = await iterator.next() {
            received += 1
            switch message {
            case .reply(let replyID, _), .failure(let replyID?, _):
                if replyID == id { return message }
                early[replyID] = message
            case .failure(nil, _) where orUnaddressedFailure:
                return message
            default:
                unsolicited.append(message)
            }
        }
        return nil
    }

    /// The next line that is not a reply (a push, an error without id).
    func nextUnsolicited() async -> ServerMessage? {
        if !unsolicited.isEmpty { return unsolicited.removeFirst() }
        while let message = await iterator.next() {
            received += 1
            switch message {
            case .reply(let id, _), .failure(let id?, _): early[id] = message
            default: return message
            }
        }
        return nil
    }

    /// Waits until `count` lines have been received in all.
    func waitUntilReceived(_ count: Int) async {
        while received < count, let message = await iterator.next() {
            received += 1
            switch message {
            case .reply(let id, _), .failure(let id?, _): early[id] = message
            default: unsolicited.append(message)
            }
        }
    }

    /// The reply's payload, or the error it carries.
    func ask(_ request: Request) async throws(ProtocolError) -> Reply {
        switch await self.request(request) {
        case .reply(_, let reply): return reply
        case .failure(_, let error): throw error
        case .push: throw ProtocolError(.malformed, "a push")
        }
    }

    func rows(_ query: RowsQuery) async throws -> RowsReply {
        guard case .rows(let rows) = try await ask(.rows(query)) else { throw ProtocolError(.malformed, "not rows") }
        return rows
    }

    func events(since: UInt64 = 0) async throws -> [WireEvent] {
        guard case .events(let events) = try await ask(.events(EventsQuery(since: since))) else { throw ProtocolError(.malformed, "not events") }
        return events.entries
    }

    /// Waits, push by push, until the log holds a line matching `predicate`; returns
    /// every entry seen so far.
    func waitForEvent(since: UInt64 = 0, _ predicate: (WireEvent) -> Bool) async throws -> [WireEvent] {
        var seen = try await events(since: since)
        if seen.contains(where: predicate) { return seen }
        _ = try await ask(.subscribe(SubscribeQuery(events: true)))
        seen = try await events(since: since)  // what happened before the subscription took
        while !seen.contains(where: predicate) {
            guard let message = await nextUnsolicited() else { break }
            if case .push(.events(let pushed)) = message { seen += pushed.entries.filter { event in !seen.contains { $0.seq == event.seq } } }
        }
        return seen
    }

    func close() {
        connection.close()
    }
}

/// A private folder for sockets, removed at the end.
struct TemporaryFolder: ~Copyable {
    let path: String
    init() {
        path = "/tmp/pi-" + String(UInt64.random(in: 0..<UInt64.max), radix: 36)
    }
    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// A small seedable generator for tests (SplitMix64).
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

