import ArgumentParser
import EtcdClient
import Logging
import Supervision
import WorkerRegistryEtcd

#if canImport(Glibc)
import Glibc
#endif

/// A worker of the clustered demo: one per id, somewhere in the cluster.
struct DemoSession: GenServer {
    typealias Arguments = String
    enum Request: Sendable { case hello }
    typealias Reply = String
    let id: String
    static func initialize(_ id: String) async throws -> InitResult<DemoSession> { .ok(DemoSession(id: id)) }
    mutating func handleCall(_ request: Request, from caller: Caller<String>) async throws -> CallResult<String> {
        .reply("\(id) here")
    }
}

/// `pooltui demo --cluster`: one node of a demo cluster. Asks for random ids out of
/// `ids`, starting each here when no node holds it; every few seconds stops one of its
/// own (its name is released); says what it holds. Until SIGINT or SIGTERM (then its
/// lease is revoked); a SIGKILL leaves its names to etcd's lease expiry.
enum ClusterDemo {
    static func run(etcd: String, node: String, prefix: String, ids: Int, ttl: Int64) async throws {
        let endpoints: [EtcdEndpoint]
        do {
            endpoints = try EtcdEndpoint.list(etcd)
        } catch {
            throw ExitCode.failure("pooltui: \(error.message)", code: 2)
        }
        let runtime = Runtime(logger: Logger(label: node), label: node)
        let registry = EtcdRegistry(client: EtcdClient(endpoints: endpoints), prefix: prefix,
                                    node: ClusterNode(name: node, address: "pid \(getpid())"), ttl: ttl, runtime: runtime)
        let root = try await Supervisor.start(children: [registry.childSpec(), DynamicSupervisor.childSpec(id: "sessions")],
                                              runtime: runtime)
        guard let pid = try await root.whichChildren()[1].pid, let sessions = DynamicSupervisor(pid: pid) else {
            throw ExitCode.failure("pooltui: the demo's supervisor did not start", code: 1)
        }
        do {
            try await registry.start()
        } catch {
            try? await root.stop()
            throw ExitCode.failure("pooltui: \(error.message)", code: 1)
        }
        printLine("pooltui demo --cluster: node \(node) (pid \(getpid())) on \(etcd), prefix \(prefix), ids 0..<\(ids); stop with Ctrl-C or SIGTERM")
        let load = Task {
            var round = 0
            while !Task.isCancelled {
                round += 1
                let id = "id-\(Int.random(in: 0..<ids))"
                _ = try? await registry.lookupOrStart(id, supervisor: sessions) { name in
                    .worker(DemoSession.self, arguments: id, id: id, name: name, restart: .temporary)
                }
                if round % 100 == 0 {
                    let here = registry.registry.count()
                    let elsewhere = (0..<ids).filter { if case .remote = registry.lookup("id-\($0)") { return true } else { return false } }.count
                    printLine("node \(node): \(here) ids here, \(elsewhere) on other nodes, \(ids - here - elsewhere) free")
                }
                if round % 150 == 0, let own = registry.registry.select({ key, pid, _ in (key, pid) }).randomElement() {
                    Process.exit(own.1, .shutdown)  // a session ends: its name is released
                }
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        await waitForTerminationSignal()
        load.cancel()
        printLine("node \(node): stopping (its lease is revoked: its ids are free at once)")
        await registry.stop()
        try? await root.stop()
    }
}
