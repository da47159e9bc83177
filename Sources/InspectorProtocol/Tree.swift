/// One line of the supervision tree, depth first: a supervisor, a worker, or a group of
/// a dynamic supervisor's workers counted rather than listed.
public struct WireTreeNode: Sendable, Hashable, Codable {
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

        public init(from decoder: any Decoder) throws {
            self = Kind(rawValue: try decoder.singleValueContainer().decode(String.self)) ?? .other
        }
    }

    public var depth: Int
    public var kind: Kind
    /// The child id under its parent, if it has one.
    public var id: String?
    public var pid: String?
    /// The process's behaviour (`GenServer` type).
    public var behaviour: String?
    /// A supervisor's strategy (`oneForOne` …).
    public var strategy: String?
    /// The child's restart policy and restarts so far.
    public var restart: String?
    public var restarts: Int?
    /// `running`, `restarting`, `terminated`.
    public var state: String?
    public var intensity: WireIntensity?
    /// A dynamic supervisor's running children, and how many are restarting.
    public var active: Int?
    public var restarting: Int?
    /// For `workers`: how many.
    public var count: Int?
    /// The watched pool this supervisor runs, if any.
    public var pool: String?
    /// Extra text (a supervisor that did not answer in time …).
    public var note: String?

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
    public var nodes: [WireTreeNode]
    /// When the tree was sampled, on the app's clock.
    public var sampledAt: Int64

    public init(nodes: [WireTreeNode], sampledAt: Int64) {
        self.nodes = nodes
        self.sampledAt = sampledAt
    }
}
