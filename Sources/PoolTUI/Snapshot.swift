import ArgumentParser
import Logging
import PoolDashboard
import Supervision

#if canImport(Glibc)
import Glibc
#endif

/// `pooltui snapshot`: runs the demo without a terminal and prints one frame as text.
struct Snapshot: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the demo for a while without a terminal, then print the dashboard's screen as plain text.")

    @OptionGroup var demo: DemoArguments

    @Option(help: "Seconds to run the demo before taking the snapshot.")
    var seconds: Double = 3

    @Option(help: "Screen width in columns.")
    var width: Int = 120

    @Option(help: "Screen height in rows.")
    var height: Int = 40

    @Option(help: "Sort order of the worker table: key, uptime, restarts or state.")
    var sort: SortOrder = .key

    func validate() throws {
        guard seconds >= 0 else { throw ValidationError("--seconds must not be negative") }
        guard width > 0, height > 0 else { throw ValidationError("--width and --height must be positive") }
    }

    mutating func run() async throws {
        let runtime = Runtime(logger: Logger(label: "pooltui", factory: { _ in SwiftLogNoOpLogHandler() }), label: "pooltui")
        let engine = try await DashboardEngine.startDemo(options: demo.options, runtime: runtime)
        let data = engine.data
        var state = DashboardState(poolName: DashboardEngine.poolName, refreshInterval: demo.refreshInterval,
                                   startedAt: data.now())
        state.sort = sort
        let layout = Layout(columns: width, rows: height)
        let deadline = data.now() + .milliseconds(Int64(seconds * 1000))
        repeat {
            try await Task.sleep(for: .milliseconds(100))
            engine.update(&state, now: data.now())
        } while data.now() < deadline
        state.refreshSelection(pageSize: layout.tableRows)
        let frame = FrameBuilder().build(state, data: data, layout: layout)
        await engine.stop()
        print(frame.text)
    }
}

extension SortOrder: ExpressibleByArgument {}
