import CPlatform
import EtcdClient
import Foundation
import ScalableLocks
import Supervision

#if canImport(Glibc)
import Glibc
#endif

/// etcd members started by a test (or a benchmark) from `etcd` on PATH, on free loopback ports, in a
/// temporary folder of their own; ``stop()`` kills them and removes the folder.
public final class EtcdCluster: Sendable {
    /// The members' client endpoints.
    public let endpoints: [EtcdEndpoint]
    private let processes: [Foundation.Process]
    private let folder: URL

    /// The `etcd` executable on PATH, if there is one.
    public static let executable: String? = {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let path = "\(directory)/etcd"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }()

    /// Whether the etcd tests run: `etcd` is on PATH, or this is CI (where its absence
    /// must fail the run, not skip it).
    public static let runs = executable != nil || ProcessInfo.processInfo.environment["CI"] == "true"

    private init(endpoints: [EtcdEndpoint], processes: [Foundation.Process], folder: URL) {
        self.endpoints = endpoints
        self.processes = processes
        self.folder = folder
    }

    /// Starts `members` members as one cluster and waits until it answers.
    ///
    /// Ports come from ``freePort()``. If a member exits before the cluster answers (another
    /// program took one of its ports between the check and etcd's bind), the attempt is
    /// stopped and the cluster started again on new ports, up to three times; the error
    /// after that carries the end of each member's log.
    public static func start(members: Int = 1) async throws -> EtcdCluster {
        guard let executable else {
            throw EtcdTestFailure("etcd is not on PATH: install Debian's etcd-server (apt-get install -y etcd-server)")
        }
        var attempt = 1
        while true {
            let started = try await Task(executorPreference: parentThread) {
                try launch(members: members, executable: executable)
            }.value
            switch await started.waitUntilServing() {
            case .serving:
                return started
            case .exited where attempt < 3:
                started.stop()
                attempt += 1
            case .exited(let log):
                started.stop()
                throw EtcdTestFailure("etcd exited before serving, \(attempt) times; the last log:\n\(log)")
            case .timedOut(let endpoint, let error, let log):
                started.stop()
                throw EtcdTestFailure("etcd at \(endpoint) did not start: \(error); its log:\n\(log)")
            }
        }
    }

    /// The thread members are started from, which lives as long as the process.
    ///
    /// Each member is started through `setpriv --pdeathsig KILL` (util-linux, where it is
    /// installed), so that it is killed when the test process dies, even by SIGKILL or a
    /// crash, instead of serving on as an orphan and loading the machine. Linux sends that
    /// signal when the *thread* that started the child ends, not the process; threads of
    /// Swift's cooperative pool come and go, so the members are started from this one.
    private static let parentThread = SingleThreadExecutor("the parent of etcd test members")

    /// `setpriv`, if installed and new enough to have `--pdeathsig` (util-linux 2.33): it
    /// sets the parent-death signal and runs etcd in its place. Without it, members start
    /// as they are (and outlive a killed test process).
    private static let setpriv: String? = {
        guard let path = ["/usr/bin/setpriv", "/bin/setpriv"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            return nil
        }
        let probe = Foundation.Process()
        probe.executableURL = URL(fileURLWithPath: path)
        probe.arguments = ["--pdeathsig", "KILL", "--", "/bin/true"]
        probe.standardOutput = FileHandle.nullDevice
        probe.standardError = FileHandle.nullDevice
        guard (try? probe.run()) != nil else { return nil }
        probe.waitUntilExit()
        return probe.terminationStatus == 0 ? path : nil
    }()

