import InspectorProtocol
import Logging

extension Inspector {
    /// The commands an inspector carries out for its clients.
    public struct Commands: OptionSet, Sendable, Hashable {
        /// The commands' bits, one per command.
        public let rawValue: Int
        /// The commands whose bits are set in `rawValue`.
        public init(rawValue: Int) { self.rawValue = rawValue }

        /// Stop a worker through its pool's supervisor (not restarted).
        public static let stop = Commands(rawValue: 1 << 0)
        /// Kill a worker (brutal; its supervisor restarts it by its policy).
        public static let kill = Commands(rawValue: 1 << 1)
        /// Crash a worker (an exit signal with an error reason).
        public static let crash = Commands(rawValue: 1 << 2)
        /// `lookupOrStart` an id (pools whose watch says how to start one).
        public static let lookupOrStart = Commands(rawValue: 1 << 3)
        /// Set registry meta.
        public static let putMeta = Commands(rawValue: 1 << 4)

        /// Every command.
        public static let all: Commands = [.stop, .kill, .crash, .lookupOrStart, .putMeta]
        /// None: clients can look but not touch (the default).
        public static let none: Commands = []

        var kinds: Set<CommandKind> {
            var kinds = Set<CommandKind>()
            if contains(.stop) { kinds.insert(.stop) }
            if contains(.kill) { kinds.insert(.kill) }
            if contains(.crash) { kinds.insert(.crash) }
            if contains(.lookupOrStart) { kinds.insert(.lookupOrStart) }
            if contains(.putMeta) { kinds.insert(.putMeta) }
            return kinds
        }
    }

    /// How an inspector serves.
    public struct Options: Sendable {
        /// What clients may do besides watching: ``Commands/none`` (read-only) unless the
        /// app opts in.
        public var commands: Commands
        /// The folder for the socket; `nil` for the per-user default
        /// (`$XDG_RUNTIME_DIR/pooltui`, else `/tmp/pooltui-<uid>`), where `pooltui ls`
        /// looks.
        public var directory: String?
        /// How long a dead worker stays in the table, so its cleanup can be seen.
        public var tombstoneTime: Duration
        /// Clients served at once; more are turned away with a message.
        public var maxClients: Int
        /// Bytes of replies queued for one client before its requests are no longer
        /// read (a client that does not read its replies).
        public var clientReplyBytes: Int
        /// Bytes of pushed events queued for one client before they are dropped and the
        /// client is told to resync.
        public var clientPushBytes: Int
        /// Entries the event log keeps.
        public var eventLogCapacity: Int
        /// Where the inspector logs clients, commands and refusals; `nil` for the
        /// runtime's logger.
        public var logger: Logger?

        /// Options with these values; the defaults serve read-only in the per-user folder.
        public init(commands: Commands = .none, directory: String? = nil, tombstoneTime: Duration = .seconds(3),
                    maxClients: Int = 128, clientReplyBytes: Int = 4 << 20, clientPushBytes: Int = 1 << 20,
                    eventLogCapacity: Int = 2_000, logger: Logger? = nil) {
            self.commands = commands
            self.directory = directory
            self.tombstoneTime = tombstoneTime
            self.maxClients = maxClients
            self.clientReplyBytes = clientReplyBytes
            self.clientPushBytes = clientPushBytes
            self.eventLogCapacity = eventLogCapacity
            self.logger = logger
        }
    }
}
