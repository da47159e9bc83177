/// Why the inspector could not do what the app asked (start serving, watch a pool).
///
/// A struct around a code, as swift-service-lifecycle's `ServiceGroupError`: new codes
/// can be added without breaking a `switch` in the app.
public struct InspectorError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        let name: String
        private init(_ name: String) { self.name = name }

        /// The app name is not usable in a socket file name.
        public static let invalidName = Code("invalidName")
        /// The per-user folder cannot be made, or belongs to someone else.
        public static let directory = Code("directory")
        /// The socket could not be created or bound.
        public static let bind = Code("bind")
        /// A pool or registry of that name is already watched.
        public static let duplicateName = Code("duplicateName")
        /// The inspector is already serving.
        public static let alreadyStarted = Code("alreadyStarted")
        /// ``Inspector/stop()`` was called while ``Inspector/start()`` ran: it serves nothing.
        public static let stopped = Code("stopped")

        /// The code's name, as `invalidName`.
        public var description: String { name }
    }

    /// What went wrong, to `switch` on.
    public let code: Code
    /// What happened, as a sentence for the app's log.
    public let message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The ``message``.
    public var description: String { message }
}
