/// A successful answer, by the request it answers.
public enum Reply: Sendable, Hashable {
    /// The answer to ``Request/hello(_:)``: the app and what it allows.
    case hello(ServerHello)
    /// The answer to ``Request/summary``.
    case summary(SummaryReply)
    /// The answer to ``Request/rows(_:)``.
    case rows(RowsReply)
    /// The answer to ``Request/worker(_:)``.
    case worker(WorkerReply)
    /// The answer to ``Request/describeState(_:)``.
    case state(StateReply)
    /// The answer to ``Request/tree``.
    case tree(TreeReply)
    /// The answer to ``Request/events(_:)``.
    case events(EventsReply)
    /// The answer to ``Request/subscribe(_:)``: the subscription is set (`"ok":{}` on the wire).
    case subscribed
    /// The answer to ``Request/command(_:)``: the command was carried out.
    case command(CommandReply)

    /// The `op` of the request it answers.
    public var op: String {
        switch self {
        case .hello: return "hello"
        case .summary: return "summary"
        case .rows: return "rows"
        case .worker: return "worker"
        case .state: return "state"
        case .tree: return "tree"
        case .events: return "events"
        case .subscribed: return "subscribe"
        case .command: return "command"
        }
    }
}

/// What the server sends without being asked.
public enum Push: Sendable, Hashable {
    /// New events (to a subscribed client).
    case events(EventsReply)
    /// The client fell behind: pushes were dropped rather than let it slow or grow the
    /// app. It should ask again for what it shows (summary, rows, events since its last).
    case resync(missed: Int, reason: String)
}

/// One line from the server.
public enum ServerMessage: Sendable, Hashable {
    /// The answer to request `id`.
    case reply(id: Int64, Reply)
    /// Request `id` failed; `id` is `nil` when the line could not be read far enough to
    /// know it (then the server may close, as after a refused hello).
    case failure(id: Int64?, ProtocolError)
    /// Something the server sends without being asked.
    case push(Push)
}

extension ServerMessage: Codable {
    enum CodingKeys: String, CodingKey { case re, op, ok, error, push, events, missed, reason }

    /// Decodes a server line: a `push`, else an `error` (with `re` if there is one), else a reply with
    /// `re`, `op` and `ok`. Fields it does not know are ignored; an unknown `push` or `op` throws.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let push = try container.decodeIfPresent(String.self, forKey: .push) {
            switch push {
            case "events": self = .push(.events(try container.decode(EventsReply.self, forKey: .events)))
            case "resync":
                self = .push(.resync(missed: try container.decode(Int.self, forKey: .missed),
                                     reason: try container.decode(String.self, forKey: .reason)))
            default:
                throw DecodingError.dataCorruptedError(forKey: .push, in: container, debugDescription: "unknown push \(push)")
            }
            return
        }
        let id = try container.decodeIfPresent(Int64.self, forKey: .re)
        if let error = try container.decodeIfPresent(ProtocolError.self, forKey: .error) {
            self = .failure(id: id, error)
            return
        }
        guard let id else {
            throw DecodingError.keyNotFound(CodingKeys.re, .init(codingPath: [], debugDescription: "a reply without re"))
        }
        let op = try container.decode(String.self, forKey: .op)
        let reply: Reply
        switch op {
        case "hello": reply = .hello(try container.decode(ServerHello.self, forKey: .ok))
        case "summary": reply = .summary(try container.decode(SummaryReply.self, forKey: .ok))
        case "rows": reply = .rows(try container.decode(RowsReply.self, forKey: .ok))
        case "worker": reply = .worker(try container.decode(WorkerReply.self, forKey: .ok))
        case "state": reply = .state(try container.decode(StateReply.self, forKey: .ok))
        case "tree": reply = .tree(try container.decode(TreeReply.self, forKey: .ok))
        case "events": reply = .events(try container.decode(EventsReply.self, forKey: .ok))
        case "subscribe": reply = .subscribed
        case "command": reply = .command(try container.decode(CommandReply.self, forKey: .ok))
        default:
            throw DecodingError.dataCorruptedError(forKey: .op, in: container, debugDescription: "unknown reply op \(op)")
        }
        self = .reply(id: id, reply)
    }

    /// Encodes a reply as `re`, `op` and `ok`; a failure as `error` and `re` when known; a push as
    /// `push` and its fields.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .reply(let id, let reply):
            try container.encode(id, forKey: .re)
            try container.encode(reply.op, forKey: .op)
            switch reply {
            case .hello(let value): try container.encode(value, forKey: .ok)
            case .summary(let value): try container.encode(value, forKey: .ok)
            case .rows(let value): try container.encode(value, forKey: .ok)
            case .worker(let value): try container.encode(value, forKey: .ok)
            case .state(let value): try container.encode(value, forKey: .ok)
            case .tree(let value): try container.encode(value, forKey: .ok)
            case .events(let value): try container.encode(value, forKey: .ok)
            case .subscribed: try container.encode([String: String](), forKey: .ok)
            case .command(let value): try container.encode(value, forKey: .ok)
            }
        case .failure(let id, let error):
            try container.encodeIfPresent(id, forKey: .re)
            try container.encode(error, forKey: .error)
        case .push(.events(let events)):
            try container.encode("events", forKey: .push)
            try container.encode(events, forKey: .events)
        case .push(.resync(let missed, let reason)):
            try container.encode("resync", forKey: .push)
            try container.encode(missed, forKey: .missed)
            try container.encode(reason, forKey: .reason)
        }
    }
}
