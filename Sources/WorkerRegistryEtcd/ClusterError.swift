import Supervision
import WorkerRegistry

/// Why a cluster registration failed. A code that can grow, and a message.
public struct ClusterError: RegistrationFailure, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        /// etcd could not be reached (or did not answer in time): nothing was claimed.
        public static let unavailable = Code("unavailable")
        /// This node has fenced itself (it could not renew its lease in time) and claims
        /// nothing until it holds a new lease.
        public static let fenced = Code("fenced")
        /// The registry is not started, or was stopped.
        public static let notRunning = Code("notRunning")
        /// The name was claimed here, but the worker did not start (the claim is released).
        public static let startFailed = Code("startFailed")
        /// A pool's `start` found the name held already (``ClusterError/holder`` says where).
        public static let alreadyStarted = Code("alreadyStarted")
        /// The code's name.
        public var description: String { name }
    }

    /// The kind of failure.
    public var code: Code
    /// What happened.
    public var message: String
    /// Why the worker did not start, for ``Code/startFailed``.
    public var startError: StartError?
    /// Where the name's holder lives, for ``Code/alreadyStarted``.
    public var holder: ClusterPlacement?

    /// An error of `code` saying `message` (with the worker's own `startError`, if the
    /// start was tried).
    public init(_ code: Code, _ message: String, startError: StartError? = nil, holder: ClusterPlacement? = nil) {
        self.code = code
        self.message = message
        self.startError = startError
        self.holder = holder
    }

    /// Hashes the code and the message (the start error is not hashable; the holder is
    /// said in the message).
    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(message)
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }
}
