/// An error one side reports to the other: a stable code for programs, a sentence for
/// people.
public struct ProtocolError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    /// What went wrong, as a stable token. New codes may appear within a protocol
    /// version, so a reader must accept ones it does not know.
    public struct Code: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
        /// The token as it goes on the wire (`unknown_pool`).
        public let rawValue: String
        /// Creates the code with this token; any token is accepted.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// Decodes a code from a bare JSON string; a token this build does not know is kept as is.
        public init(from decoder: any Decoder) throws {
            rawValue = try decoder.singleValueContainer().decode(String.self)
        }
        /// Encodes the code as a bare JSON string: its token.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(rawValue)
        }
        /// The token.
        public var description: String { rawValue }

        /// The line is not a JSON object of the protocol.
        public static let malformed = Code(rawValue: "malformed")
        /// The line is longer than ``InspectorWire/maxLineBytes``.
        public static let lineTooLong = Code(rawValue: "line_too_long")
        /// The `op` is not one this server knows.
        public static let unknownOp = Code(rawValue: "unknown_op")
        /// A request came before the hello.
        public static let helloRequired = Code(rawValue: "hello_required")
        /// The two sides speak different protocol versions.
        public static let protocolVersion = Code(rawValue: "protocol_version")
        /// No pool or registry of that name is watched.
        public static let unknownPool = Code(rawValue: "unknown_pool")
        /// No worker with that ref is known (it has gone).
        public static let unknownWorker = Code(rawValue: "unknown_worker")
        /// The app serves read-only: it allows no commands.
        public static let readOnly = Code(rawValue: "read_only")
        /// The app does not allow this command on this pool.
        public static let notAllowed = Code(rawValue: "not_allowed")
        /// The id is held by another process than the one the command names.
        public static let pidMismatch = Code(rawValue: "pid_mismatch")
        /// The worker is not running.
        public static let notRunning = Code(rawValue: "not_running")
        /// The command was carried out and failed.
        public static let commandFailed = Code(rawValue: "command_failed")
        /// The process did not answer in time.
        public static let timeout = Code(rawValue: "timeout")
        /// The client has too many requests in flight; it is read again once replies
        /// have gone out.
        public static let busy = Code(rawValue: "busy")
        /// The app serves no more clients.
        public static let tooManyClients = Code(rawValue: "too_many_clients")
        /// The client runs as another user than the app (and is not root).
        public static let refused = Code(rawValue: "refused")
        /// A bad argument (an empty id, a negative window …).
        public static let invalid = Code(rawValue: "invalid")
    }

    /// What went wrong, for programs.
    public var code: Code
    /// What went wrong, as a sentence for people (app descriptions unescaped).
    public var message: String

    /// Creates an error with this code and message.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The code and the message, as `code: message`.
    public var description: String { "\(code): \(message)" }
}
