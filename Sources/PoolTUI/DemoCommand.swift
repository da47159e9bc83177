import ArgumentParser
import Logging
import PoolDemo
import PoolInspector
import Supervision

#if canImport(Glibc)
import Glibc
#endif

/// `pooltui demo`: the demo app — with `--serve`, headless and attachable, until SIGINT or
/// SIGTERM, so another terminal can `pooltui attach` to it.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the demo app: with --serve, headless with an inspector another terminal can attach to.",
        discussion: """
            Without --serve, the same as `pooltui run`: the dashboard on the demo in this process.
            With --serve, the demo runs without a terminal and serves its inspector (commands
            allowed) on a socket in the per-user folder, until SIGINT or SIGTERM; its log goes to
            standard error. Then, in another terminal: `pooltui ls`, `pooltui attach NAME`.
            """)

    @OptionGroup var demo: DemoArguments

    @Flag(help: "Run headless and serve an inspector on a socket.")
    var serve = false

    @Option(help: "The app's name, as `pooltui ls` shows it and `pooltui attach` takes it.")
    var name = "demo"

    @Flag(name: .customLong("read-only"), help: "Serve read-only: clients may watch but not stop, kill, crash, start or set meta.")
    var readOnly = false

    @Option(help: "The folder for the socket (default: $XDG_RUNTIME_DIR/pooltui, else /tmp/pooltui-<uid>).")
    var directory: String?

    mutating func run() async throws {
        guard serve else {
            var dashboard = Dashboard()
            dashboard.demo = demo
            try await dashboard.run()
            return
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
        let runtime = Runtime(logger: Logger(label: name), label: name)
        let options = Inspector.Options(commands: readOnly ? .none : .all, directory: directory, logger: Logger(label: name))
        let app = try await DemoApp.start(options: demo.options, name: name, runtime: runtime, inspector: options)
        let path: String
        do {
            path = try await app.inspector.start()
        } catch {
            await app.stop()
            throw ExitCode.failure("pooltui: \(error)", code: 1)
        }
        printLine("pooltui demo \(name): serving on \(path) (pid \(getpid())); stop with Ctrl-C or SIGTERM")
        let wake = WakePipe()
        handleTermination([SIGINT, SIGTERM, SIGHUP], wake: wake)
        // Wait for a signal on a thread of our own (poll blocks), not a concurrency thread.
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            OSThread.start {
                var descriptor = pollfd(fd: wake.readEnd, events: Int16(POLLIN), revents: 0)
                while !terminationRequested.load(ordering: .relaxed) { _ = poll(&descriptor, 1, 1_000) }
                continuation.resume()
            }
        }
        printLine("pooltui demo \(name): stopping")
        await app.stop()
    }
}
