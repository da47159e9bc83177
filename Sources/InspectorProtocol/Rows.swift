/// One row of a pool's table: a worker (or registry entry), live or just dead.
///
/// Text fields (`id`, `value`, `exit` …) are the app's descriptions, unescaped: a reader
/// that shows them on a terminal must escape them.
public struct WireRow: Sendable, Hashable, Codable {
    /// Where the worker is in its life.
    public enum Phase: String, Sendable, Hashable, Codable {
        /// Registered and running.
        case live
        /// Dead, kept for a moment (a tombstone) so its cleanup can be seen.
        case dead
    }

    /// How a dead worker died, for marks and counts.
    public enum ExitKind: String, Sendable, Hashable, Codable {
        /// `killed`: killed by the untrappable exit signal; `crashed`: exited with an error (or
        /// `noproc`); `stopped`: exited normally, or its entry was removed; `shutdown`: an orderly
        /// stop asked for by its supervisor or owner.
        case killed, crashed, stopped, shutdown

        /// Decodes a kind from its string; a kind this build does not know reads as ``stopped``.
        public init(from decoder: any Decoder) throws {
            self = ExitKind(rawValue: try decoder.singleValueContainer().decode(String.self)) ?? .stopped
        }
    }

    /// The server's handle on this id: stable while the id stays in the table (across
    /// restarts), and what commands and focus name.
    public var ref: UInt64
    /// The id (registry key), as its description.
    public var id: String
    /// The process (`<0.42.0>`).
    public var pid: String
    /// The registered value, as its description.
    public var value: String
    /// How many times its supervisor has restarted this id.
    public var restarts: Int
    /// When this incarnation registered, on the app's clock (ns).
    public var startedAt: Int64
    /// Whether the row is live or a tombstone.
    public var phase: Phase
    /// For a dead row: the exit reason and its kind, and when it died.
    public var exit: String?
    /// For a dead row: how it died; `nil` for a live one.
    public var exitKind: ExitKind?
    /// For a dead row: when it died, on the app's clock (ns); `nil` for a live one.
    public var since: Int64?
    /// Why the previous incarnation exited, if it was restarted.
    public var lastExit: String?
    /// For a live row: the process's status (`idle`, `running`, `waiting`, `exiting`)
    /// and mailbox length when the reply was made.
    public var status: String?
    /// For a live row: how many messages wait in its mailbox; `nil` when not known.
    public var mailbox: Int?

    /// Creates a row with the given fields; the dead-row and live-row fields default to `nil`.
    public init(ref: UInt64, id: String, pid: String, value: String, restarts: Int, startedAt: Int64,
                phase: Phase, exit: String? = nil, exitKind: ExitKind? = nil, since: Int64? = nil,
                lastExit: String? = nil, status: String? = nil, mailbox: Int? = nil) {
        self.ref = ref
        self.id = id
        self.pid = pid
        self.value = value
        self.restarts = restarts
        self.startedAt = startedAt
        self.phase = phase
        self.exit = exit
        self.exitKind = exitKind
        self.since = since
        self.lastExit = lastExit
        self.status = status
        self.mailbox = mailbox
    }

    /// Whether the row is a tombstone (``Phase/dead``).
    public var isDead: Bool { phase == .dead }
}

/// A window of a pool's table.
public struct RowsReply: Sendable, Hashable, Codable {
    /// The pool or registry, as asked for.
    public var pool: String
    /// The order of the view, as asked for.
    public var sort: SortKey
    /// The filter of the view, as asked for.
    public var filter: String
    /// Rows in the view (after the filter).
    public var total: Int
    /// The position of the first row of `rows` in the view.
    public var start: Int
    /// The index in `rows` of the focus row (the ref asked for, or the row at the
    /// position asked for); `nil` when the view is empty.
    public var focus: Int?
    /// Whether the focus is the ref asked for (`false`: it left the view, and the focus
    /// is the row now at its position).
    public var focusFound: Bool
    /// The rows of the window, in view order, from position `start`.
    public var rows: [WireRow]
    /// The app's clock when the reply was made.
    public var now: Int64

    /// Creates a reply with the given fields.
    public init(pool: String, sort: SortKey, filter: String, total: Int, start: Int, focus: Int?,
                focusFound: Bool, rows: [WireRow], now: Int64) {
        self.pool = pool
        self.sort = sort
        self.filter = filter
        self.total = total
        self.start = start
        self.focus = focus
        self.focusFound = focusFound
        self.rows = rows
        self.now = now
    }
}

/// A live process as `Process.info` describes it.
public struct WireProcess: Sendable, Hashable, Codable {
    /// The process (`<0.42.0>`).
    public var pid: String
    /// The `GenServer` type it runs, or `spawn`.
    public var behaviour: String
    /// The process that started it, if known.
    public var parent: String?
    /// Names it holds, as its registries describe them.
    public var names: [String]
    /// Where it is in its life: `idle`, `running`, `waiting`, `exiting` or `dead(…)`.
    public var status: String
    /// How many messages wait in its mailbox.
    public var mailbox: Int
    /// The processes it is linked to.
    public var links: [String]
    /// How many monitors watch it.
    public var monitors: Int
    /// Whether it traps exit signals.
    public var trapExit: Bool
    /// Messages it has taken from its mailbox.
    public var handled: UInt64
    /// When it was created, on the app's clock (ns).
    public var startedAt: Int64

    /// Creates a process with the given fields.
    public init(pid: String, behaviour: String, parent: String?, names: [String], status: String, mailbox: Int,
                links: [String], monitors: Int, trapExit: Bool, handled: UInt64, startedAt: Int64) {
        self.pid = pid
        self.behaviour = behaviour
        self.parent = parent
        self.names = names
        self.status = status
        self.mailbox = mailbox
        self.links = links
        self.monitors = monitors
        self.trapExit = trapExit
        self.handled = handled
        self.startedAt = startedAt
    }
}

/// One worker: its row and, while it runs, its process.
public struct WorkerReply: Sendable, Hashable, Codable {
    /// The worker's row, as a rows reply would carry it.
    public var row: WireRow
    /// Its process's details; `nil` when the row is dead or the process has exited.
    public var process: WireProcess?
    /// The app's clock when the reply was made.
    public var now: Int64

    /// Creates a reply with the given fields.
    public init(row: WireRow, process: WireProcess?, now: Int64) {
        self.row = row
        self.process = process
        self.now = now
    }
}

/// A worker's description of its own state.
public struct StateReply: Sendable, Hashable, Codable {
    /// The description, or `nil` when the worker's type does not describe its state.
    public var state: String?
    /// The worker's type.
    public var behaviour: String
    /// How long the answer took, in microseconds.
    public var micros: Int

    /// Creates a reply with the given fields.
    public init(state: String?, behaviour: String, micros: Int) {
        self.state = state
        self.behaviour = behaviour
        self.micros = micros
    }
}
