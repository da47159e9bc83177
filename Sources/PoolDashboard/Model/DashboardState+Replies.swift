import DequeModule
import InspectorProtocol

extension DashboardState {
    /// Applies one line from the app; returns the requests it makes necessary (the
    /// rows wanted meanwhile, a refresh after a command or a resync).
    package mutating func receive(_ message: ServerMessage, at time: Duration) -> [RequestEnvelope] {
        switch message {
        case .reply(let id, let reply):
            guard let purpose = pending.removeValue(forKey: id) else { return [] }
            return apply(reply, for: purpose, at: time)
        case .failure(let id, let error):
            guard let id, let purpose = pending.removeValue(forKey: id) else {
                note("the app says: \(error.message)", kind: .error, at: time)
                return []
            }
            return failed(purpose, error, at: time)
        case .push(.events(let events)):
            take(events.entries)
            return []
        case .push(.resync(let missed, _)):
            note("fell behind: \(missed) updates dropped by the app; reloading", kind: .error, at: time)
            var requests = refresh()
            requests.append(make(.events(EventsQuery(since: lastEvent, limit: Self.logLimit)), .events))
            return requests
        }
    }

    private mutating func apply(_ reply: Reply, for purpose: Pending, at time: Duration) -> [RequestEnvelope] {
        switch reply {
        case .hello, .subscribed:
            return []
        case .summary(let summary):
            self.summary = summary
            appClock = (summary.now, time)
            return []
        case .rows(let rows):
            guard case .rows(let version) = purpose else { return [] }
            rowsInFlight = false
            appClock = (rows.now, time)
            let current = rows.pool == pool?.name && rows.sort == sort && rows.filter == filter
            if current {
                window = rows
                if version == selectionVersion { follow(rows) }
                keepSelectionVisible()
            }
            // Asked for again meanwhile, or the view changed under this answer.
            return rowsWanted || !current || version != selectionVersion ? rowsRequest() : []
        case .worker(let worker):
            guard case .detail(let ref) = mode, worker.row.ref == ref else { return [] }
            detail = worker
            appClock = (worker.now, time)
            return []
        case .state(let state):
            if case .asking(let ref) = described { described = .answered(ref: ref, state) }
            return []
        case .tree(let tree):
            self.tree = tree
            return []
        case .events(let events):
            take(events.entries)
            if events.missed > 0 && lastEvent > 0 {
                note("\(events.missed) earlier events are no longer kept by the app", kind: .info, at: time)
            }
            return []
        case .command(let outcome):
            status = outcome.outcome
            return refresh()
        }
    }

    private mutating func failed(_ purpose: Pending, _ error: ProtocolError, at time: Duration) -> [RequestEnvelope] {
        switch purpose {
        case .rows:
            rowsInFlight = false
            status = error.message
            return rowsWanted ? rowsRequest() : []
        case .command(let kind, let id):
            let text = "\(kind.rawValue) \(id) refused: \(error.message)"
            status = text
            note(text, kind: .error, at: time)
            return refresh()
        case .state:
            if case .asking(let ref) = described { described = .failed(ref: ref, error.message) }
            return []
        case .worker:
            if case .detail = mode { detail = nil }
            status = error.message
            return []
        case .summary, .tree, .events, .subscribe:
            status = error.message
            return []
        }
    }

    /// The selection follows its ref to wherever the app says it is now, or — if its row
    /// left the view — becomes the row now at its place.
    private mutating func follow(_ rows: RowsReply) {
        guard let focus = rows.focus, focus < rows.rows.count else {
            selection = nil
            return
        }
        selection = Selection(rows.rows[focus], position: rows.start + focus)
    }

    /// Adds app events to the log, newest first, each once.
    ///
    /// Pushes usually come in order after the last one; a backfill (the events asked
    /// for on connecting, which pushes may overtake) is merged by sequence number.
    private mutating func take(_ entries: [WireEvent]) {
        guard let newest = entries.last?.seq else { return }
        if entries.allSatisfy({ $0.seq > lastEvent }) {
            for entry in entries { log.prepend(entry) }
        } else {
            let seen = Set(log.lazy.filter { $0.seq > 0 }.map(\.seq))
            var merged = Array(log) + entries.filter { !seen.contains($0.seq) }
            merged.sort { ($0.time, $0.seq) > ($1.time, $1.seq) }
            log = Deque(merged)
        }
        lastEvent = max(lastEvent, newest)
        if log.count > Self.logLimit { log.removeLast(log.count - Self.logLimit) }
    }

    /// Scrolls so that the selection is on screen.
    mutating func keepSelectionVisible() {
        let count = tableCount
        guard count > 0 else {
            scrollOffset = 0
            return
        }
        if let position = selection?.position {
            if position < scrollOffset { scrollOffset = position }
            if position >= scrollOffset + pageSize { scrollOffset = position - pageSize + 1 }
        }
        scrollOffset = min(max(0, scrollOffset), max(0, count - pageSize))
    }
}