    /// Removes, once per process, the folders of clusters whose test process died without
    /// stopping them (their members died with it: see ``parentThread``).
    private static let leftoversRemoved: Void = {
        let temporary = FileManager.default.temporaryDirectory
        for name in (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? [] {
            let parts = name.split(separator: "-")  // etcd-test-PID-RANDOM
            guard parts.count == 4, parts[0] == "etcd", parts[1] == "test", let pid = Int32(parts[2]),
                  pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            try? FileManager.default.removeItem(at: temporary.appendingPathComponent(name))
        }
    }()

    private static func launch(members: Int, executable: String) throws -> EtcdCluster {
        leftoversRemoved
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("etcd-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let clientPorts = try (0..<members).map { _ in try freePort() }
        let peerPorts = try (0..<members).map { _ in try freePort() }
        let cluster = (0..<members).map { "n\($0)=http://127.0.0.1:\(peerPorts[$0])" }.joined(separator: ",")
        var processes: [Foundation.Process] = []
        for member in 0..<members {
            let process = Foundation.Process()
            process.executableURL = URL(fileURLWithPath: setpriv ?? executable)
            process.arguments = (setpriv == nil ? [] : ["--pdeathsig", "KILL", "--", executable]) + [
                "--name", "n\(member)",
                "--data-dir", folder.appendingPathComponent("n\(member)").path,
                "--listen-client-urls", "http://127.0.0.1:\(clientPorts[member])",
                "--advertise-client-urls", "http://127.0.0.1:\(clientPorts[member])",
                "--listen-peer-urls", "http://127.0.0.1:\(peerPorts[member])",
                "--initial-advertise-peer-urls", "http://127.0.0.1:\(peerPorts[member])",
                "--initial-cluster", cluster,
                "--initial-cluster-token", folder.lastPathComponent,
                "--initial-cluster-state", "new",
            ]
            let log = folder.appendingPathComponent("n\(member).log")
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            let handle = try FileHandle(forWritingTo: log)
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
            processes.append(process)
        }
        return EtcdCluster(endpoints: clientPorts.map { EtcdEndpoint(host: "127.0.0.1", port: $0) },
                           processes: processes, folder: folder)
    }

    private enum Startup {
        case serving
        case exited(log: String)
        case timedOut(EtcdEndpoint, any Error, log: String)
    }

    /// Every member answers a read (the cluster has a leader), or one of them has exited:
    /// a bounded wait for the servers this test started, not a guess at how long they take.
    private func waitUntilServing() async -> Startup {
        let deadline = ContinuousClock.now + .seconds(30)
        for endpoint in endpoints {
            let client = EtcdClient(endpoints: [endpoint], requestTimeout: Self.scaled(.seconds(1)))
            defer { client.close() }
            while true {
                do {
                    _ = try await client.get("startup-probe")
                    break
                } catch {
                    if let exited = processes.firstIndex(where: { !$0.isRunning }) {
                        return .exited(log: logTail(exited))
                    }
                    guard ContinuousClock.now < deadline else {
                        return .timedOut(endpoint, error, log: logTail(endpoints.firstIndex(of: endpoint) ?? 0))
                    }
                    try? await Task.sleep(for: .milliseconds(50))
                }
            }
        }
        return .serving
    }

    /// The last lines of member `index`'s log.
    private func logTail(_ index: Int, lines: Int = 8) -> String {
        let log = folder.appendingPathComponent("n\(index).log")
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? "(no log)"
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    /// `duration` times how much slower this process runs: 1, or more under a sanitizer
    /// (the factor the tests' `Slowdown` and the runtime's `Timeout.default` use).
    static func scaled(_ duration: Duration) -> Duration { duration * Int(cplatform_sanitizer_slowdown()) }

    /// A client of every member; its request timeout defaults to 2 s, times 3 under
    /// AddressSanitizer and 5 under ThreadSanitizer (their runtimes make every answer
    /// later).
    public func client(requestTimeout: Duration? = nil) -> EtcdClient {
        EtcdClient(endpoints: endpoints, requestTimeout: requestTimeout ?? Self.scaled(.seconds(2)))
    }

    /// Stops member `index` with SIGSTOP: it answers nothing, as if cut off, until
    /// ``resume(_:)``.
    public func pause(_ index: Int) { kill(processes[index].processIdentifier, SIGSTOP) }

    /// Lets a paused member run again (SIGCONT).
    public func resume(_ index: Int) { kill(processes[index].processIdentifier, SIGCONT) }

    /// Kills every member and removes their data.
    public func stop() {
        for process in processes where process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: folder)
    }

    /// Ports handed out by ``freePort()`` in this process: two clusters started at once
    /// never share one.
    private static let handedOut = Lock<Set<Int>>([])

    /// A loopback port nothing listens on now, not handed out before in this process, and
    /// outside Linux's default ephemeral range (32768–60999), so that the clients a test
    /// suite opens — which the kernel gives ephemeral ports — cannot take it before etcd binds.
    public static func freePort() throws -> Int {
        for _ in 0..<1_000 {
            let port = Int.random(in: 20_000..<32_000)
            guard handedOut.withLock({ $0.insert(port).inserted }) else { continue }
            if try isFree(port) { return port }
        }
        throw EtcdTestFailure("no free loopback port in 20000..<32000 after 1000 tries")
    }

    /// Whether a TCP socket can bind 127.0.0.1:`port` now.
    private static func isFree(_ port: Int) throws -> Bool {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw EtcdTestFailure("socket: errno \(errno)") }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return bound == 0
    }
}

/// Why an etcd fixture could not be set up.
public struct EtcdTestFailure: Error, CustomStringConvertible {
    /// What went wrong.
    public var description: String
    init(_ description: String) { self.description = description }
}
