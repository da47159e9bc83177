import CoreMetrics
import Logging
import MetricsEndpoint
import PoolDemo
import Prometheus
import Supervision
import Testing
import TestSupport
import WorkerRegistry

#if canImport(Glibc)
import Glibc
#endif

/// The headless demo's `--metrics`: a Prometheus server scraping `/metrics` reads every
/// metric of the runtime, the supervisors, the registries and the pools, and sees them
/// move as a worker is killed and restarted.
@Suite("PrometheusEndpoint: the demo's metrics in Prometheus' text format", .timeLimit(.minutes(Slowdown.scaled(1))))
struct PrometheusEndpointTests {
    @Test("a scrape of the running demo has every metric, and a kill moves the exit and restart counts")
    func scrapeTheDemo() async throws {
        let registry = PrometheusCollectorRegistry()
        let factory = PrometheusMetricsFactory(registry: registry)
        let runtime = Runtime(logger: Logger(label: "demo", factory: { _ in SwiftLogNoOpLogHandler() }), label: "demo", metrics: factory)
        // No chaos: the test's own kill is the only one, and no intensity is reached.
        let options = DemoOptions(workers: 20, restart: .permanent, maxRestarts: 1_000, crashRate: 0, lookupRate: 0)
        let app = try await withMetricsFactory(factory) {
            try await DemoApp.start(options: options, runtime: runtime)
        }
        let endpoint = try await PrometheusEndpoint.start(registry: registry)
        let number = "+1 555 0100"
        let phone = try await app.phones.lookupOrStart(number, arguments: .init(number: number, plan: "pro · region us"))
        let before = try await Scrape(get(port: endpoint.port, "/metrics"))
        #expect(before.status == 200)
        #expect(before.header("content-type") == "text/plain; version=0.0.4; charset=utf-8")
        for name in [
            #"supervision_processes_started_total"#,
            #"supervision_processes_exited_total{reason="killed"}"#,
            #"supervision_restarts_total{supervisor="phones"}"#,
            #"supervision_escalations_total{supervisor="phones"}"#,
            #"supervision_active_children{supervisor="phones"}"#,
            #"registry_entries{registry="phones"}"#,
            #"registry_entries{registry="topics"}"#,
            #"pool_lookup_or_start_total{pool="phones",result="miss"}"#,
            #"pool_start_failures_total{pool="phones"}"#,
            #"pool_start_duration_seconds_count{pool="phones"}"#,
        ] {
            #expect(before.value(name) != nil, "\(name) missing from the scrape")
        }
        #expect(before.body.contains("# TYPE pool_start_duration_seconds histogram"))
        #expect((before.value(#"supervision_active_children{supervisor="phones"}"#) ?? 0) >= 1)

        var events = runtime.events.subscribe().makeAsyncIterator()
        Process.exit(phone, .kill)
        while let event = await events.next() {
            if case .restarted(_, _, let old, _, _) = event.kind, old == phone { break }
        }
        let after = try await Scrape(get(port: endpoint.port, "/metrics"))
        let killed = #"supervision_processes_exited_total{reason="killed"}"#
        let restarts = #"supervision_restarts_total{supervisor="phones"}"#
        #expect(try #require(after.value(killed)) >= #require(before.value(killed)) + 1)
        #expect(try #require(after.value(restarts)) >= #require(before.value(restarts)) + 1)
        await endpoint.stop()
        await app.stop()
    }

    @Test("other paths are 404, other methods 405, HEAD has no body, a garbled request is refused")
    func badRequests() async throws {
        let endpoint = try await PrometheusEndpoint.start(registry: PrometheusCollectorRegistry())
        #expect(try await Scrape(get(port: endpoint.port, "/")).status == 404)
        let post = try await Scrape(request(port: endpoint.port, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc"))
        #expect(post.status == 405)
        #expect(post.header("allow") == "GET, HEAD")
        let head = try await Scrape(request(port: endpoint.port, "HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
        #expect(head.status == 200)
        #expect(head.body.isEmpty)
        let garbled = try await request(port: endpoint.port, "\u{1}\u{2} NOT HTTP\r\n\r\n")
        #expect(garbled.hasPrefix("HTTP/1.1 400"), "\(garbled.debugDescription)")
        #expect(try await Scrape(get(port: endpoint.port, "/metrics?x=1")).status == 200, "still serving")
        await endpoint.stop()
    }

    @Test("a port in use is a clear error")
    func portInUse() async throws {
        let first = try await PrometheusEndpoint.start(registry: PrometheusCollectorRegistry())
        let error = await #expect(throws: PrometheusEndpointError.self) {
            try await PrometheusEndpoint.start(registry: PrometheusCollectorRegistry(), port: first.port)
        }
        #expect(error?.description.hasPrefix("cannot serve metrics on 127.0.0.1:\(first.port): ") == true)
        await first.stop()
    }
}

/// One HTTP response, parsed just enough.
struct Scrape {
    var status: Int
    var headers: [String: String]
    var body: String

    init(_ response: String) throws {
        guard let split = response.range(of: "\r\n\r\n") else { throw TestFailure("no end of head in \(response.debugDescription)") }
        let lines = response[..<split.lowerBound].split(separator: "\r\n")
        let statusLine = lines.first.map(String.init) ?? ""
        guard statusLine.hasPrefix("HTTP/1.1 "), let status = Int(statusLine.dropFirst(9).prefix(3)) else {
            throw TestFailure("bad status line \(statusLine.debugDescription)")
        }
        self.status = status
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: " ")
        }
        self.headers = headers
        self.body = String(response[split.upperBound...])
    }

    func header(_ name: String) -> String? { headers[name] }

    /// The value of the sample `name` (with its labels, as exposed), or `nil`.
    func value(_ name: String) -> Double? {
        for line in body.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.dropFirst(name.count + 1))
        }
        return nil
    }
}

extension Substring {
    func trimmingCharacters(in character: Character) -> String {
        String(drop(while: { $0 == character }).reversed().drop(while: { $0 == character }).reversed())
    }
}

func get(port: Int, _ path: String) async throws -> String {
    try await request(port: port, "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
}

/// Sends `text` to 127.0.0.1:`port` and reads until the server closes — on a thread of
/// its own: the blocking socket calls must not hold a thread of the pool the server's
/// tasks run on.
func request(port: Int, _ text: String) async throws -> String {
    try await withCheckedThrowingContinuation { continuation in
        OSThread.detach("a test's HTTP client") {
            continuation.resume(with: Result { try blockingRequest(port: port, text) })
        }
    }
}

private func blockingRequest(port: Int, _ text: String) throws -> String {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestFailure("socket: \(errno)") }
    defer { close(fd) }
    // A last guard, not a wait: a server that never answers fails the test instead of
    // hanging it.
    var limit = timeval(tv_sec: 20, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw TestFailure("connect: \(errno)") }
    let bytes = Array(text.utf8)
    guard send(fd, bytes, bytes.count, 0) == bytes.count else { throw TestFailure("send: \(errno)") }
    var response: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = recv(fd, &buffer, buffer.count, 0)
        if count < 0 { throw TestFailure("recv: errno \(errno) after \(response.count) bytes") }
        if count == 0 { break }
        response += buffer[..<count]
    }
    return String(decoding: response, as: UTF8.self)
}
