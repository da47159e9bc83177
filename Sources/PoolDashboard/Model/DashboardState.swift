import DequeModule
import Supervision

/// Everything the dashboard shows and remembers, as plain data: the model that keys
/// change (``handle(_:)``) and frames are built from (``FrameBuilder``).
///
/// The worker table's selection is an *id*, not a row number: rows appearing or
/// vanishing never move it onto another worker.
public struct DashboardState: Sendable {
    /// What the keyboard is doing right now.
    public enum Mode: Sendable, Equatable {
        /// Browsing the table.
        case normal
        /// Typing a filter (`/`).
        case filter
        /// Typing an id to `lookupOrStart` (`n`).
        case newWorker
        /// Typing a meta `key=value` (`m`).
        case meta
        /// Asking whether to kill this worker (`K`, `F9`).
        case confirmKill(id: String, pid: PID)
        /// Showing the help overlay (`?`).
        case help
        /// Showing the detail pane of a worker (`Enter`).
        case detail(id: String)
        /// Showing the supervision tree (`t`).
        case tree
    }

    /// One line of the event log.
    public struct LogEntry: Sendable, Equatable {
        public var time: Timestamp
        public var text: String
        public var kind: Kind

        public enum Kind: Sendable, Equatable {
            case info, stop, kill, crash, unregister, restart, escalation, error
        }

        public init(time: Timestamp, text: String, kind: Kind) {
            self.time = time
            self.text = text
            self.kind = kind
        }
    }

    /// Counters shown in the counts line.
    public struct Counters: Sendable, Equatable {
        public var started = 0
        public var stopped = 0
        public var killed = 0
        public var crashed = 0
        public var restarts = 0
        public var escalations = 0

        public init() {}
    }

    public var poolName: String
    public var mode: Mode = .normal
    public var sort: SortOrder = .key
    /// The committed filter (shown while not editing).
    public var filter: String = ""
    /// Text being typed in a prompt.
    public var input: String = ""
    public var paused = false
    public var refreshInterval: Duration
    /// The selected worker's id.
    public var selection: String?
    /// The first table row shown.
    public var scrollOffset = 0
    /// Where the selection was last seen, to pick a neighbour if its row goes.
    var lastSelectionPosition = 0
    /// The event log, newest first, at most ``logLimit`` entries.
    public var log: Deque<LogEntry> = []
    public var counters = Counters()
    /// A message shown in the key bar until the next key (errors of prompts, results).
    public var status: String?
    /// How long dead workers stay on screen.
    public var tombstoneTime: Duration
    public var startedAt: Timestamp
    public var quitting = false

    /// The largest number of log entries kept.
    public static let logLimit = 500

    var index = WorkerIndex()
    /// Tombstones in the order they were made, to expire them in O(1) each.
    var tombstones = Deque<(id: String, pid: PID, since: Timestamp)>()
    /// Dead workers' ids by pid, and when their registry entry went (to compare with
    /// their `DOWN`), until the `DOWN` is logged.
    var departed: [PID: (id: String, at: Timestamp)] = [:]
    /// Supervisors whose events the log names.
    var supervisors: Set<PID> = []

    public init(poolName: String, refreshInterval: Duration = .seconds(1),
                tombstoneTime: Duration = .seconds(3), startedAt: Timestamp) {
        self.poolName = poolName
        self.refreshInterval = refreshInterval
        self.tombstoneTime = tombstoneTime
        self.startedAt = startedAt
    }

    /// The number of workers known (live and tombstones).
    public var workerCount: Int { index.count }

    /// A worker's row.
    public func row(_ id: String) -> WorkerRow? { index.row(id) }

    /// Adds to the event log (newest first).
    public mutating func appendLog(_ entry: LogEntry) {
        log.prepend(entry)
        if log.count > Self.logLimit { log.removeLast(log.count - Self.logLimit) }
    }

    /// The ids in the table's current order and filter.
    public func tableIDs() -> [String] { index.viewIDs(order: sort) }

    /// The number of rows in the table's current order and filter.
    public var tableCount: Int { index.viewCount(order: sort) }

    /// Where the selection is in the table, if it is shown.
    public var selectionPosition: Int? {
        selection.flatMap { index.viewPosition(of: $0, order: sort) }
    }
}
