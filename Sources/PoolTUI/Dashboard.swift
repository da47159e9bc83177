import ArgumentParser
import Logging
import PoolDashboard
import PoolDemo
import Supervision

#if canImport(Glibc)
import Glibc
#endif

/// The interactive dashboard on the built-in demo, in this process (the default
/// subcommand): the same screens and keys as `attach`, through the same protocol, over an
/// inspector in memory.
struct Dashboard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run the demo app and show it live (the default).")

    @OptionGroup var demo: DemoArguments

    mutating func run() async throws {
        try requireTerminal()
        let runtime = Runtime(logger: Logger(label: "pooltui", factory: { _ in SwiftLogNoOpLogHandler() }), label: "pooltui")
        let app = try await DemoApp.start(options: demo.options, name: "demo", runtime: runtime)
        let mailbox = Mailbox(wake: WakePipe())
        guard let link = LocalLink(inspector: app.inspector, mailbox: mailbox) else {
            throw ExitCode.failure("pooltui: the demo's inspector refused a client", code: 1)
        }
        let state = DashboardState(target: "demo", refreshInterval: demo.refreshInterval)
        let outcome = await TerminalLoop.run(state: state, link: link, mailbox: mailbox)
        link.close()
        await app.stop()
        if case .failure(let message) = outcome {
            throw ExitCode.failure("pooltui: \(message)", code: 1)
        }
    }
}

/// Fails unless standard input and output are a terminal ncurses can drive.
func requireTerminal() throws {
    guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
        throw ExitCode.failure(
            "pooltui: standard input and output must be a terminal; to print one frame without one, run `pooltui snapshot` (or `pooltui attach --once --json`)",
            code: 2)
    }
    guard let term = getenv("TERM").map({ String(cString: $0) }), !term.isEmpty, term != "dumb" else {
        throw ExitCode.failure("pooltui: TERM is not set to a terminal type ncurses knows (it is \"\(getenv("TERM").map { String(cString: $0) } ?? "")\")", code: 2)
    }
}

extension ExitCode {
    /// Prints `message` on standard error; exits with `code`.
    static func failure(_ message: String, code: Int32) -> ExitCode {
        printError(message)
        return ExitCode(code)
    }
}

/// Writes a line to standard output at once (unbuffered, for scripts that wait for it).
func printLine(_ message: String) {
    let line = message + "\n"
    _ = line.withCString { write(STDOUT_FILENO, $0, strlen($0)) }
}

/// Writes a line to standard error.
func printError(_ message: String) {
    let line = message + "\n"
    _ = line.withCString { write(STDERR_FILENO, $0, strlen($0)) }
}
