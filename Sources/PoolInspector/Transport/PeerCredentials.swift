import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// Who is on the other end of a Unix domain socket, as the kernel says
/// (`SO_PEERCRED`): it cannot be forged by the peer.
struct PeerCredentials: Sendable, Hashable, CustomStringConvertible {
    var pid: Int32
    var uid: UInt32
    var gid: UInt32

    var description: String { "pid \(pid), uid \(uid)" }

    /// Whether a peer may attach to an app run by `owner`: the same user, or root.
    func mayAttach(toAppOf owner: UInt32) -> Bool {
        uid == owner || uid == 0
    }

    /// The credentials of `channel`'s peer.
    static func of(_ channel: any Channel) async throws -> PeerCredentials {
        guard let provider = channel as? any SocketOptionProvider else { throw Unsupported() }
        #if os(Linux)
        // `struct ucred { pid_t pid; uid_t uid; gid_t gid; }` is not imported into
        // Swift; a tuple of the same three 4-byte fields has the same layout (tuple
        // elements are laid out in order, each at its natural alignment).
        let raw: (Int32, UInt32, UInt32) = try await provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED)).get()
        return PeerCredentials(pid: raw.0, uid: raw.1, gid: raw.2)
        #else
        throw Unsupported()
        #endif
    }

    struct Unsupported: Error, CustomStringConvertible {
        var description: String { "the peer's credentials cannot be read on this system" }
    }
}
