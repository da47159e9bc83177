import InspectorProtocol
import Supervision

/// One worker (or registry entry) as the inspector keeps it: what the registry and the
/// supervision events said about it, with its id and value already described as text.
struct IndexedRow: Sendable, Equatable {
    /// Where the worker is in its life.
    enum Phase: Sendable, Equatable {
        case live
        /// Dead, kept for a moment so its cleanup can be seen.
        case dead(reason: String, kind: WireRow.ExitKind, since: Timestamp)
    }

    /// The server's handle on the id, stable while the id stays in the index.
    var ref: UInt64
    /// The id's description: what is shown, sorted and filtered.
    var text: String
    var pid: PID
    /// The value's description.
    var value: String
    var restarts = 0
    var startedAt: Timestamp
    var phase = Phase.live
    /// Why the previous incarnation exited.
    var lastExit: String?

    var isDead: Bool {
        if case .dead = phase { return true }
        return false
    }

    /// The row on the wire; `process` adds the status and mailbox of a live one.
    func wire(_ process: ProcessSnapshot?) -> WireRow {
        var row = WireRow(ref: ref, id: text, pid: pid.description, value: value, restarts: restarts,
                          startedAt: Int64(clamping: startedAt.nanoseconds), phase: .live, lastExit: lastExit)
        switch phase {
        case .live:
            if let process {
                row.status = process.status.description
                row.mailbox = process.mailboxLength
            } else {
                row.status = "exiting"
            }
        case .dead(let reason, let kind, let since):
            row.phase = .dead
            row.exit = reason
            row.exitKind = kind
            row.since = Int64(clamping: since.nanoseconds)
        }
        return row
    }
}

extension WireRow.ExitKind {
    /// How a process that exited with `reason` is counted and marked.
    init(_ reason: ExitReason) {
        switch reason {
        case .killed, .kill: self = .killed
        case .error, .noproc: self = .crashed
        case .shutdown, .shutdownWith: self = .shutdown
        case .normal: self = .stopped
        }
    }
}

/// A row's place in one sort order: a primary number, then the id in natural order,
/// then the ref (ids may describe alike).
struct OrderKey: Comparable, Hashable, Sendable {
    var primary: Int64
    var text: String
    var ref: UInt64

    static func < (lhs: OrderKey, rhs: OrderKey) -> Bool {
        if lhs.primary != rhs.primary { return lhs.primary < rhs.primary }
        let order = NaturalOrder.compare(lhs.text, rhs.text)
        if order != 0 { return order < 0 }
        return lhs.ref < rhs.ref
    }

    static func == (lhs: OrderKey, rhs: OrderKey) -> Bool {
        lhs.ref == rhs.ref && lhs.primary == rhs.primary && lhs.text == rhs.text
    }

    init(primary: Int64, text: String, ref: UInt64) {
        self.primary = primary
        self.text = text
        self.ref = ref
    }

    init(_ row: IndexedRow, _ order: SortKey) {
        text = row.text
        ref = row.ref
        switch order {
        case .key: primary = 0
        case .uptime: primary = Int64(clamping: row.startedAt.nanoseconds)
        case .restarts: primary = -Int64(row.restarts)
        case .state: primary = row.isDead ? 0 : 1
        }
    }
}
