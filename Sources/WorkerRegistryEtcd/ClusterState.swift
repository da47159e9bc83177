import EtcdClient

/// What etcd alone says of a cluster registry: its nodes, with their leases' time left,
/// and every name with its holder and token — for `pooltui cluster` and for scripts.
public struct ClusterState: Sendable, Hashable {
    /// A node that holds names (a node holding none leaves no trace in etcd).
    public struct Node: Sendable, Hashable {
        /// The node as its claims name it.
        public var node: ClusterNode
        /// Its lease.
        public var lease: Int64
        /// Seconds its lease has left; `nil` once it has expired (its names go next).
        public var secondsLeft: Int64?
        /// How many names it holds.
        public var names: Int
    }

    /// A held name.
    public struct Holder: Sendable, Hashable {
        /// The name (its key without the prefix).
        public var name: String
        /// The node holding it.
        public var node: String
        /// Its fencing token.
        public var token: Int64
    }

    /// The nodes, by name.
    public var nodes: [Node]
    /// The names, in key order.
    public var holders: [Holder]
    /// The etcd revision this was read at.
    public var revision: Int64

    /// Reads the names under `prefix` and the time left on their nodes' leases.
    ///
    /// - Complexity: one range request, and one request per node.
    public static func read(client: EtcdClient, prefix: String) async throws(EtcdError) -> ClusterState {
        let (keyValues, revision) = try await client.range(prefix: prefix)
        var holders: [Holder] = []
        var byLease: [Int64: (node: ClusterNode, names: Int)] = [:]
        for keyValue in keyValues {
            let node = ClusterNode(decoding: keyValue.value)
            holders.append(Holder(name: String(keyValue.key.dropFirst(prefix.count)), node: node.name, token: keyValue.createRevision))
            byLease[keyValue.lease, default: (node, 0)].names += 1
        }
        var nodes: [Node] = []
        for (lease, entry) in byLease {
            let left = try await client.timeToLive(lease)
            nodes.append(Node(node: entry.node, lease: lease, secondsLeft: left, names: entry.names))
        }
        nodes.sort { ($0.node.name, $0.lease) < ($1.node.name, $1.lease) }
        return ClusterState(nodes: nodes, holders: holders, revision: revision)
    }
}
