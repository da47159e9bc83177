/// One line of the supervision tree, depth first: a supervisor, a worker, or a group of
/// a dynamic supervisor's workers counted rather than listed.
public struct WireTreeNode: Sendable, Hashable, Codable {
    /// What the line shows.
    public enum Kind: String, Sendable, Hashable, Codable {
        /// A `Supervisor` (static children, a strategy).
        case supervisor
        /// A `DynamicSupervisor`.
        case dynamicSupervisor
        /// A worker child of a static supervisor.
        case worker
        /// A dynamic supervisor's workers, counted (`count`).
        case workers
        /// A child that is not running (terminated, restarting), or a note.
        case other

        /// Decodes a kind from its string; a kind this build does not know reads as ``other``.
        public init(from decoder: any Decoder) throws {
            self = Kind(rawValue: try decoder.singleValueContainer().decode(String.self)) ?? .other
        }
    }

    /// How deep the line is: 0 for a root supervisor, one more for each level below.
    public var depth: Int
    /// What the line shows.
    public var kind: Kind
    /// The child id under its parent, if it has one.
    public var id: String?
    /// The process (`<0.42.0>`), if it runs.
    public var pid: String?
    /// The process's behaviour (`GenServer` type).
    public var behaviour: String?
    /// A supervisor's strategy (`oneForOne` …).
    public var strategy: String?
    /// The child's restart policy and restarts so far.
    public var restart: String?
    /// How many times its supervisor has restarted this child.
    public var restarts: Int?
    /// `running`, `restarting`, `terminated`.
    public var state: String?
    /// A supervisor's restart-intensity use.
    public var intensity: WireIntensity?
    /// A dynamic supervisor's running children, and how many are restarting.
    public var active: Int?
    /// How many of a dynamic supervisor's children are restarting (not running).
    public var restarting: Int?
    /// For `workers`: how many.
    public var count: Int?
    /// The watched pool this supervisor runs, if any.
    public var pool: String?
    /// Extra text (a supervisor that did not answer in time …).
    public var note: String?

    /// Creates a line with the given fields; those that do not apply default to `nil`.
    public init(depth: Int, kind: Kind, id: String? = nil, pid: String? = nil, behaviour: String? = nil,
                strategy: String? = nil, restart: String? = nil, restarts: Int? = nil, state: String? = nil,
                intensity: WireIntensity? = nil, active: Int? = nil, restarting: Int? = nil, count: Int? = nil,
                pool: String? = nil, note: String? = nil) {
        self.depth = depth
        self.kind = kind
        self.id = id
        self.pid = pid
        self.behaviour = behaviour
        self.strategy = strategy
        self.restart = restart
        self.restarts = restarts
        self.state = state
        self.intensity = intensity
        self.active = active
        self.restarting = restarting
        self.count = count
        self.pool = pool
        self.note = note
    }
}

/// The app's supervision trees, every root of its runtime, depth first.
public struct TreeReply: Sendable, Hashable, Codable {
    /// The tree's lines, depth first.
    public var nodes: [WireTreeNode]
    /// When the tree was sampled, on the app's clock.
    public var sampledAt: Int64

    /// Creates a reply with the given fields.
    public init(nodes: [WireTreeNode], sampledAt: Int64) {
        self.nodes = nodes
        self.sampledAt = sampledAt
    }
}
