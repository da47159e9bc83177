import ArgumentParser
import CoreMetrics
import Logging
import MetricsEndpoint
import PoolDemo
import PoolInspector
import Prometheus
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
            standard error. Then, in another terminal: `pooltui ls`, `pooltui attach NAME`. \
            With --serve --metrics [HOST:]PORT, it also serves its metrics (the runtime's, the \
            supervisors', the registries' and the pools') for Prometheus to scrape at \
            http://HOST:PORT/metrics; HOST is 127.0.0.1 unless given.
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

    @Option(help: ArgumentHelp("With --serve: serve Prometheus metrics at http://HOST:PORT/metrics (HOST defaults to 127.0.0.1).", valueName: "[host:]port"))
    var metrics: String?

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
        if let metrics {
            guard serve else { throw ValidationError("--metrics needs --serve (the headless demo)") }
            _ = try Self.address(metrics)
        }
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
        // The app, not the library, chooses the metrics backend, before anything makes
        // its metrics.
        let registry = PrometheusCollectorRegistry()
        if metrics != nil { MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry)) }
        let runtime = Runtime(logger: Logger(label: name), label: name)
        let options = Inspector.Options(commands: readOnly ? .none : .all, directory: directory, logger: Logger(label: name))
        let app = try await DemoApp.start(options: demo.options, name: name, runtime: runtime, inspector: options)
        let path: String
        var endpoint: PrometheusEndpoint?
        do {
            path = try await app.inspector.start()
            if let metrics {
                let (host, port) = try Self.address(metrics)
                endpoint = try await PrometheusEndpoint.start(registry: registry, host: host, port: port)
            }
        } catch {
            await app.stop()
            throw ExitCode.failure("pooltui: \(error)", code: 1)
        }
        printLine("pooltui demo \(name): serving on \(path) (pid \(getpid())); stop with Ctrl-C or SIGTERM")
        if let endpoint { printLine("pooltui demo \(name): metrics at http://\(endpoint.host):\(endpoint.port)/metrics") }
        await waitForTerminationSignal()
        printLine("pooltui demo \(name): stopping")
        await endpoint?.stop()
        await app.stop()
    }

    /// `PORT` or `HOST:PORT` (an IPv6 host in brackets: `[::1]:9464`).
    static func address(_ text: String) throws -> (host: String, port: Int) {
        var host = "127.0.0.1"
        var portText = Substring(text)
        if let colon = text.lastIndex(of: ":") {
            host = String(text[..<colon])
            portText = text[text.index(after: colon)...]
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard !host.isEmpty else { throw ValidationError("--metrics \(text): the host is empty") }
        }
        guard let port = Int(portText), (0...65_535).contains(port) else {
            throw ValidationError("--metrics \(text): the port must be a number from 0 to 65535")
        }
        return (host, port)
    }
}
