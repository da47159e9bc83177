import InspectorProtocol
import Logging
@testable import PoolDashboard
import PoolInspector
import Supervision
import Testing
import WorkerRegistry
import TestSupport

/// A worker for dashboard tests: it describes its state (with a hostile escape in it).
struct Line: GenServer, StateDescribing {
    typealias Arguments = Int
    let number: Int
    static func initialize(_ number: Int) async throws -> InitResult<Line> { .ok(Line(number: number)) }
    func describeState() -> String { "line \(number)\nbell\u{7} \u{1B}[2J" }
}

/// A worker that keeps its state to itself.
struct Silent: GenServer {
    typealias Arguments = Int
    static func initialize(_ number: Int) async throws -> InitResult<Silent> { .ok(Silent()) }
}

/// An id that is a struct.
struct Seat: Hashable, Sendable, CustomStringConvertible {
    var row: Int
    var letter: String
    var description: String { "\(row)\(letter)" }
}

/// An app for the dashboard to watch: pools under a root, an inspector over them.
final class App: Sendable {
    let runtime: Runtime
    let lines: WorkerPool<Line, Int, String>
    let seats: WorkerPool<Silent, Seat, String>
    let root: Supervisor
    let inspector: Inspector

    init(lineIDs: [Int], seats seatIDs: [Seat] = [], commands: Inspector.Commands = .all, restart: RestartPolicy = .permanent,
         clock: any SupervisionClock = SystemClock.shared, name: String = "app") async throws {
        runtime = quietRuntime(clock: clock)
        lines = WorkerPool(Line.self, id: Int.self, name: "lines",
                           options: .init(restart: restart, maxRestarts: 1_000, period: .seconds(1))) { id, _ in "plan \(id % 3)" }
        seats = WorkerPool(Silent.self, id: Seat.self, name: "seats") { seat, _ in "seat \(seat)" }
        root = try await Supervisor.start(children: [
            lines.registry.childSpec(), lines.childSpec(), seats.registry.childSpec(), seats.childSpec(),
        ], runtime: runtime)
        let (runtime, lines, seats) = (runtime, lines, seats)
        for id in lineIDs { _ = try await runtime.run { try await lines.lookupOrStart(id, arguments: id) } }
        for seat in seatIDs { _ = try await runtime.run { try await seats.lookupOrStart(seat, arguments: 0) } }
        inspector = Inspector(name: name, runtime: runtime,
                              options: .init(commands: commands, logger: Logger(label: "i", factory: { _ in SwiftLogNoOpLogHandler() })))
        try inspector.watch(lines) { $0 }
        try inspector.watch(seats)
    }

    func start(_ id: Int) async throws {
        _ = try await runtime.run { try await self.lines.lookupOrStart(id, arguments: id) }
    }

    func stop() async {
        await inspector.stop()
        try? await root.stop()
    }
}

/// A dashboard driven as the terminal loop drives it, over the protocol to an inspector
/// in memory: keys, replies and time go in; requests are sent and answered before a test
/// looks. Nothing waits on a wall clock: `time` is the dashboard's clock, advanced by hand.
final class Dashboard: @unchecked Sendable {
    // Unchecked: driven by the one test task, one step at a time; lines arrive through
    // the stream.
    var state: DashboardState
    var time: Duration = .seconds(1)
    private var connection: InMemoryConnection?
    private var iterator: AsyncStream<ServerMessage>.Iterator

    init(_ app: App, pageSize: Int = 10) async {
        state = DashboardState(target: app.inspector.name, refreshInterval: .seconds(1), pageSize: pageSize)
        state.stateTimeout = .seconds(5)  // a loaded test machine is not a hung worker
        let (stream, sink) = AsyncStream<ServerMessage>.makeStream()
        iterator = stream.makeAsyncIterator()
        connection = app.inspector.connectInMemory { line in
            if let message = try? WireCodec.serverMessage(Array(line.dropLast())) { sink.yield(message) }
        }
        await connect()
    }

    /// Says hello, and loads what the first screen shows.
    private func connect() async {
        await connection?.send(WireCodec.line(RequestEnvelope(id: 0, .hello(ClientHello(client: "dashboard test")))))
        while let message = await iterator.next() {
            if case .reply(0, .hello(let hello)) = message {
                await settle(state.connected(hello, at: time))
                return
            }
        }
    }

    /// Sends `requests`, and applies replies (and the requests they make) until none is
    /// in flight.
    func settle(_ requests: [RequestEnvelope]) async {
        for request in requests { await connection?.send(WireCodec.line(request)) }
        while state.isWaiting, let message = await iterator.next() {
            for request in state.receive(message, at: time) { await connection?.send(WireCodec.line(request)) }
        }
    }

    func press(_ keys: Key...) async {
        for key in keys { await settle(state.handle(key, at: time)) }
    }

    func type(_ text: String) async {
        for character in text { await press(.character(character)) }
    }

    /// Lets `duration` pass on the dashboard's clock, and refreshes as the loop would.
    func wait(_ duration: Duration = .seconds(1)) async {
        time += duration
        await settle(state.tick(at: time))
    }

    /// Applies what the app pushes until the log holds a line containing `text`.
    func waitForLog(_ text: String) async {
        while !state.log.contains(where: { $0.text.contains(text) }), let message = await iterator.next() {
            await settle(state.receive(message, at: time))
        }
    }

    /// Rows shown now, by id.
    var shown: [String] { state.visibleRows.compactMap { $0?.id } }

    func frame(columns: Int = 120, rows: Int = 30) -> Frame {
        FrameBuilder().build(state, layout: Layout(columns: columns, rows: rows), at: time)
    }

    /// The app went away.
    func disconnect(_ reason: String) {
        connection?.close()
        connection = nil
        state.disconnected(reason, at: time)
    }

    /// Attaches to `app` (an app of the same name, started again).
    func reconnect(to app: App) async {
        let (stream, sink) = AsyncStream<ServerMessage>.makeStream()
        iterator = stream.makeAsyncIterator()
        connection = app.inspector.connectInMemory { line in
            if let message = try? WireCodec.serverMessage(Array(line.dropLast())) { sink.yield(message) }
        }
        await connect()
    }

    func close() {
        connection?.close()
    }
}

