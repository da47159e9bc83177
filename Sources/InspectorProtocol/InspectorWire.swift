/// The pooltui inspector protocol: what an app's `Inspector` and a dashboard say to each
/// other over a local socket, one JSON object per line.
///
/// A session: the client connects and sends ``Request/hello(_:)`` with its
/// ``protocolVersion``; the server answers with its ``ServerHello`` (app, pid, start time,
/// pools and the commands each allows) or, for another version, a
/// ``ProtocolError/Code/protocolVersion`` error, and closes. Then the client sends
/// requests — each with an `id` the reply repeats as `re` — and, if it subscribed, the
/// server pushes new events between replies. Replies may come out of order (a command can
/// take seconds; a read never waits for it).
///
/// Within one version, fields may be added to any object and new values to any
/// enumeration: readers ignore fields they do not know. A change that an old reader would
/// misread takes a new version.
public enum InspectorWire {
    /// The version this build speaks. Both sides refuse any other.
    public static let protocolVersion = 1

    /// The longest line either side accepts, newline excluded: 1 MiB. A longer request
    /// gets ``ProtocolError/Code/lineTooLong`` and is skipped up to its newline.
    public static let maxLineBytes = 1 << 20
}
