/// Why an etcd request failed. A struct with a code that can grow (new codes are not a
/// breaking change), and a message for people.
public struct EtcdError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case unavailable, timeout, http, malformed, leaseNotFound, invalidEndpoint
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// No endpoint answered: every one refused, was unreachable or failed mid-request.
        public static let unavailable = Code(.unavailable)
        /// An endpoint took longer than the request's timeout (its connection is dropped).
        public static let timeout = Code(.timeout)
        /// The gateway answered with an HTTP error status (its message is kept).
        public static let http = Code(.http)
        /// The answer was not the JSON the gateway sends.
        public static let malformed = Code(.malformed)
        /// The lease is unknown to etcd: it expired or was revoked.
        public static let leaseNotFound = Code(.leaseNotFound)
        /// An endpoint that is not `http://host:port`.
        public static let invalidEndpoint = Code(.invalidEndpoint)

        /// The code's name.
        public var description: String { base.rawValue }
    }

    /// The kind of failure.
    public var code: Code
    /// What happened, for logs and people.
    public var message: String

    /// An error of `code` saying `message`.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }
}
