import Supervision

/// What a frame needs from the running system besides the dashboard's own state.
///
/// Every member must return at once (locks at most, never awaiting), because frames are
/// built on the terminal thread.
public protocol DashboardData: Sendable {
    /// The runtime's clock.
    func now() -> Timestamp
    /// A live process's details, for the rows on screen.
    func process(_ pid: PID) -> ProcessSnapshot?
    /// The registry line.
    func registry() -> RegistrySummary
    /// The pool's counts and restart-intensity use.
    func pool() -> PoolSummary
    /// The supervision tree, as last sampled.
    func tree() -> [TreeLine]
}

/// The registry as the dashboard shows it.
public struct RegistrySummary: Sendable, Equatable {
    public var name: String
    public var mode: String
    public var entries: Int
    public var meta: [(key: String, value: String)]

    public init(name: String, mode: String, entries: Int, meta: [(key: String, value: String)]) {
        self.name = name
        self.mode = mode
        self.entries = entries
        self.meta = meta
    }

    public static func == (lhs: RegistrySummary, rhs: RegistrySummary) -> Bool {
        lhs.name == rhs.name && lhs.mode == rhs.mode && lhs.entries == rhs.entries
            && lhs.meta.map(\.key) == rhs.meta.map(\.key) && lhs.meta.map(\.value) == rhs.meta.map(\.value)
    }
}

/// The pool as the dashboard shows it.
public struct PoolSummary: Sendable, Equatable {
    /// Workers running now (the supervisor's active count).
    public var active: Int
    /// The pool supervisor's restart-intensity use, if it runs.
    public var intensity: IntensityUse?
    /// `lookupOrStart` calls per second, as last measured.
    public var lookupsPerSecond: Double

    public init(active: Int, intensity: IntensityUse?, lookupsPerSecond: Double) {
        self.active = active
        self.intensity = intensity
        self.lookupsPerSecond = lookupsPerSecond
    }
}

/// One line of the supervision tree view.
public struct TreeLine: Sendable, Equatable {
    public var depth: Int
    public var text: String

    public init(depth: Int, text: String) {
        self.depth = depth
        self.text = text
    }
}
