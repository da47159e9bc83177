/// A supervisor's restart-intensity use: `restarts` of `maxRestarts` allowed within
/// `periodMilliseconds`.
public struct WireIntensity: Sendable, Hashable, Codable {
    public var restarts: Int
    public var maxRestarts: Int
    public var periodMilliseconds: Int64

    public init(restarts: Int, maxRestarts: Int, periodMilliseconds: Int64) {
        self.restarts = restarts
        self.maxRestarts = maxRestarts
        self.periodMilliseconds = periodMilliseconds
    }

    enum CodingKeys: String, CodingKey {
        case restarts, maxRestarts, periodMilliseconds = "periodMs"
    }
}

/// What happened to a pool's workers since the inspector began watching it.
public struct WireCounters: Sendable, Hashable, Codable {
    public var started = 0
    public var stopped = 0
    public var killed = 0
    public var crashed = 0
    public var restarts = 0
    public var escalations = 0

    public init(started: Int = 0, stopped: Int = 0, killed: Int = 0, crashed: Int = 0, restarts: Int = 0, escalations: Int = 0) {
        self.started = started
        self.stopped = stopped
        self.killed = killed
        self.crashed = crashed
        self.restarts = restarts
        self.escalations = escalations
    }
}

/// One registry meta entry, its value as its description.
public struct WireMeta: Sendable, Hashable, Codable {
    public var key: String
    public var value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

/// A pool's counts at one moment.
public struct PoolSummary: Sendable, Hashable, Codable {
    public var name: String
    /// Workers running: the pool supervisor's active children (a registry: its entries).
    public var workers: Int
    /// Entries in the registry.
    public var entries: Int
    /// Rows in the table: live workers and tombstones.
    public var rows: Int
    /// The pool's supervisor now, if it runs.
    public var supervisor: String?
    /// Its restart-intensity use.
    public var intensity: WireIntensity?
    public var counters: WireCounters
    /// Registry meta, by key.
    public var meta: [WireMeta]
    /// Registrations and exits per second, over the last few seconds.
    public var startsPerSecond: Double
    public var exitsPerSecond: Double
    /// Whether the registry is closed (its host process stopped).
    public var registryClosed: Bool

    public init(name: String, workers: Int, entries: Int, rows: Int, supervisor: String?, intensity: WireIntensity?,
                counters: WireCounters, meta: [WireMeta], startsPerSecond: Double, exitsPerSecond: Double,
                registryClosed: Bool) {
        self.name = name
        self.workers = workers
        self.entries = entries
        self.rows = rows
        self.supervisor = supervisor
        self.intensity = intensity
        self.counters = counters
        self.meta = meta
        self.startsPerSecond = startsPerSecond
        self.exitsPerSecond = exitsPerSecond
        self.registryClosed = registryClosed
    }
}

/// Every pool's counts.
public struct SummaryReply: Sendable, Hashable, Codable {
    /// The app's clock now.
    public var now: Int64
    public var pools: [PoolSummary]
    /// Clients attached now (this one included).
    public var clients: Int
    /// Runtime events the inspector could not keep up with (dropped, never blocking the app).
    public var droppedEvents: Int

    public init(now: Int64, pools: [PoolSummary], clients: Int, droppedEvents: Int) {
        self.now = now
        self.pools = pools
        self.clients = clients
        self.droppedEvents = droppedEvents
    }
}
