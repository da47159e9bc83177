import EtcdClient
import EtcdTesting
import Foundation
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
        return EtcdRegistration(client: EtcdClient(endpoints: rotated), prefix: prefix,
                                node: ClusterNode(name: node, address: "\(node).local:7000"))
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

@Suite("EtcdRegistration passes the registration adapter conformance suite on a one-member etcd",
       .enabled(if: EtcdCluster.runs, "etcd is not on PATH: install Debian's etcd-server to run the etcd tests"),
       .sharedEtcd(members: 1), .timeLimit(.minutes(2)))
struct EtcdRegistrationOneMemberTests {
    @Test(arguments: oneNodeChecks)
    func conformance(_ check: RegistrationAdapterConformance.Check) async throws {
        try await check.run()
    }

    @Test(arguments: peerChecks)
    func peers(_ check: RegistrationAdapterConformance.Check) async throws {
        try await check.run()
    }
}

@Suite("EtcdRegistration passes the registration adapter conformance suite on a three-member etcd",
       .enabled(if: EtcdCluster.runs, "etcd is not on PATH: install Debian's etcd-server to run the etcd tests"),
       .sharedEtcd(members: 3), .timeLimit(.minutes(2)))
struct EtcdRegistrationThreeMemberTests {
    @Test(arguments: oneNodeChecks)
    func conformance(_ check: RegistrationAdapterConformance.Check) async throws {
        try await check.run()
    }

    @Test(arguments: peerChecks)
    func peers(_ check: RegistrationAdapterConformance.Check) async throws {
        try await check.run()
    }
}
