import DequeModule
import InspectorProtocol

/// Everything a dashboard shows and remembers about one attached app, as plain data: a
/// state machine that keys (``handle(_:at:)``), the app's replies and pushes
/// (``receive(_:at:)``) and the passing of time (``tick(at:)``) drive, each returning the
/// requests to send. Frames are built from it (``FrameBuilder``).
///
/// The app keeps the sorted index of its workers; the dashboard keeps a window of rows
/// around the selection, so a million workers never cross the socket. Moving within the
/// window is local and instant; the window follows in the background.
///
/// The selection is a worker's *ref* — the app's handle on its id — never a row number:
/// rows appearing or vanishing never move it onto another worker. Only if its row leaves
/// the view (its tombstone expired, a filter hides it) does the row now at its place
/// become selected.
///
/// Times: `at` is the dashboard's own clock (a duration since it started, from the
/// loop, so tests run without a wall clock); the app's clock is read from its replies.
package struct DashboardState: Sendable {
    /// What the keyboard is doing.
    package enum Mode: Sendable, Equatable {
        /// Browsing the table.
        case normal
        /// Typing a filter (`/`).
        case filter
        /// Typing an id to `lookupOrStart` (`n`).
        case newWorker
        /// Typing a meta `key=value` (`m`).
        case meta
        /// Asking whether to kill this worker, as shown (`K`, `F9`).
        case confirmKill(WorkerTarget, id: String)
        /// The help overlay (`?`).
        case help
        /// One worker's details and state (`Enter`).
        case detail(ref: UInt64)
        /// The supervision tree (`t`).
        case tree
    }

    /// Whether the app is there.
    package enum Connection: Sendable, Equatable {
        /// Connecting to the named target.
        case connecting(String)
        /// The app answered the hello; requests go out.
        case connected
        /// The app went away (or never came); the last screen stays.
        case disconnected(reason: String, since: Duration)
    }

    /// The selected row as last seen: its ref (`nil` while a move waits for its row), its
    /// id and pid as shown, and its position in the view.
    package struct Selection: Sendable, Equatable {
        /// The row's ``WireRow/ref``, or `nil` while a move waits for its row.
        package var ref: UInt64?
        /// The row's id as shown (empty while a move waits).
        package var id: String
        /// The row's pid as shown (empty while a move waits).
        package var pid: String
        /// The row's position in the view.
        package var position: Int
        /// Whether the row was a tombstone when last seen.
        package var isDead: Bool

        init(_ row: WireRow, position: Int) {
            ref = row.ref
            id = row.id
            pid = row.pid
            self.position = position
            isDead = row.isDead
        }

        init(pendingAt position: Int) {
            ref = nil
            id = ""
            pid = ""
            self.position = position
            isDead = false
        }
    }

    /// A worker's answer to "describe your state".
    package enum DescribedState: Sendable, Equatable {
        /// Asked the worker with `ref`; no answer yet.
        case asking(ref: UInt64)
        /// The worker with `ref` answered.
        case answered(ref: UInt64, StateReply)
        /// The request for the worker with `ref` failed: the app's message.
        case failed(ref: UInt64, String)
    }

    // MARK: - The app

    /// Whether the app is there.
    package var connection: Connection
    /// The app's hello, once connected.
    package internal(set) var app: ServerHello?
    /// The pool shown: an index into the hello's pools.
    package internal(set) var poolIndex = 0

    // MARK: - What the person does

    /// What the keyboard is doing.
    package var mode: Mode = .normal
    /// The order of the table (`o` walks it).
    package internal(set) var sort: SortKey = .key
    /// The filter (applied while typing, kept by `Enter`).
    package internal(set) var filter = ""
    /// Text being typed in a prompt.
    package internal(set) var input = ""
    /// Whether refreshes are paused (`Space`).
    package internal(set) var paused = false
    /// How often what is shown is asked for again (`+` halves it, down to 100 ms; `-` doubles it, up to 10 s).
    package internal(set) var refreshInterval: Duration
    /// The selected row, or `nil` when there is none (no rows yet, or the view is empty).
    package internal(set) var selection: Selection?
    /// The first table row shown.
    package internal(set) var scrollOffset = 0
    /// Table rows on screen (from the layout).
    package internal(set) var pageSize: Int
    /// How long a worker has to describe its state (the detail pane) before it is shown
    /// as busy or hung.
    package var stateTimeout: Duration = .milliseconds(500)
    /// A message in the key bar until the next key.
    package var status: String?
    /// Whether the person asked to quit (`q`, `F10`, Ctrl-C); the loop then stops.
    package internal(set) var quitting = false

    // MARK: - What the app said

    /// Every pool's counts, from the last summary.
    package internal(set) var summary: SummaryReply?
    /// The rows around the selection, for the pool, sort and filter shown.
    package internal(set) var window: RowsReply?
    /// The event log, newest first, at most ``logLimit``.
    package internal(set) var log = Deque<WireEvent>()
    /// The last event sequence number seen.
    package internal(set) var lastEvent: UInt64 = 0
    /// The supervision tree, as last sampled (asked for while the tree is shown).
    package internal(set) var tree: TreeReply?
    /// The worker shown in the detail pane, as last told; `nil` until it comes.
    package internal(set) var detail: WorkerReply?
    /// The detail pane's worker's answer to "describe your state", if asked.
    package internal(set) var described: DescribedState?

    /// The largest number of log entries kept.
    package static let logLimit = 500

    // MARK: - Bookkeeping

    /// The app's clock, as of the last reply that said it, and when that reply came.
    var appClock: (now: Int64, at: Duration)?
    var nextRefresh: Duration = .zero
    var nextID: Int64 = 1
    var pending: [Int64: Pending] = [:]
    /// A rows request is in flight; another is wanted once it is answered.
    var rowsInFlight = false
    var rowsWanted = false
    /// Counts selection changes made here, so a reply to an older request never moves a
    /// selection the person has moved since.
    var selectionVersion = 0

    /// What a request in flight was for.
    enum Pending: Sendable, Equatable {
        case summary, rows(selectionVersion: Int), worker, state, tree, events, subscribe
        case command(CommandKind, id: String)
    }

    /// A dashboard about to connect to `target` (a name shown until the hello).
    package init(target: String, refreshInterval: Duration = .seconds(1), pageSize: Int = 20) {
        connection = .connecting(target)
        self.refreshInterval = refreshInterval
        self.pageSize = max(1, pageSize)
    }

    // MARK: - Derived

    /// The pool or registry shown.
    package var pool: PoolDescription? {
        guard let pools = app?.pools, poolIndex < pools.count else { return nil }
        return pools[poolIndex]
    }

    /// Its counts, from the last summary.
    package var poolSummary: PoolSummary? {
        guard let name = pool?.name else { return nil }
        return summary?.pools.first { $0.name == name }
    }

    /// The app's clock at `at`, estimated from the last reply.
    package func appNow(at time: Duration) -> Int64 {
        guard let clock = appClock else { return 0 }
        return clock.now + Int64(clamping: (time - clock.at).nanoseconds)
    }

    /// When the next refresh is due (``tick(at:)``), or `nil` when none is (paused,
    /// disconnected).
    package var nextDue: Duration? {
        connection == .connected && !paused ? nextRefresh : nil
    }

    /// Whether requests are in flight (a driver without a terminal waits for them to
    /// settle before it prints a frame).
    package var isWaiting: Bool { !pending.isEmpty }

    /// Rows in the view (after the filter), as last told.
    package var tableCount: Int { window?.total ?? 0 }

    /// The row at `position` of the view, if the window holds it.
    package func row(at position: Int) -> WireRow? {
        guard let window, position >= window.start, position < window.start + window.rows.count else { return nil }
        return window.rows[position - window.start]
    }

    /// The rows the table shows now, from ``scrollOffset`` (`nil` where the window does
    /// not reach yet).
    package var visibleRows: [WireRow?] {
        let count = max(0, min(pageSize, tableCount - scrollOffset))
        return (0..<count).map { row(at: scrollOffset + $0) }
    }

    /// The selected row as the window has it now.
    package var selectedRow: WireRow? {
        guard let selection else { return nil }
        if let row = row(at: selection.position), row.ref == selection.ref { return row }
        return window?.rows.first { $0.ref == selection.ref }
    }

    /// The log entries of the pool shown (and of no pool), newest first.
    package var poolLog: [WireEvent] {
        let name = pool?.name
        return log.filter { $0.pool == nil || $0.pool == name }
    }
}

extension Duration {
    /// The duration in whole nanoseconds, saturating.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return product.addingReportingOverflow(attoseconds / 1_000_000_000).partialValue
    }
}
