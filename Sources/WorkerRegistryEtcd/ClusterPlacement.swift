import Supervision
import WorkerRegistry

/// A node of the cluster: its name (unique among the nodes sharing a prefix) and the
/// address it advertises for the app's own RPC.
public struct ClusterNode: Sendable, Hashable, CustomStringConvertible {
    /// The node's name.
    public var name: String
    /// Where the app reaches the node (whatever its RPC understands), or empty.
    public var address: String

    /// A node named `name`, reachable at `address`.
    public init(name: String, address: String = "") {
        self.name = name
        self.address = address
    }

    /// `name` (and `@address` if any).
    public var description: String { address.isEmpty ? name : "\(name)@\(address)" }

    /// As stored in a claim's value: `name`, a tab, `address`, a tab, the claim attempt's
    /// number (so that a node tells its retry of one claim from an older claim).
    func encoded(attempt: UInt64) -> [UInt8] { Array("\(name)\t\(address)\t\(attempt)".utf8) }

    init(decoding bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        let parts = text.split(separator: "\t", omittingEmptySubsequences: false)
        self.init(name: parts.first.map(String.init) ?? "", address: parts.count > 1 ? String(parts[1]) : "")
    }
}

/// Where a cluster name lives.
public enum ClusterPlacement: RegistrationPlacement {
    /// Here, as `pid`, holding the claim whose fencing token is `token`.
    case local(PID, token: Int64)
    /// On another node, holding the claim whose fencing token is `token`: route the
    /// request there with the app's own RPC.
    case remote(ClusterNode, token: Int64)

    /// The holder's pid when it runs here; `nil` when it runs on another node.
    public var localPID: PID? {
        if case .local(let pid, _) = self { return pid }
        return nil
    }

    /// The claim's fencing token: the etcd create revision of the name's key, strictly
    /// larger for every new holder of the name.
    public var token: Int64 {
        switch self {
        case .local(_, let token), .remote(_, let token): return token
        }
    }
}

import Supervision
