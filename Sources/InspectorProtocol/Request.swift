/// What a client asks. Every request but ``hello(_:)`` needs the hello first.
public enum Request: Sendable, Hashable {
    /// The first request: the client's version. Answered with ``Reply/hello(_:)``.
    case hello(ClientHello)
    /// Counts of every pool. Answered with ``Reply/summary(_:)``.
    case summary
    /// A window of rows in a sort and filter order. Answered with ``Reply/rows(_:)``.
    case rows(RowsQuery)
    /// One worker, with its process's details. Answered with ``Reply/worker(_:)``.
    case worker(WorkerQuery)
    /// Ask a worker to describe its state. Answered with ``Reply/state(_:)``.
    case describeState(StateQuery)
    /// The supervision tree. Answered with ``Reply/tree(_:)``.
    case tree
    /// Events after a sequence number. Answered with ``Reply/events(_:)``.
    case events(EventsQuery)
    /// Have new events pushed (``Push/events(_:)``). Answered with ``Reply/subscribed``.
    case subscribe(SubscribeQuery)
    /// Carry out a command. Answered with ``Reply/command(_:)``.
    case command(CommandRequest)

    /// The request's `op` on the wire.
    public var op: String {
        switch self {
        case .hello: return "hello"
        case .summary: return "summary"
        case .rows: return "rows"
        case .worker: return "worker"
        case .describeState: return "state"
        case .tree: return "tree"
        case .events: return "events"
        case .subscribe: return "subscribe"
        case .command: return "command"
        }
    }
}

/// A request with the id its reply carries: `{"id":7,"op":"rows",…}` on the wire.
public struct RequestEnvelope: Sendable, Hashable, Codable {
    /// The client's number for the request, repeated as `re` in its reply.
    public var id: Int64
    /// What is asked.
    public var request: Request

    /// Creates an envelope for `request` with this id.
    public init(id: Int64, _ request: Request) {
        self.id = id
        self.request = request
    }

    enum CodingKeys: String, CodingKey { case id, op }

    /// Decodes a request from one flat object: `id`, `op` and the op's own fields beside them.
    /// Fields it does not know are ignored; an `op` it does not know throws (reported as
    /// ``ProtocolError/Code/unknownOp``).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(Int64.self, forKey: .id)
        let op = try container.decode(String.self, forKey: .op)
        switch op {
        case "hello": request = .hello(try ClientHello(from: decoder))
        case "summary": request = .summary
        case "rows": request = .rows(try RowsQuery(from: decoder))
        case "worker": request = .worker(try WorkerQuery(from: decoder))
        case "state": request = .describeState(try StateQuery(from: decoder))
        case "tree": request = .tree
        case "events": request = .events(try EventsQuery(from: decoder))
        case "subscribe": request = .subscribe(try SubscribeQuery(from: decoder))
        case "command": request = .command(try CommandRequest(from: decoder))
        default: throw UnknownOp(op: op)
        }
    }

    /// Encodes the request as one flat object: `id`, `op` and the op's own fields beside them.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(request.op, forKey: .op)
        switch request {
        case .hello(let hello): try hello.encode(to: encoder)
        case .summary, .tree: break
        case .rows(let query): try query.encode(to: encoder)
        case .worker(let query): try query.encode(to: encoder)
        case .describeState(let query): try query.encode(to: encoder)
        case .events(let query): try query.encode(to: encoder)
        case .subscribe(let query): try query.encode(to: encoder)
        case .command(let command): try command.encode(to: encoder)
        }
    }

    /// An `op` this build does not know (decoding reports it as ``ProtocolError/Code/unknownOp``).
    struct UnknownOp: Error {
        var op: String
    }
}

/// How a table is ordered.
public enum SortKey: String, Sendable, Hashable, Codable, CaseIterable {
    /// By id, in natural order (numbers by value).
    case key
    /// Longest-running first.
    case uptime
    /// Most restarted first.
    case restarts
    /// Dead (tombstone) rows first, then live ones.
    case state

    /// The next order in the cycle the `o` key walks.
    public var next: SortKey {
        let all = Self.allCases
        return all[(all.firstIndex(of: self)! + 1) % all.count]
    }
}

/// Which rows a client wants: `before` rows before a focus and `after` after it, in a
/// sort and filter order.
public struct RowsQuery: Sendable, Hashable, Codable {
    /// Where the window is anchored: the row with `ref` if it is still in the view,
    /// else the row at `position` (clamped to the view).
    public struct Focus: Sendable, Hashable, Codable {
        /// The ``WireRow/ref`` of the row to keep in focus, or `nil` to go by position only.
        public var ref: UInt64?
        /// The position in the view to fall back on (0 is the first row; not negative).
        public var position: Int

        /// Creates a focus on the row with `ref`, or else the row at `position`.
        public init(ref: UInt64? = nil, position: Int) {
            self.ref = ref
            self.position = position
        }
    }

    /// The name of the pool or registry.
    public var pool: String
    /// The order of the view.
    public var sort: SortKey
    /// Rows whose id contains this text (UTF-8 substring); empty for all.
    public var filter: String
    /// The row the window is anchored on.
    public var focus: Focus
    /// How many rows before the focus to send (not negative; the server caps it at 5,000).
    public var before: Int
    /// How many rows after the focus to send (not negative; the server caps it at 5,000).
    public var after: Int

    /// Creates a query with the given fields; by default the first row by id, unfiltered, and 50 after it.
    public init(pool: String, sort: SortKey = .key, filter: String = "", focus: Focus = Focus(position: 0),
                before: Int = 0, after: Int = 50) {
        self.pool = pool
        self.sort = sort
        self.filter = filter
        self.focus = focus
        self.before = before
        self.after = after
    }
}

