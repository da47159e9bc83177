import ArgumentParser
import Foundation
import InspectorProtocol
import PoolDashboard
import PoolInspector

/// `pooltui attach [NAME | PID | PATH]`: the dashboard over a running app that embeds
/// the inspector.
struct Attach: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the dashboard of a running app that embeds PoolInspector.",
        discussion: """
            TARGET is the app's name, its pid, or its socket's path; with one app running it may be \
            left out (`pooltui ls` lists them). The screens and keys are those of the demo; keys \
            for commands the app does not allow are greyed out. When the app exits the dashboard \
            says so, keeps its last screen, and attaches again when an app of that name is back.

            --once prints one snapshot and exits: the screen as text, or with --json a \
            machine-readable one (hello, summary, rows of each pool, tree) for scripts.
            """)

    @Argument(help: "The app: NAME, PID or socket PATH.")
    var target: String?

    @Option(help: "The folder to look in (default: $XDG_RUNTIME_DIR/pooltui, else /tmp/pooltui-<uid>).")
    var directory: String?

    @Flag(help: "Print one snapshot and exit.")
    var once = false

    @Flag(help: "With --once: print JSON.")
    var json = false

    @Option(help: "With --once: rows of each pool to print (0 for all).")
    var rows = 1_000

    @Option(help: "With --once: only rows whose id contains this text.")
    var filter = ""

    @Option(help: "Sort order: key, uptime, restarts or state.")
    var sort: SortKey = .key

    @Option(help: "With --once: only this pool.")
    var pool: String?

    @Option(help: "With --once and no --json: screen width and height.")
    var width = 120
    @Option(help: "")
    var height = 40

    @Option(help: "Seconds between refreshes (0.1 to 10).")
    var refresh: Double = 1

    func validate() throws {
        guard rows >= 0 else { throw ValidationError("--rows must not be negative") }
        guard (0.1...10).contains(refresh) else { throw ValidationError("--refresh must be between 0.1 and 10 seconds") }
        if json && !once { throw ValidationError("--json goes with --once") }
    }

    mutating func run() async throws {
        let folder = directory.map(SocketDirectory.init(path:)) ?? SocketDirectory.forCurrentUser()
        let entry: SocketDirectory.Entry
        do {
            entry = try AppFinder.resolve(target, in: folder)
        } catch {
            throw ExitCode.failure("pooltui: \(error.message)", code: 1)
        }
        if once && json {
            try await printJSON(entry)
            return
        }
        if !once { try requireTerminal() }
        let mailbox = Mailbox(wake: WakePipe())
        let handlers = RemoteLink.handlers(mailbox)
        let first: InspectorClient
        do {
            first = try await InspectorClient.connect(path: entry.path, client: "pooltui attach",
                                                      onMessage: handlers.onMessage, onClose: handlers.onClose)
        } catch {
            throw ExitCode.failure("pooltui: cannot attach to \(entry.name) (pid \(entry.pid)): \(error.message)", code: 1)
        }
        let link = RemoteLink(first: first, directory: folder, mailbox: mailbox, clientName: "pooltui attach")
        defer { link.close() }
        let interval = Duration.milliseconds(Int64(refresh * 1000))
        if once {
            let layout = Layout(columns: width, rows: height)
            var driver = HeadlessDriver(state: DashboardState(target: entry.name, refreshInterval: interval, pageSize: layout.tableRows),
                                        link: link, mailbox: mailbox)
            let frame = try await settledFrame(&driver, layout: layout, for: .zero, sort: sort, pool: pool)
            Swift.print(frame.text)
            return
        }
        let state = DashboardState(target: entry.name, refreshInterval: interval)
        if case .failure(let message) = await TerminalLoop.run(state: state, link: link, mailbox: mailbox) {
            throw ExitCode.failure("pooltui: \(message)", code: 1)
        }
    }

    /// One machine-readable snapshot of the app.
    private func printJSON(_ entry: SocketDirectory.Entry) async throws {
        let client: InspectorClient
        do {
            client = try await InspectorClient.connect(path: entry.path, client: "pooltui attach --once")
        } catch {
            throw ExitCode.failure("pooltui: cannot attach to \(entry.name) (pid \(entry.pid)): \(error.message)", code: 1)
        }
        defer { client.close() }
        struct PoolSnapshot: Encodable {
            var pool: PoolDescription
            var summary: PoolSummary?
            var total: Int
            var rows: [WireRow]
        }
        struct AppSnapshot: Encodable {
            var app: ServerHello
            var clients: Int
            var pools: [PoolSnapshot]
            var tree: [WireTreeNode]
        }
        do {
            guard case .summary(let summary) = try await client.request(.summary) else { throw ExitCode(1) }
            var pools: [PoolSnapshot] = []
            for description in client.hello.pools where pool == nil || description.name == pool {
                let limit = rows == 0 ? Int.max / 4 : rows
                guard case .rows(let window) = try await client.request(.rows(RowsQuery(
                    pool: description.name, sort: sort, filter: filter, focus: .init(position: 0), before: 0,
                    after: max(0, limit - 1)))) else { throw ExitCode(1) }
                pools.append(PoolSnapshot(pool: description, summary: summary.pools.first { $0.name == description.name },
                                          total: window.total, rows: window.rows))
            }
            if let pool, pools.isEmpty {
                throw ExitCode.failure("pooltui: \(entry.name) has no pool \(pool) (it has \(client.hello.pools.map(\.name).joined(separator: ", ")))", code: 2)
            }
            guard case .tree(let tree) = try await client.request(.tree) else { throw ExitCode(1) }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let snapshot = AppSnapshot(app: client.hello, clients: summary.clients, pools: pools, tree: tree.nodes)
            Swift.print(String(decoding: try encoder.encode(snapshot), as: UTF8.self))
        } catch let error as ProtocolError {
            throw ExitCode.failure("pooltui: \(entry.name) answered: \(error.message)", code: 1)
        }
    }
}
