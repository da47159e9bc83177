import EtcdClient
import Foundation

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
    public static func start(members: Int = 1) async throws -> EtcdCluster {
        guard let executable else {
            throw EtcdTestFailure("etcd is not on PATH: install Debian's etcd-server (apt-get install -y etcd-server)")
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("etcd-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let clientPorts = try (0..<members).map { _ in try freePort() }
        let peerPorts = try (0..<members).map { _ in try freePort() }
        let cluster = (0..<members).map { "n\($0)=http://127.0.0.1:\(peerPorts[$0])" }.joined(separator: ",")
        var processes: [Foundation.Process] = []
        for member in 0..<members {
            let process = Foundation.Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = [
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
        let started = EtcdCluster(endpoints: clientPorts.map { EtcdEndpoint(host: "127.0.0.1", port: $0) },
                                  processes: processes, folder: folder)
        try await started.waitUntilServing()
        return started
    }

    /// Every member answers a read (the cluster has a leader): a bounded wait for the
    /// servers this test started, not a guess at how long they take.
    private func waitUntilServing() async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        for endpoint in endpoints {
            let client = EtcdClient(endpoints: [endpoint], requestTimeout: .seconds(1))
            while true {
                do {
                    _ = try await client.get("startup-probe")
                    break
                } catch {
                    guard ContinuousClock.now < deadline else {
                        stop()
                        throw EtcdTestFailure("etcd at \(endpoint) did not start: \(error)")
                    }
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            client.close()
        }
    }

    /// A client of every member.
    public func client(requestTimeout: Duration = .seconds(2)) -> EtcdClient {
        EtcdClient(endpoints: endpoints, requestTimeout: requestTimeout)
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

    /// A loopback port nothing listens on now.
    public static func freePort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw EtcdTestFailure("socket: errno \(errno)") }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw EtcdTestFailure("bind: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// Why an etcd fixture could not be set up.
public struct EtcdTestFailure: Error, CustomStringConvertible {
    /// What went wrong.
    public var description: String
    init(_ description: String) { self.description = description }
}
