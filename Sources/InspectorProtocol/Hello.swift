/// What a client says first: the protocol version it speaks and who it is.
public struct ClientHello: Sendable, Hashable, Codable {
    /// The client's ``InspectorWire/protocolVersion``.
    public var protocolVersion: Int
    /// A name for the app's log (`pooltui 1`, `my-script`).
    public var client: String

    /// Creates a hello with the given fields, speaking this build's version by default.
    public init(protocolVersion: Int = InspectorWire.protocolVersion, client: String) {
        self.protocolVersion = protocolVersion
        self.client = client
    }

    enum CodingKeys: String, CodingKey {
        case protocolVersion = "protocol"
        case client
    }
}

/// The server's answer to the hello: the app and what it lets a client see and do.
public struct ServerHello: Sendable, Hashable, Codable {
    /// The server's ``InspectorWire/protocolVersion``.
    public var protocolVersion: Int
    /// The app's name (the one `pooltui attach NAME` takes).
    public var app: String
    /// The app's OS process id.
    public var pid: Int32
    /// When the app's inspector started, in milliseconds since 1970 (UTC).
    public var startedAtUnixMilliseconds: Int64
    /// The app's clock now, in nanoseconds: the clock of every `startedAt`, `since` and
    /// event `time` the server sends.
    public var now: Int64
    /// When the inspector started, on that clock.
    public var startedAt: Int64
    /// The server software, for diagnostics.
    public var server: String
    /// `true` when the app allows no commands at all.
    public var readOnly: Bool
    /// The pools and registries the app lets clients watch, in the order it named them.
    public var pools: [PoolDescription]

    /// Creates a hello with the given fields, speaking this build's version by default.
    public init(protocolVersion: Int = InspectorWire.protocolVersion, app: String, pid: Int32,
                startedAtUnixMilliseconds: Int64, now: Int64, startedAt: Int64, server: String,
                readOnly: Bool, pools: [PoolDescription]) {
        self.protocolVersion = protocolVersion
        self.app = app
        self.pid = pid
        self.startedAtUnixMilliseconds = startedAtUnixMilliseconds
        self.now = now
        self.startedAt = startedAt
        self.server = server
        self.readOnly = readOnly
        self.pools = pools
    }

    enum CodingKeys: String, CodingKey {
        case protocolVersion = "protocol"
        case app, pid, startedAtUnixMilliseconds = "startedAtUnixMs", now, startedAt, server, readOnly, pools
    }
}

/// One pool or registry a client can watch.
public struct PoolDescription: Sendable, Hashable, Codable {
    /// What is watched.
    public enum Kind: String, Sendable, Hashable, Codable {
        /// A `WorkerPool`: a registry of workers under a dynamic supervisor.
        case pool
        /// A plain `Registry`: its entries, whoever registered them.
        case registry
    }

    /// The name the app gave it (unique within the app).
    public var name: String
    /// Whether it is a pool or a plain registry.
    public var kind: Kind
    /// `unique` or `duplicate`.
    public var keys: String
    /// The worker type of a pool (its `GenServer`), if known.
    public var worker: String?
    /// The commands the app allows on it; empty when read-only.
    public var commands: [CommandKind]
    /// Why commands are not allowed, when some are not: shown to the person who tries.
    public var readOnlyReason: String?

    /// Creates a description with the given fields.
    public init(name: String, kind: Kind, keys: String, worker: String?, commands: [CommandKind], readOnlyReason: String?) {
        self.name = name
        self.kind = kind
        self.keys = keys
        self.worker = worker
        self.commands = commands
        self.readOnlyReason = readOnlyReason
    }

    enum CodingKeys: String, CodingKey {
        case name, kind, keys, worker, commands, readOnlyReason
    }

    /// Decodes a description; commands this build does not know are left out of
    /// ``commands``, and a missing `worker` or `readOnlyReason` reads as `nil`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        kind = try container.decode(Kind.self, forKey: .kind)
        keys = try container.decode(String.self, forKey: .keys)
        worker = try container.decodeIfPresent(String.self, forKey: .worker)
        // Commands a newer server knows and this client does not are left out.
        commands = try container.decode([String].self, forKey: .commands).compactMap(CommandKind.init(rawValue:))
        readOnlyReason = try container.decodeIfPresent(String.self, forKey: .readOnlyReason)
    }

    /// Whether `command` is allowed.
    public func allows(_ command: CommandKind) -> Bool { commands.contains(command) }
}

/// The commands an inspector can carry out, each only if the app allows it.
public enum CommandKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// Stop a worker through its supervisor (its shutdown policy; not restarted).
    case stop
    /// Kill a worker (the untrappable exit signal).
    case kill
    /// Crash a worker (an exit signal with an error reason: restarted as a crash).
    case crash
    /// `lookupOrStart` an id.
    case lookupOrStart
    /// Set a registry meta entry.
    case putMeta
}
