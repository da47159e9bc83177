import Supervision

/// How the dashboard orders the worker table; `o` cycles through them.
public enum SortOrder: String, Sendable, CaseIterable {
    /// By key (id), ascending.
    case key
    /// Longest-running first.
    case uptime
    /// Most restarted first.
    case restarts
    /// Dead (tombstone) rows first, then live ones; by key within each.
    case state

    /// The next order in the cycle.
    public var next: SortOrder {
        let all = Self.allCases
        return all[(all.firstIndex(of: self)! + 1) % all.count]
    }
}

/// One worker as the dashboard tracks it: what the registry and the supervision events
/// said about it. Live process details (state, mailbox) are read only for visible rows.
public struct WorkerRow: Sendable, Equatable {
    /// Where the worker is in its life, as far as the dashboard knows.
    public enum Phase: Sendable, Equatable {
        /// Registered and running.
        case live
        /// Dead: shown for a moment so that its cleanup can be seen.
        case tombstone(reason: ExitReason, since: Timestamp)

        var rank: Int64 {
            switch self {
            case .tombstone: return 0
            case .live: return 1
            }
        }
    }

    /// The registry key.
    public var id: String
    public var pid: PID
    /// The registered value, as text.
    public var value: String
    public var restarts: Int
    public var startedAt: Timestamp
    public var phase: Phase
    /// Why its previous incarnation exited, if it has been restarted or has died.
    public var lastExit: ExitReason?

    public init(id: String, pid: PID, value: String, restarts: Int = 0, startedAt: Timestamp,
                phase: Phase = .live, lastExit: ExitReason? = nil) {
        self.id = id
        self.pid = pid
        self.value = value
        self.restarts = restarts
        self.startedAt = startedAt
        self.phase = phase
        self.lastExit = lastExit
    }

    public var isTombstone: Bool {
        if case .tombstone = phase { return true }
        return false
    }
}

/// A row's place in one sort order: a primary number, then the id.
struct OrderKey: Comparable, Hashable, Sendable {
    var primary: Int64
    var id: String

    static func < (lhs: OrderKey, rhs: OrderKey) -> Bool {
        lhs.primary != rhs.primary ? lhs.primary < rhs.primary : lhs.id < rhs.id
    }

    init(_ row: WorkerRow, _ order: SortOrder) {
        id = row.id
        switch order {
        case .key: primary = 0
        case .uptime: primary = Int64(clamping: row.startedAt.nanoseconds)
        case .restarts: primary = -Int64(row.restarts)
        case .state: primary = row.phase.rank
        }
    }
}