/// One worker of a pool, by the ref its rows carry.
public struct WorkerQuery: Sendable, Hashable, Codable {
    /// The name of the pool or registry.
    public var pool: String
    /// The worker's ``WireRow/ref``.
    public var ref: UInt64

    /// Creates a query with the given fields.
    public init(pool: String, ref: UInt64) {
        self.pool = pool
        self.ref = ref
    }
}

/// Ask the worker with `ref` — if it still runs as `pid` — to describe its state.
public struct StateQuery: Sendable, Hashable, Codable {
    /// The name of the pool or registry.
    public var pool: String
    /// The worker's ``WireRow/ref``.
    public var ref: UInt64
    /// The pid the person saw (`<0.42.0>`): refused with ``ProtocolError/Code/pidMismatch`` if it now differs.
    public var pid: String
    /// How long the worker has to answer (capped by the server at 5 s).
    public var timeoutMilliseconds: Int

    /// Creates a query with the given fields; by default the worker has 500 ms to answer.
    public init(pool: String, ref: UInt64, pid: String, timeoutMilliseconds: Int = 500) {
        self.pool = pool
        self.ref = ref
        self.pid = pid
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    enum CodingKeys: String, CodingKey {
        case pool, ref, pid, timeoutMilliseconds = "timeoutMs"
    }
}

/// Events with a sequence number greater than `since`, oldest first, at most `limit`.
public struct EventsQuery: Sendable, Hashable, Codable {
    /// The last sequence number the client has seen; 0 for the whole log.
    public var since: UInt64
    /// The most events to send, the newest of them (the server caps it at 5,000).
    public var limit: Int

    /// Creates a query with the given fields; by default the whole log, at most 500 events.
    public init(since: UInt64 = 0, limit: Int = 500) {
        self.since = since
        self.limit = limit
    }
}

/// Whether new events are pushed to this client.
public struct SubscribeQuery: Sendable, Hashable, Codable {
    /// `true` to have new events pushed, `false` to stop them.
    public var events: Bool

    /// Creates a query with the given field; by default it subscribes.
    public init(events: Bool = true) {
        self.events = events
    }
}

/// A worker as the person saw it: the command is refused if the id is now held by
/// another process.
public struct WorkerTarget: Sendable, Hashable, Codable {
    /// The row's ref.
    public var ref: UInt64
    /// The pid the person saw (`<0.42.0>`).
    public var pid: String

    /// Creates a target with the given fields.
    public init(ref: UInt64, pid: String) {
        self.ref = ref
        self.pid = pid
    }
}

/// A command for one pool.
public struct CommandRequest: Sendable, Hashable, Codable {
    /// What to do.
    public enum Action: Sendable, Hashable {
        /// Stop the worker through its supervisor (``CommandKind/stop``).
        case stop(WorkerTarget)
        /// Kill the worker (``CommandKind/kill``).
        case kill(WorkerTarget)
        /// Crash the worker (``CommandKind/crash``).
        case crash(WorkerTarget)
        /// `lookupOrStart` the id written as text (the app parses it).
        case lookupOrStart(id: String)
        /// Set the registry meta entry `key` to `value`.
        case putMeta(key: String, value: String)

        /// The command this action carries out, as the app allows or refuses it.
        public var kind: CommandKind {
            switch self {
            case .stop: return .stop
            case .kill: return .kill
            case .crash: return .crash
            case .lookupOrStart: return .lookupOrStart
            case .putMeta: return .putMeta
            }
        }
    }

    /// The name of the pool or registry.
    public var pool: String
    /// What to do.
    public var action: Action

    /// Creates a command to carry out `action` on `pool`.
    public init(pool: String, _ action: Action) {
        self.pool = pool
        self.action = action
    }

    /// The worker's id is `workerId` on the wire: `id` is the request's.
    enum CodingKeys: String, CodingKey { case pool, command, ref, pid, id = "workerId", key, value }

    /// Decodes a command from `pool`, `command` and that command's fields (`ref` and `pid`; `workerId`;
    /// `key` and `value`). Other fields are ignored; a `command` this build does not know throws.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        pool = try container.decode(String.self, forKey: .pool)
        let command = try container.decode(String.self, forKey: .command)
        func target() throws -> WorkerTarget {
            WorkerTarget(ref: try container.decode(UInt64.self, forKey: .ref), pid: try container.decode(String.self, forKey: .pid))
        }
        switch command {
        case "stop": action = .stop(try target())
        case "kill": action = .kill(try target())
        case "crash": action = .crash(try target())
        case "lookupOrStart": action = .lookupOrStart(id: try container.decode(String.self, forKey: .id))
        case "putMeta":
            action = .putMeta(key: try container.decode(String.self, forKey: .key),
                              value: try container.decode(String.self, forKey: .value))
        default:
            throw DecodingError.dataCorruptedError(forKey: .command, in: container,
                                                   debugDescription: "unknown command \(command)")
        }
    }

    /// Encodes `pool`, `command` (its ``CommandKind`` raw value) and that command's fields.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(pool, forKey: .pool)
        try container.encode(action.kind.rawValue, forKey: .command)
        switch action {
        case .stop(let target), .kill(let target), .crash(let target):
            try container.encode(target.ref, forKey: .ref)
            try container.encode(target.pid, forKey: .pid)
        case .lookupOrStart(let id):
            try container.encode(id, forKey: .id)
        case .putMeta(let key, let value):
            try container.encode(key, forKey: .key)
            try container.encode(value, forKey: .value)
        }
    }
}
