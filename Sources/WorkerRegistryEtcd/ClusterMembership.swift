import Supervision

/// The process that holds a node's cluster membership in a supervision tree: it starts
/// the ``EtcdRegistry`` (lease, renewals, watch) as it starts, and stops it — holders
/// killed, lease revoked — as it stops. It traps exits so that its supervisor's shutdown
/// runs ``terminate(_:)``; killed outright, the next start (a restart) stops the earlier
/// session before taking a new lease.
struct ClusterMembership: GenServer {
    typealias Arguments = EtcdRegistry
    let registry: EtcdRegistry

    static func initialize(_ registry: EtcdRegistry) async throws -> InitResult<ClusterMembership> {
        _ = try Process.flag(trapExit: true)
        // A restart after a kill: `start` stops the earlier session first.
        try await registry.start()
        return .ok(ClusterMembership(registry: registry))
    }

    mutating func terminate(_ reason: ExitReason) async {
        await registry.stop()
    }
}
