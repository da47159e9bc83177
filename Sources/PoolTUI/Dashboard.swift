import ArgumentParser
import Logging
import PoolDashboard
import Supervision

#if canImport(Glibc)
import Glibc
#endif

/// The interactive dashboard (the default subcommand).
struct Dashboard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run the demo pool and show it live (the default).")

    @OptionGroup var demo: DemoArguments

    mutating func run() async throws {
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
            throw ExitCode.failure(
                "pooltui: standard input and output must be a terminal; to print one frame without one, run `pooltui snapshot`",
                code: 2)
        }
        guard let term = getenv("TERM").map({ String(cString: $0) }), !term.isEmpty, term != "dumb" else {
            throw ExitCode.failure("pooltui: TERM is not set to a terminal type ncurses knows (it is \"\(getenv("TERM").map { String(cString: $0) } ?? "")\")", code: 2)
        }
        let runtime = Runtime(logger: Logger(label: "pooltui", factory: { _ in SwiftLogNoOpLogHandler() }), label: "pooltui")
        let engine = try await DashboardEngine.startDemo(options: demo.options, runtime: runtime)
        let outcome = await TerminalLoop.run(engine: engine, refresh: demo.refreshInterval)
        await engine.stop()
        if case .failure(let message) = outcome {
            throw ExitCode.failure("pooltui: \(message)", code: 1)
        }
    }
}

extension ExitCode {
    /// Prints `message` on standard error; exits with `code`.
    static func failure(_ message: String, code: Int32) -> ExitCode {
        let line = message + "\n"
        _ = line.withCString { write(STDERR_FILENO, $0, strlen($0)) }
        return ExitCode(code)
    }
}
