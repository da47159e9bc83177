import ArgumentParser
import InspectorProtocol
import Logging
import PoolDashboard
import PoolDemo
import Supervision

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
    var sort: SortKey = .key

    @Option(help: "The pool shown: phones, rooms or topics.")
    var pool: String?

    func validate() throws {
        guard seconds >= 0 else { throw ValidationError("--seconds must not be negative") }
        guard width > 0, height > 0 else { throw ValidationError("--width and --height must be positive") }
    }

    mutating func run() async throws {
        let runtime = Runtime(logger: Logger(label: "pooltui", factory: { _ in SwiftLogNoOpLogHandler() }), label: "pooltui")
        let app = try await DemoApp.start(options: demo.options, name: "demo", runtime: runtime)
        let mailbox = Mailbox(wake: WakePipe())
        guard let link = LocalLink(inspector: app.inspector, mailbox: mailbox) else { throw ExitCode(1) }
        let layout = Layout(columns: width, rows: height)
        var driver = HeadlessDriver(state: DashboardState(target: "demo", refreshInterval: demo.refreshInterval,
                                                           pageSize: layout.tableRows), link: link, mailbox: mailbox)
        let frame = try await settledFrame(&driver, layout: layout, for: .milliseconds(Int64(seconds * 1000)), sort: sort, pool: pool)
        link.close()
        await app.stop()
        Swift.print(frame.text)
    }
}

/// Runs a driver for `duration`, sets the sort and pool asked for, and builds a frame once
/// every answer is in.
func settledFrame(_ driver: inout HeadlessDriver, layout: Layout, for duration: Duration, sort: SortKey, pool: String?) async throws -> Frame {
    await driver.settle()
    guard driver.state.app != nil else {
        throw ExitCode.failure("pooltui: the app did not answer", code: 1)
    }
    if let pool {
        guard let index = driver.state.app?.pools.firstIndex(where: { $0.name == pool }) else {
            throw ExitCode.failure("pooltui: no pool \(pool); the app has \(driver.state.app?.pools.map(\.name).joined(separator: ", ") ?? "none")", code: 2)
        }
        for _ in 0..<index { await driver.settle(driver.state.handle(.tab, at: driver.now)) }
    }
    while driver.state.sort != sort { await driver.settle(driver.state.handle(.character("o"), at: driver.now)) }
    await driver.run(for: duration)
    await driver.settle(driver.state.handle(.character("r"), at: driver.now))
    driver.state.status = nil
    return FrameBuilder().build(driver.state, layout: layout, at: driver.now)
}

extension SortKey: ExpressibleByArgument {}
