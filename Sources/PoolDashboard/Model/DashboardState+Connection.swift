import DequeModule
import InspectorProtocol

extension DashboardState {
    /// The app answered the hello: everything shown is asked for afresh (a new app, or
    /// the same app started again, has new pids and refs), then kept up to date.
    package mutating func connected(_ hello: ServerHello, at time: Duration) -> [RequestEnvelope] {
        let again = app != nil
        let previousPool = pool?.name
        app = hello
        connection = .connected
        appClock = (hello.now, time)
        pending = [:]
        rowsInFlight = false
        rowsWanted = false
        poolIndex = previousPool.flatMap { name in hello.pools.firstIndex { $0.name == name } } ?? 0
        // The refs of the app that went are not this one's: keep the place, not the worker.
        selection = selection.map { Selection(pendingAt: $0.position) }
        detail = nil
        described = nil
        tree = nil
        lastEvent = 0
        if again {
            note("— connected again to \(hello.app) (pid \(hello.pid)) —", at: time)
        }
        if case .detail = mode { mode = .normal }
        nextRefresh = time + refreshInterval
        var requests = [make(.subscribe(SubscribeQuery(events: true)), .subscribe),
                        make(.events(EventsQuery(since: 0, limit: Self.logLimit)), .events),
                        make(.summary, .summary)]
        requests += rowsRequest()
        if mode == .tree { requests.append(make(.tree, .tree)) }
        return requests
    }

    /// The app went away: the last screen stays, marked, until ``connected(_:at:)``.
    package mutating func disconnected(_ reason: String, at time: Duration) {
        if case .disconnected = connection { return }
        connection = .disconnected(reason: reason, since: time)
        pending = [:]
        rowsInFlight = false
        rowsWanted = false
        if case .asking = described { described = nil }
        note("— disconnected: \(reason) —", at: time)
    }

    /// What is due at `time`: the refresh of the counts, the rows, and the tree or the
    /// detail pane when shown. Nothing while paused or disconnected.
    package mutating func tick(at time: Duration) -> [RequestEnvelope] {
        guard connection == .connected, !paused, time >= nextRefresh else { return [] }
        nextRefresh = time + refreshInterval
        return refresh()
    }

    /// Everything shown, asked for now.
    mutating func refresh() -> [RequestEnvelope] {
        var requests = [make(.summary, .summary)]
        requests += rowsRequest()
        switch mode {
        case .tree: requests.append(make(.tree, .tree))
        case .detail(let ref):
            if let pool { requests.append(make(.worker(WorkerQuery(pool: pool.name, ref: ref)), .worker)) }
        default: break
        }
        return requests
    }

    /// A request for the rows around the selection, unless one is in flight (then one is
    /// sent when it is answered).
    mutating func rowsRequest() -> [RequestEnvelope] {
        guard connection == .connected, let pool else { return [] }
        guard !rowsInFlight else {
            rowsWanted = true
            return []
        }
        rowsInFlight = true
        rowsWanted = false
        let margin = 2 * pageSize
        let focus = RowsQuery.Focus(ref: selection?.ref, position: selection?.position ?? 0)
        return [make(.rows(RowsQuery(pool: pool.name, sort: sort, filter: filter, focus: focus, before: margin, after: margin)),
                     .rows(selectionVersion: selectionVersion))]
    }

    /// A request with the next id, remembered until its answer comes.
    mutating func make(_ request: Request, _ purpose: Pending) -> RequestEnvelope {
        let id = nextID
        nextID += 1
        pending[id] = purpose
        return RequestEnvelope(id: id, request)
    }

    /// A line of the log written by the dashboard itself (not the app's).
    mutating func note(_ text: String, kind: WireEvent.Kind = .info, at time: Duration) {
        log.prepend(WireEvent(seq: 0, time: appNow(at: time), pool: nil, kind: kind, text: text))
        if log.count > Self.logLimit { log.removeLast(log.count - Self.logLimit) }
    }

    /// Tells the state how many table rows the screen has.
    package mutating func setPageSize(_ rows: Int) {
        pageSize = max(1, rows)
        keepSelectionVisible()
    }
}
