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
            Without --serve, the same as `pooltui run`: the dashboard on the demo in this process. \
            With --cluster --etcd URL --node NAME, one node of a demo cluster whose nodes share \
            ids through etcd; run two or three, and watch them with `pooltui cluster --prefix demo/`. \
            With --serve, the demo runs without a terminal and serves its inspector (commands \
            allowed) on a socket in the per-user folder, until SIGINT or SIGTERM; its log goes to \
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

    @Flag(help: "Run one node of a demo cluster on etcd (with --etcd and --node); `pooltui cluster` shows them.")
    var cluster = false

    @Option(help: "With --cluster: etcd endpoints, comma-separated.")
    var etcd = "http://127.0.0.1:2379"

    @Option(help: "With --cluster: this node's name.")
    var node: String?

    @Option(help: "With --cluster: the key prefix the nodes share.")
    var prefix = "demo/"

    @Option(help: "With --cluster: how many ids the nodes share.")
    var ids = 50

    @Option(help: "With --cluster: the lease's time to live, in seconds.")
    var ttl: Int64 = 5

    func validate() throws {
        if cluster {
            guard node?.isEmpty == false else { throw ValidationError("--cluster needs --node NAME") }
            guard ids > 0 else { throw ValidationError("--ids must be positive") }
            guard ttl >= 2 else { throw ValidationError("--ttl is at least 2 seconds") }
            guard !serve else { throw ValidationError("--cluster runs headless already; --serve does not go with it") }
        }
    }

    mutating func run() async throws {
        if cluster {
            try await ClusterDemo.run(etcd: etcd, node: node ?? "node", prefix: prefix, ids: ids, ttl: ttl)
            return
        }
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
        await waitForTerminationSignal()
        printLine("pooltui demo \(name): stopping")
        await app.stop()
    }
}
