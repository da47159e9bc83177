/// Why a cluster registration failed. A code that can grow, and a message.
public struct ClusterError: Error, Sendable, Hashable, CustomStringConvertible {
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
        /// The code's name.
        public var description: String { name }
    }

    /// The kind of failure.
    public var code: Code
    /// What happened.
    public var message: String

    /// An error of `code` saying `message`.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }
}
