/// A supervisor's restart-intensity use: `restarts` of `maxRestarts` allowed within
/// `periodMilliseconds`.
public struct WireIntensity: Sendable, Hashable, Codable {
    /// Restarts within the current period.
    public var restarts: Int
    /// The most restarts the supervisor allows within the period before it gives up.
    public var maxRestarts: Int
    /// The period, in milliseconds (`periodMs` on the wire).
    public var periodMilliseconds: Int64

    /// Creates an intensity with the given fields.
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
    /// Workers registered (each incarnation counts).
    public var started = 0
    /// Workers that exited normally or shut down, or whose entry was removed.
    public var stopped = 0
    /// Workers killed by the untrappable exit signal.
    public var killed = 0
    /// Workers that crashed (exited with an error).
    public var crashed = 0
    /// Workers their supervisor restarted.
    public var restarts = 0
    /// Times the pool's supervisor exceeded its restart intensity and gave up.
    public var escalations = 0

    /// Creates counters with the given values, 0 by default.
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
    /// The meta key.
    public var key: String
    /// The value's description (unescaped).
    public var value: String

    /// Creates an entry with the given fields.
    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

/// A pool's counts at one moment.
public struct PoolSummary: Sendable, Hashable, Codable {
    /// The pool's name, as in ``PoolDescription/name``.
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
    /// What happened to its workers since the inspector began watching it.
    public var counters: WireCounters
    /// Registry meta, by key.
    public var meta: [WireMeta]
    /// Registrations and exits per second, over the last few seconds.
    public var startsPerSecond: Double
    /// Exits per second, over the last few seconds.
    public var exitsPerSecond: Double
    /// Whether the registry is closed (its host process stopped).
    public var registryClosed: Bool

    /// Creates a summary with the given fields.
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
    /// One summary per watched pool, in the order the app named them.
    public var pools: [PoolSummary]
    /// Clients attached now (this one included).
    public var clients: Int
    /// Runtime events the inspector could not keep up with (dropped, never blocking the app).
    public var droppedEvents: Int

    /// Creates a reply with the given fields.
    public init(now: Int64, pools: [PoolSummary], clients: Int, droppedEvents: Int) {
        self.now = now
        self.pools = pools
        self.clients = clients
        self.droppedEvents = droppedEvents
    }
}
