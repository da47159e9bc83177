import EtcdClient
import EtcdTesting
import Logging
import Supervision
import WorkerRegistryEtcd

/// Cluster-wide registration on etcd, against etcd members this section starts itself
/// (`etcd` on PATH; without it the section says so and is skipped), one member and three:
///
/// - `cluster_bare_txn_p50/p99_<n>m`: one etcd transaction (a put) over the same client.
/// - `cluster_claim_txn_p50/p99_<n>m`: the claim transaction (`create_revision == 0`, under
///   a lease), alternated with the bare one in the same loop.
/// - `cluster_lookup_or_start_p50/p99_<n>m`: `lookupOrStart` of a free id: the claim and
///   the local start of its worker.
/// - `cluster_claims_per_second_8_<n>m`: eight concurrent claimers of fresh ids.
/// - `cluster_lookup_remote`: `lookup` of an id another node holds (a memory read).
/// - `cluster_node_death_to_takeover`: a node stops renewing as a killed one would; the
///   time until another node holds its ids, with the TTL used.
func clusterSection(_ reporter: Reporter, _ sizes: Sizes, _ logger: Logger) async throws {
    guard EtcdCluster.executable != nil else {
        reporter.info("cluster: etcd is not on PATH (Debian's etcd-server): section skipped")
        return
    }
    let quick = sizes.dashboardWorkers < 1_000_000
    let samples = quick ? 60 : 1_000
    for members in [1, 3] {
        let cluster = try await EtcdCluster.start(members: members)
        defer { cluster.stop() }
        let client = cluster.client()
        let lease = try await client.grantLease(ttl: 30)
        var bare: [Double] = [], claim: [Double] = []
        for index in 0..<(samples + 20) {
            var start = now()
            try await client.put("bench/bare/\(index)", value: [1])
            let bareTime = Double(now() - start) / 1e3
            start = now()
            _ = try await client.claim("bench/claim/\(index)", value: [1], lease: lease.id)
            let claimTime = Double(now() - start) / 1e3
            if index >= 20 {  // warm-up
                bare.append(bareTime)
                claim.append(claimTime)
            }
        }
        reporter.emit("cluster_bare_txn_p50_\(members)m", percentile(bare, 0.5), "us")
        reporter.emit("cluster_bare_txn_p99_\(members)m", percentile(bare, 0.99), "us")
        reporter.emit("cluster_claim_txn_p50_\(members)m", percentile(claim, 0.5), "us")
        reporter.emit("cluster_claim_txn_p99_\(members)m", percentile(claim, 0.99), "us")
        reporter.emit("cluster_claim_vs_bare_p50_\(members)m", percentile(claim, 0.5) / percentile(bare, 0.5), "x")

        let nodeA = try await BenchNode.start("a", client: cluster.client(), prefix: "pool/", ttl: 30, logger: logger)
        var starts: [Double] = []
        for index in 0..<samples {
            let start = now()
            guard case .local = try await nodeA.lookupOrStart("id-\(index)") else {
                reporter.check(false, "a free id was started here")
                break
            }
            starts.append(Double(now() - start) / 1e3)
        }
        reporter.emit("cluster_lookup_or_start_p50_\(members)m", percentile(starts, 0.5), "us")
        reporter.emit("cluster_lookup_or_start_p99_\(members)m", percentile(starts, 0.99), "us")

        let concurrent = quick ? 200 : 4_000
        let started = now()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for claimer in 0..<8 {
                group.addTask {
                    for index in stride(from: claimer, to: concurrent, by: 8) { _ = try await nodeA.lookupOrStart("many-\(index)") }
                }
            }
            try await group.waitForAll()
        }
        reporter.emit("cluster_claims_per_second_8_\(members)m", Double(concurrent) / (Double(now() - started) / 1e9), "claims/s")
        reporter.check(nodeA.registry.registry.count() == samples + concurrent, "every claimed id runs on node a")

        if members == 1 {
            // A second node's view of a's ids, and lookups of them from memory.
            let nodeB = try await BenchNode.start("b", client: cluster.client(), prefix: "pool/", ttl: 30, logger: logger)
            let ids = (0..<samples).map { "id-\($0)" }
            reporter.check(ids.allSatisfy { nodeB.registry.lookup($0) != nil }, "node b sees every id of node a after its first read")
            let rounds = quick ? 2_000 : 200_000
            let start = now()
            var remote = 0
            for round in 0..<rounds {
                if case .remote = nodeB.registry.lookup(ids[round % ids.count]) { remote += 1 }
            }
            reporter.emit("cluster_lookup_remote", Double(now() - start) / Double(rounds), "ns/op")
            reporter.check(remote == rounds, "every lookup answered remote")

            // Node death: a stops renewing (as a killed node would); b takes its ids.
            let ttl: Int64 = quick ? 2 : 3
            let nodeC = try await BenchNode.start("c", client: cluster.client(), prefix: "death/", ttl: ttl, logger: logger)
            let nodeD = try await BenchNode.start("d", client: cluster.client(), prefix: "death/", ttl: ttl, logger: logger)
            for index in 0..<20 { _ = try await nodeC.lookupOrStart("d-\(index)") }
            nodeC.registry.abandon()
            let died = now()
            var taken = 0
            while taken < 20 {
                taken = 0
                for index in 0..<20 {
                    if case .local = try await nodeD.lookupOrStart("d-\(index)") { taken += 1 }
                }
                if taken < 20 { try await Task.sleep(for: .milliseconds(20)) }
            }
            reporter.emit("cluster_node_death_to_takeover", Double(now() - died) / 1e9, "s")
            reporter.info("cluster_node_death_to_takeover: TTL \(ttl) s; node d polls every 20 ms")
            await nodeD.stop()
            await nodeB.stop()
        }
        await nodeA.stop()
        client.close()
    }
}

/// A node of the bench: its own runtime and tree.
struct BenchNode: Sendable {
    let registry: EtcdRegistry
    let supervisor: DynamicSupervisor
    let root: Supervisor

    static func start(_ name: String, client: EtcdClient, prefix: String, ttl: Int64, logger: Logger) async throws -> BenchNode {
        let runtime = Runtime(logger: logger, label: "cluster \(name)")
        let registry = EtcdRegistry(client: client, prefix: prefix, node: ClusterNode(name: name), ttl: ttl, runtime: runtime)
        let root = try await Supervisor.start(children: [registry.childSpec(), DynamicSupervisor.childSpec(id: "workers")],
                                              runtime: runtime)
        guard let pid = try await root.whichChildren()[1].pid, let supervisor = DynamicSupervisor(pid: pid) else {
            throw BenchFailure.crash
        }
        try await registry.start()
        return BenchNode(registry: registry, supervisor: supervisor, root: root)
    }

    func lookupOrStart(_ id: String) async throws -> ClusterPlacement {
        try await registry.lookupOrStart(id, supervisor: supervisor) { name in
            .worker(BenchWorker.self, arguments: 0, id: id, name: name, restart: .temporary)
        }
    }

    func stop() async {
        await registry.stop()
        try? await root.stop()
    }
}
