import EtcdClient
import EtcdTesting
import Supervision
import TestSupport
import Testing
@testable import WorkerRegistryEtcd

@Suite("A node's view of the others trails etcd; a lookupOrStart can ask etcd instead",
       .enabled(if: EtcdCluster.runs, "etcd is not on PATH: install Debian's etcd-server to run the etcd tests"),
       .timeLimit(.minutes(Slowdown.scaled(2))))
struct StaleViewTests {
    @Test("a view still naming a gone holder answers remote; lookupOrStart(checkingEtcd: true) claims the free name and starts it here")
    func checkingEtcdBypassesTheView() async throws {
        let cluster = try await EtcdCluster.start()
        defer { cluster.stop() }
        let history = History()
        let a = try await Node.start("a", client: cluster.client(), prefix: "sv/", history: history)
        // As after a holder's end whose delete has not reached this node's watch yet.
        let ghost = ClusterNode(name: "ghost", address: "ghost.local:7000")
        a.registry.apply([EtcdWatchEvent(kind: .put, keyValue: EtcdKeyValue(
            key: "sv/x", value: ghost.encoded(attempt: 1), createRevision: 1, modRevision: 1, lease: 7))])
        #expect(try await a.lookupOrStart("x") == .remote(ghost, token: 1), "the view is trusted by default")

        let fresh = try await a.registry.lookupOrStart("x", supervisor: a.supervisor, checkingEtcd: true) { name in
            .worker(Session.self, arguments: "x", id: "x", name: name)
        }
        guard case .local(let pid, let token) = fresh else {
            Issue.record("etcd says x is free, yet: \(fresh)")
            return
        }
        #expect(token > 1 && Process.isAlive(pid))
        #expect(a.registry.lookup("x") == fresh, "the local holder is what lookups answer now")
        #expect(try await cluster.client().get("sv/x")?.createRevision == token)
        #expect(history.violations().isEmpty, "\(history.violations())")
        await a.stop()
    }

    @Test("a holder that loses its registry entry while it runs (unregistered, or the registry closed) is stopped before its claim is released")
    func entryLostWhileRunning() async throws {
        let cluster = try await EtcdCluster.start()
        defer { cluster.stop() }
        let history = History()
        let a = try await Node.start("a", client: cluster.client(), prefix: "lost/", history: history)
        guard case .local(let pid, let token) = try await a.lookupOrStart("x") else {
            Issue.record("x was not started here")
            return
        }
        let exited = Process.watch(pid)
        a.registry.registry.unregister("x", for: pid)
        #expect(try await exited.reason == .killed, "the holder is stopped: it must not run without its claim")
        await history.wait { $0.event == .ended("x", pid, token: token) }
        guard case .local(let again, let newer) = try await a.lookupOrStart("x") else {
            Issue.record("x was not free again")
            return
        }
        #expect(again != pid && newer > token)
        #expect(history.violations().isEmpty, "\(history.violations())")
        await a.stop()
    }
}
