/// One entry of the app's event log: a lifecycle event the inspector saw, or a command.
public struct WireEvent: Sendable, Hashable, Codable {
    /// What kind of event, for colour and filtering.
    public enum Kind: String, Sendable, Hashable, Codable {
        case info, stop, kill, crash, unregister, down, restart, escalation, error, command

        /// Decodes a kind from its string; a kind this build does not know reads as ``info``.
        public init(from decoder: any Decoder) throws {
            self = Kind(rawValue: try decoder.singleValueContainer().decode(String.self)) ?? .info
        }
    }

    /// Strictly increasing within one app run, starting at 1.
    public var seq: UInt64
    /// When it happened, on the app's clock (ns).
    public var time: Int64
    /// The pool it concerns, if any.
    public var pool: String?
    /// What kind of event it is.
    public var kind: Kind
    /// A sentence with the app's descriptions unescaped (escape it to show it).
    public var text: String

    /// Creates an event with the given fields.
    public init(seq: UInt64, time: Int64, pool: String?, kind: Kind, text: String) {
        self.seq = seq
        self.time = time
        self.pool = pool
        self.kind = kind
        self.text = text
    }
}

/// Events after the `since` asked for.
public struct EventsReply: Sendable, Hashable, Codable {
    /// The events sent, oldest first: when not all fit, the newest of them.
    public var entries: [WireEvent]
    /// The last sequence number the app has produced: ask `since` it next time.
    public var last: UInt64
    /// Events after `since` that are no longer kept (the log keeps the newest).
    public var missed: UInt64

    /// Creates a reply with the given fields.
    public init(entries: [WireEvent], last: UInt64, missed: UInt64) {
        self.entries = entries
        self.last = last
        self.missed = missed
    }
}

/// The outcome of a command that was carried out.
public struct CommandReply: Sendable, Hashable, Codable {
    /// What happened, as a sentence (app descriptions unescaped).
    public var outcome: String
    /// The process the command concerned or started.
    public var pid: String?

    /// Creates a reply with the given fields.
    public init(outcome: String, pid: String?) {
        self.outcome = outcome
        self.pid = pid
    }
}
