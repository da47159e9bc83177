import ArgumentParser
import EtcdClient
import Foundation
import PoolDashboard
import ScalableLocks
import Synchronization
import WorkerRegistryEtcd

#if canImport(Glibc)
import Glibc
#endif

/// `pooltui cluster`: a cluster registry on etcd, live from etcd alone.
struct Cluster: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a cluster registry on etcd: each node with its lease's time left, and every name with its holder and fencing token.",
        discussion: """
            Reads etcd only (no node's inspector): names move on screen when a node dies and \
            its lease expires. --once prints one reading and exits: the screen as text, or \
            with --json a machine-readable reading.
            """)

    @Option(help: "etcd endpoints, comma-separated (http://host:port).")
    var etcd = "http://127.0.0.1:2379"

    @Option(help: "The key prefix of the registry (its EtcdRegistry's prefix).")
    var prefix: String

    @Flag(help: "Print one reading and exit.")
    var once = false

    @Flag(help: "With --once: the reading as JSON.")
    var json = false

    @Option(help: "Seconds between readings.")
    var refresh: Double = 1

    @Option(help: "With --once and no --json: screen width and height.")
    var width = 100
    @Option(help: "With --once and no --json: screen height.")
    var height = 30

    func validate() throws {
        if json && !once { throw ValidationError("--json goes with --once") }
        guard refresh >= 0.1 else { throw ValidationError("--refresh is at least 0.1 seconds") }
        guard width > 0, height > 0 else { throw ValidationError("--width and --height must be positive") }
    }

    mutating func run() async throws {
        let endpoints: [EtcdEndpoint]
        do {
            endpoints = try EtcdEndpoint.list(etcd)
        } catch {
            throw ExitCode.failure("pooltui: \(error.message)", code: 2)
        }
        let client = EtcdClient(endpoints: endpoints)
        defer { client.close() }
        if once {
            let state: ClusterState
            do {
                state = try await ClusterState.read(client: client, prefix: prefix)
            } catch {
                throw ExitCode.failure("pooltui: cannot read \(prefix) from \(etcd): \(error.message)", code: 1)
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                Swift.print(String(decoding: try encoder.encode(ClusterReading(state, prefix: prefix)), as: UTF8.self))
            } else {
                var screen = ClusterScreen(endpoints: etcd, prefix: prefix)
                screen.read(Self.snapshot(state), at: .zero)
                Swift.print(screen.frame(Layout(columns: width, rows: height), at: .zero).text)
            }
            return
        }
        try requireTerminal()
        let readings = Readings()
        let reader = Task { [prefix, refresh] in
            while !Task.isCancelled {
                do throws(EtcdError) {
                    readings.post(.success(Self.snapshot(try await ClusterState.read(client: client, prefix: prefix))))
                } catch {
                    readings.post(.failure(error))
                }
                try? await Task.sleep(for: .milliseconds(Int64(refresh * 1_000)))
            }
        }
        defer { reader.cancel() }
        let screen = ClusterScreen(endpoints: etcd, prefix: prefix)
        if case .failure(let message) = await ClusterLoop.run(screen: screen, readings: readings) {
            throw ExitCode.failure("pooltui: \(message)", code: 1)
        }
    }

    static func snapshot(_ state: ClusterState) -> ClusterScreen.Snapshot {
        ClusterScreen.Snapshot(
            nodes: state.nodes.map { .init(name: $0.node.name, address: $0.node.address, lease: $0.lease, secondsLeft: $0.secondsLeft, names: $0.names) },
            holders: state.holders.map { .init(name: $0.name, node: $0.node, token: $0.token) },
            revision: state.revision)
    }
}

/// `pooltui cluster --once --json`.
struct ClusterReading: Encodable {
    struct Node: Encodable {
        var name: String
        var address: String
        var lease: String
        var secondsLeft: Int64?
        var names: Int
    }
    struct Holder: Encodable {
        var name: String
        var node: String
        var token: Int64
    }
    var prefix: String
    var revision: Int64
    var nodes: [Node]
    var names: [Holder]

    init(_ state: ClusterState, prefix: String) {
        self.prefix = prefix
        revision = state.revision
        nodes = state.nodes.map { Node(name: $0.node.name, address: $0.node.address, lease: String($0.lease), secondsLeft: $0.secondsLeft, names: $0.names) }
        names = state.holders.map { Holder(name: $0.name, node: $0.node, token: $0.token) }
    }
}

/// Readings from etcd, handed to the terminal thread; a pipe wakes it.
final class Readings: Sendable {
    let wake = WakePipe()
    private let pending = Lock<[Result<ClusterScreen.Snapshot, EtcdError>]>([])

    func post(_ reading: Result<ClusterScreen.Snapshot, EtcdError>) {
        pending.withLock { $0.append(reading) }
        wake.signal()
    }

    func drain() -> [Result<ClusterScreen.Snapshot, EtcdError>] {
        pending.withLock { pending in
            defer { pending = [] }
            return pending
        }
    }
}

/// The cluster screen's terminal thread: keys and readings in, frames out.
enum ClusterLoop {
    static func run(screen: ClusterScreen, readings: Readings) async -> TerminalLoop.Outcome {
        await TerminalLoop.withTerminal(wake: readings.wake) { terminal in loop(terminal, screen, readings) }
    }

    private static func loop(_ terminal: Terminal, _ initial: ClusterScreen, _ readings: Readings) -> TerminalLoop.Outcome {
        let clock = ContinuousClock()
        let started = clock.now
        var screen = initial
        var layout = Layout(columns: terminal.size.columns, rows: terminal.size.rows)
        var fds = [pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: readings.wake.readEnd, events: Int16(POLLIN), revents: 0)]
        while !terminationRequested.load(ordering: .relaxed) {
            _ = poll(&fds, nfds_t(fds.count), 250)
            readings.wake.clear()
            while let key = terminal.readKey() {
                if case .resize(let columns, let rows) = key { layout = Layout(columns: columns, rows: rows) }
                screen.handle(key)
                if screen.quitting { return .quit }
            }
            for reading in readings.drain() {
                switch reading {
                case .success(let snapshot): screen.read(snapshot, at: clock.now - started)
                case .failure(let error): screen.readFailed(error.message)
                }
            }
            terminal.draw(screen.frame(layout, at: clock.now - started))
        }
        return .quit
    }
}
