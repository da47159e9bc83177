import EtcdClient
import EtcdTesting
import Foundation
import Supervision
import TestSupport
import Testing
import WorkerRegistry
import WorkerRegistryEtcd
import WorkerRegistryTesting

/// The etcd cluster a suite's tests share: started once around the suite, stopped after.
struct SharedEtcdCluster: SuiteTrait, TestScoping {
    @TaskLocal static var current: EtcdCluster?

    let members: Int
    var isRecursive: Bool { false }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let cluster = try await EtcdCluster.start(members: members)
        defer { cluster.stop() }
        try await Self.$current.withValue(cluster) { try await function() }
    }

    /// The cluster of the running suite.
    static func cluster() throws -> EtcdCluster {
        try #require(current, "the suite runs without .sharedEtcd(members:)")
    }

    /// A namespace no other check uses.
    static func freshPrefix() -> String { "conformance-\(UUID().uuidString)/" }

    /// An adapter for one node, its client trying the members from `first` on.
    static func adapter(prefix: String, node: String, first: Int = 0) throws -> EtcdRegistration {
        let endpoints = try cluster().endpoints
        let rotated = Array(endpoints[(first % endpoints.count)...] + endpoints[..<(first % endpoints.count)])
        return EtcdRegistration(client: EtcdClient(endpoints: rotated, requestTimeout: Slowdown.scaled(.seconds(2))), prefix: prefix,
                                node: ClusterNode(name: node, address: "\(node).local:7000"), ttl: Slowdown.scaled(5))
    }
}

extension Trait where Self == SharedEtcdCluster {
    /// One etcd cluster of `members` members for the whole suite.
    static func sharedEtcd(members: Int) -> SharedEtcdCluster { SharedEtcdCluster(members: members) }
}

let oneNodeChecks = RegistrationAdapterConformance.checks(for: {
    try SharedEtcdCluster.adapter(prefix: SharedEtcdCluster.freshPrefix(), node: "a")
})
let peerChecks = RegistrationAdapterConformance.checks(forPeers: {
    let prefix = SharedEtcdCluster.freshPrefix()
    return try ["a", "b", "c"].enumerated().map { try SharedEtcdCluster.adapter(prefix: prefix, node: $1, first: $0) }
})
let poolChecks = RegistrationAdapterConformance.checks(forPools: {
    try SharedEtcdCluster.adapter(prefix: SharedEtcdCluster.freshPrefix(), node: "a")
})
let poolPeerChecks = RegistrationAdapterConformance.checks(forPoolPeers: {
    let prefix = SharedEtcdCluster.freshPrefix()
    return try ["a", "b", "c"].enumerated().map { try SharedEtcdCluster.adapter(prefix: prefix, node: $1, first: $0) }
})

@Suite("EtcdRegistration passes the registration adapter conformance suite on a one-member etcd",
       .enabled(if: EtcdCluster.runs, "etcd is not on PATH: install Debian's etcd-server to run the etcd tests"),
       .sharedEtcd(members: 1), .timeLimit(.minutes(Slowdown.scaled(2))))
struct EtcdRegistrationOneMemberTests {
    @Test(arguments: oneNodeChecks)
    func conformance(_ check: RegistrationAdapterConformance.Check) async throws {
        try await check.run()
    }

    @Test(arguments: peerChecks)
    func peers(_ check: RegistrationAdapterConformance.Check) async throws {
        try await check.run()
    }

    @Test("a ClusterPool passes the one-node checks", arguments: poolChecks)
    func poolConformance(_ check: RegistrationAdapterConformance.Check) async throws {
        try await check.run()
    }

    @Test("ClusterPools on three nodes pass the checks of peers", arguments: poolPeerChecks)
    func poolPeers(_ check: RegistrationAdapterConformance.Check) async throws {
        try await check.run()
    }
}

@Suite("EtcdRegistration passes the registration adapter conformance suite on a three-member etcd",
       .enabled(if: EtcdCluster.runs, "etcd is not on PATH: install Debian's etcd-server to run the etcd tests"),
       .sharedEtcd(members: 3), .timeLimit(.minutes(Slowdown.scaled(2))))
struct EtcdRegistrationThreeMemberTests {
    @Test(arguments: oneNodeChecks)
    func conformance(_ check: RegistrationAdapterConformance.Check) async throws {
        try await check.run()
    }

    @Test(arguments: peerChecks)
    func peers(_ check: RegistrationAdapterConformance.Check) async throws {
        try await check.run()
    }

    @Test("a ClusterPool passes the one-node checks", arguments: poolChecks)
    func poolConformance(_ check: RegistrationAdapterConformance.Check) async throws {
        try await check.run()
    }

    @Test("ClusterPools on three nodes pass the checks of peers", arguments: poolPeerChecks)
    func poolPeers(_ check: RegistrationAdapterConformance.Check) async throws {
        try await check.run()
    }
}

@Suite("EtcdRegistration's membership is a supervised process",
       .enabled(if: EtcdCluster.runs, "etcd is not on PATH: install Debian's etcd-server to run the etcd tests"),
       .sharedEtcd(members: 1), .timeLimit(.minutes(Slowdown.scaled(2))))
struct ClusterMembershipTests {
    @Test("killed outright, the membership is restarted: the old session's holders are gone, its lease revoked, and names are claimed under a new lease")
    func killedMembershipRestarts() async throws {
        let prefix = SharedEtcdCluster.freshPrefix()
        let history = History()
        let cluster = try SharedEtcdCluster.cluster()
        let adapter = EtcdRegistration(client: cluster.client(), prefix: prefix, node: ClusterNode(name: "a"),
                                       ttl: Slowdown.scaled(5), onEvent: history.record("a"))
        let (spec, registry) = adapter.childSpec()
        let root = try await Supervisor.start(children: [spec, DynamicSupervisor.childSpec(id: "workers")],
                                              options: .init(strategy: .restForOne))
        let workersPID = try #require(try await root.whichChildren()[1].pid)
        let workers = try #require(DynamicSupervisor(pid: workersPID))
        let start: @Sendable (any ProcessName) -> ChildSpec = { .worker(Session.self, arguments: "x", id: "x", name: $0) }
        guard case .local(let first, let firstToken) = try await adapter.startChild(meta: registry, name: "x", supervisor: workers, spec: start) else {
            Issue.record("x was not started here")
            return
        }
        let subtree = Supervisor(pid: try #require(try await root.whichChildren()[0].pid))
        let membership = try #require(try await subtree.whichChildren().first { $0.id == "cluster membership" }?.pid)
        let firstLease = history.all.compactMap { if case .leased(let lease) = $0.event { lease } else { nil } }.first

        Process.exit(membership, .kill)
        await history.wait { entry in
            if case .leased(let lease) = entry.event { return lease != firstLease } else { return false }
        }
        #expect(!Process.isAlive(first), "the old session's holder was stopped")
        guard case .local(let second, let secondToken) = try await adapter.startChild(meta: registry, name: "x", supervisor: workers, spec: start) else {
            Issue.record("x was not started again here")
            return
        }
        #expect(second != first && secondToken > firstToken)
        let stored = try #require(try await cluster.client().get(prefix + "x"))
        #expect(stored.createRevision == secondToken)
        let oldLease = try #require(firstLease)
        #expect(try await cluster.client().timeToLive(oldLease) == nil, "the old lease is revoked")
        #expect(history.violations().isEmpty, "\(history.violations())")
        try await root.stop()
    }
}
