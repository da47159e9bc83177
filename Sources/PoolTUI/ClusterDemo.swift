import ArgumentParser
import EtcdClient
import Logging
import PoolInspector
import Supervision
import WorkerRegistry
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

/// `pooltui demo --cluster`: one node of a demo cluster, a `ClusterPool` of sessions.
/// Asks for random ids out of `ids`, starting each here when no node holds it; every few
/// seconds stops one of its own (its name is released); says what it holds. Serves an
/// inspector named `demo-NODE`, commands allowed: `pooltui attach demo-NODE` shows this
/// node's sessions with their tokens, and stops or kills them. Until SIGINT or SIGTERM
/// (then its lease is revoked); a SIGKILL leaves its names to etcd's lease expiry.
enum ClusterDemo {
    static func run(etcd: String, node: String, prefix: String, ids: Int, ttl: Int64) async throws {
        let endpoints: [EtcdEndpoint]
        do {
            endpoints = try EtcdEndpoint.list(etcd)
        } catch {
            throw ExitCode.failure("pooltui: \(error.message)", code: 2)
        }
        let runtime = Runtime(logger: Logger(label: node), label: node)
        let adapter = EtcdRegistration(client: EtcdClient(endpoints: endpoints), prefix: prefix,
                                       node: ClusterNode(name: node, address: "pid \(getpid())"), ttl: ttl)
        let sessions = ClusterPool(DemoSession.self, name: "sessions", adapter: adapter)
        let root: Supervisor
        do {
            // The node's registry and membership (its lease, renewals and watch), then the
            // pool's supervisor.
            root = try await Supervisor.start(children: [sessions.registrationSpec, sessions.childSpec()],
                                              options: .init(strategy: .restForOne), runtime: runtime)
        } catch {
            throw ExitCode.failure("pooltui: node \(node) did not join the cluster: \(error)", code: 1)
        }
        let inspector = Inspector(name: "demo-\(node)", runtime: runtime, options: .init(commands: .all, logger: Logger(label: node)))
        let path: String
        do {
            try inspector.watch(sessions, newWorker: { $0 })
            path = try await inspector.start()
        } catch {
            try? await root.stop()
            throw ExitCode.failure("pooltui: \(error)", code: 1)
        }
        printLine("pooltui demo --cluster: node \(node) (pid \(getpid())) on \(etcd), prefix \(prefix), ids 0..<\(ids); inspector on \(path) (pooltui attach demo-\(node)); stop with Ctrl-C or SIGTERM")
        let load = Task {
            var round = 0
            while !Task.isCancelled {
                round += 1
                let id = "id-\(Int.random(in: 0..<ids))"
                _ = try? await runtime.run { try await sessions.lookupOrStart(id, arguments: id) }
                if round % 100 == 0 {
                    let here = sessions.count()
                    let elsewhere = (0..<ids).filter { sessions.lookup("id-\($0)")?.localPID == nil && sessions.lookup("id-\($0)") != nil }.count
                    printLine("node \(node): \(here) ids here, \(elsewhere) on other nodes, \(ids - here - elsewhere) free")
                }
                if round % 150 == 0, let own = sessions.sample() {
                    await sessions.stop(own.id)  // a session ends: its name is released
                }
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        await waitForTerminationSignal()
        load.cancel()
        printLine("node \(node): stopping (its lease is revoked: its ids are free at once)")
        await inspector.stop()
        try? await root.stop()
    }
}
