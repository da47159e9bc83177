import Supervision

/// Builds a ``Frame`` from the dashboard's state, the live data of the rows on screen,
/// and the terminal size. Pure: the same inputs give the same frame.
///
/// - Complexity: O(rows on screen · log workers); independent of the number of workers
///   off screen.
public struct FrameBuilder: Sendable {
    public init() {}

    public func build(_ state: DashboardState, data: some DashboardData, layout: Layout) -> Frame {
        if layout.isTooSmall { return tooSmall(layout) }
        let now = data.now()
        var lines: [Frame.Line] = []
        lines.reserveCapacity(layout.rows)
        func add(_ text: String, _ style: Frame.Style) {
            lines.append(Frame.Line(text: TerminalText.fit(text, to: layout.columns), style: style))
        }

        // Title, counts, registry.
        let live = state.paused ? "PAUSED" : "LIVE"
        add(" pooltui · pool \(TerminalText.escaped(state.poolName)) · up \(Self.clock(now - state.startedAt))"
            + " · refresh \(DashboardState.seconds(state.refreshInterval)) · \(live)", .title)
        let pool = data.pool()
        let registry = data.registry()
        let intensity = pool.intensity.map(DashboardState.intensity) ?? "—"
        let counters = state.counters
        add(" workers \(pool.active) · registry entries \(registry.entries) · lookups/s \(Self.rate(pool.lookupsPerSecond))"
            + " · restart intensity \(intensity)", .plain)
        add(" started \(counters.started) · stopped \(counters.stopped) · killed \(counters.killed)"
            + " · crashed \(counters.crashed) · restarts \(counters.restarts) · escalations \(counters.escalations)", .plain)
        let meta = registry.meta.map { "\(TerminalText.escaped($0.key))=\(TerminalText.escaped($0.value))" }
        add(" registry \(TerminalText.escaped(registry.name)) (\(registry.mode)) · \(registry.entries) keys · meta "
            + (meta.isEmpty ? "—" : meta.joined(separator: " ")), .plain)

        // The worker table.
        let widths = layout.columnWidths
        let sortMark = { (order: SortOrder) in state.sort == order ? "▾" : "" }
        add(Self.columns(["KEY" + sortMark(.key), "PID", "STATE" + sortMark(.state), "RESTARTS" + sortMark(.restarts),
                          "UPTIME" + sortMark(.uptime), "MAILBOX", "VALUE"], widths, rightAligned: [3, 4, 5]), .header)
        let ids = state.index.viewIDs(order: state.sort, in: state.scrollOffset..<(state.scrollOffset + layout.tableRows))
        for id in ids {
            guard let row = state.row(id) else { continue }
            let style: Frame.Style
            if id == state.selection {
                style = .selected
            } else if row.isTombstone {
                style = .tombstone
            } else if row.lastExit != nil && now - row.startedAt < state.tombstoneTime {
                style = .restarted
            } else {
                style = .plain
            }
            add(tableRow(row, now: now, data: data, widths: widths), style)
        }
        while lines.count < layout.logTop { add("", .plain) }

        // The event log, newest first.
        let filterNote = state.filter.isEmpty ? "" : " · filter \"\(TerminalText.escaped(state.filter))\""
        add(" events (newest first) · \(state.tableCount) rows · sort \(state.sort.rawValue)\(filterNote)", .header)
        for entry in state.log.prefix(layout.logRows) {
            add(" +\(Self.clock(entry.time - state.startedAt, fraction: true)) \(entry.text)", .log(entry.kind))
        }
        while lines.count < layout.rows - Layout.bottomLines { add("", .plain) }

        add(keyBar(state), .status)

        var frame = Frame(columns: layout.columns, rows: layout.rows, lines: lines)
        overlay(&frame, state: state, data: data, layout: layout, now: now)
        return frame
    }

    // MARK: - Parts

    private func tableRow(_ row: WorkerRow, now: Timestamp, data: some DashboardData, widths: [Int]) -> String {
        let stateText: String
        var mailbox = ""
        switch row.phase {
        case .tombstone(let reason, _):
            switch reason {
            case .killed: stateText = "✝ killed"
            case .error: stateText = "✗ crashed"
            default: stateText = "■ \(reason.isShutdown ? "shutdown" : "stopped")"
            }
        case .live:
            if let info = data.process(row.pid) {
                stateText = info.status.description
                mailbox = String(info.mailboxLength)
            } else {
                stateText = "exiting"
            }
        }
        let restarts = row.restarts > 0 ? "↻\(row.restarts)" : "0"
        let uptime = row.isTombstone ? "—" : Self.clock(now - row.startedAt)
        return Self.columns([TerminalText.escaped(row.id), row.pid.description, stateText, restarts, uptime, mailbox,
                             TerminalText.escaped(row.value)], widths, rightAligned: [3, 4, 5])
    }

    private func keyBar(_ state: DashboardState) -> String {
        switch state.mode {
        case .filter: return " filter: \(TerminalText.escaped(state.input))▏  (Enter keeps, Esc clears)"
        case .newWorker: return " lookupOrStart id: \(TerminalText.escaped(state.input))▏  (Enter starts, Esc cancels)"
        case .meta: return " registry meta key=value: \(TerminalText.escaped(state.input))▏  (Enter sets, Esc cancels)"
        case .confirmKill(let id, let pid): return " kill \(TerminalText.escaped(id)) \(pid)? y/n"
        case .help, .detail, .tree: return " Esc closes"
        case .normal:
            if let status = state.status { return " \(status)" }
            return " ?:help q:quit ↑↓:move /:filter o:sort s:stop K:kill c:crash n:new m:meta ⏎:detail t:tree ␣:pause +-:refresh"
        }
    }

    private func overlay(_ frame: inout Frame, state: DashboardState, data: some DashboardData, layout: Layout, now: Timestamp) {
        let content: [String]
        let title: String
        switch state.mode {
        case .help:
            title = "help"
            content = Self.help
        case .detail(let id):
            title = "worker \(TerminalText.escaped(id))"
            content = detail(id, state: state, data: data, now: now)
        case .tree:
            title = "supervision tree"
            let tree = data.tree()
            content = tree.isEmpty ? ["(sampling…)"] : tree.map { String(repeating: "  ", count: $0.depth) + TerminalText.escaped($0.text) }
        default:
            return
        }
        let width = min(layout.columns - 4, max(44, (content.map(TerminalText.width).max() ?? 0) + 4))
        let height = min(layout.rows - 4, content.count + 2)
        let top = max(1, (layout.rows - height) / 2)
        let left = max(0, (layout.columns - width) / 2)
        let border = "─"
        var boxed = ["┌─ \(title) " + String(repeating: border, count: max(0, width - TerminalText.width(title) - 5)) + "┐"]
        for line in content.prefix(height - 2) {
            boxed.append("│ " + TerminalText.fit(line, to: width - 4) + " │")
        }
        boxed.append("└" + String(repeating: border, count: max(0, width - 2)) + "┘")
        for (offset, text) in boxed.enumerated() where top + offset < layout.rows - Layout.bottomLines {
            let padded = String(repeating: " ", count: left) + text
            frame.lines[top + offset] = Frame.Line(text: TerminalText.fit(padded, to: layout.columns), style: .overlay)
        }
    }

    private func detail(_ id: String, state: DashboardState, data: some DashboardData, now: Timestamp) -> [String] {
        guard let row = state.row(id) else { return ["no such worker (it has gone)"] }
        var lines = [
            "id        \(TerminalText.escaped(row.id))",
            "pid       \(row.pid)",
            "value     \(TerminalText.escaped(row.value))",
            "restarts  \(row.restarts)",
            "started   +\(Self.clock(row.startedAt - state.startedAt, fraction: true)) (up \(Self.clock(now - row.startedAt)))",
            "last exit \(row.lastExit.map { TerminalText.escaped($0.description) } ?? "—")",
        ]
        if case .tombstone(let reason, let since) = row.phase {
            lines.append("state     dead: \(TerminalText.escaped(reason.description)) \(Self.clock(now - since, fraction: true)) ago")
        } else if let info = data.process(row.pid) {
            lines.append("state     \(info.status)")
            lines.append("behaviour \(TerminalText.escaped(info.behaviour))")
            lines.append("parent    \(info.parent.map(String.init(describing:)) ?? "—")")
            lines.append("names     \(info.names.map(TerminalText.escaped).joined(separator: ", "))")
            lines.append("links     \(info.links.map(String.init(describing:)).joined(separator: " "))")
            lines.append("monitors  \(info.monitorCount)   trap_exit \(info.trapsExits)")
            lines.append("mailbox   \(info.mailboxLength)   handled \(info.messagesHandled)")
        } else {
            lines.append("state     exited")
        }
        return lines
    }

    /// A terminal too small for the layout gets a message, wrapped to its width, instead
    /// of a garbled screen.
    private func tooSmall(_ layout: Layout) -> Frame {
        let columns = max(0, layout.columns)
        let rows = max(0, layout.rows)
        let message = "Terminal too small: \(layout.columns)×\(layout.rows). pooltui needs at least"
            + " \(Layout.minimumColumns)×\(Layout.minimumRows). Enlarge it, or press q to quit."
        var wrapped: [String] = []
        var current = ""
        for word in message.split(separator: " ") {
            let candidate = current.isEmpty ? String(word) : current + " " + word
            if TerminalText.width(candidate) <= columns || current.isEmpty {
                current = candidate
            } else {
                wrapped.append(current)
                current = String(word)
            }
        }
        if !current.isEmpty { wrapped.append(current) }
        let top = max(0, (rows - wrapped.count) / 2)
        var lines: [Frame.Line] = []
        for row in 0..<rows {
            let index = row - top
            let text = index >= 0 && index < wrapped.count ? wrapped[index] : ""
            lines.append(Frame.Line(text: TerminalText.fit(text, to: columns), style: text.isEmpty ? .plain : .warning))
        }
        return Frame(columns: layout.columns, rows: layout.rows, lines: lines)
    }

    // MARK: - Formatting

    static func columns(_ cells: [String], _ widths: [Int], rightAligned: Set<Int> = []) -> String {
        var parts: [String] = []
        for (index, cell) in cells.enumerated() {
            let width = widths[index]
            parts.append(rightAligned.contains(index) ? TerminalText.rightAligned(cell, in: width) : TerminalText.fit(cell, to: width))
        }
        return " " + parts.joined(separator: " ")
    }

    /// `1h02m`, `4m05s`, `12s` — or with tenths of a second, `12.3s`, `4m05.1s`.
    static func clock(_ duration: Duration, fraction: Bool = false) -> String {
        let total = max(0, duration.saturatingNanoseconds)
        let seconds = total / 1_000_000_000
        let tenths = (total / 100_000_000) % 10
        let (hours, minutes, secs) = (seconds / 3600, (seconds / 60) % 60, seconds % 60)
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let tail = fraction ? ".\(tenths)" : ""
        if hours > 0 { return "\(hours)h\(two(minutes))m" }
        if minutes > 0 { return "\(minutes)m\(two(secs))\(tail)s" }
        return "\(secs)\(tail)s"
    }

    static func rate(_ value: Double) -> String {
        if value >= 1_000_000 { return "\(Double(Int(value / 100_000)) / 10)M" }
        if value >= 1_000 { return "\(Double(Int(value / 100)) / 10)k" }
        return "\(Int(value.rounded()))"
    }

    static let help = [
        "↑ ↓  j k       move the selection",
        "PgUp PgDn      move a page",
        "Home End  g G  first, last row",
        "/              filter by key (Esc clears)",
        "o              cycle the sort: key, uptime, restarts, state",
        "s              stop the selected worker gracefully",
        "K  F9          kill it (asks y/n)",
        "c              make it crash (watch the restart)",
        "n              lookupOrStart an id",
        "m              set registry meta key=value",
        "Enter          details of the selected worker",
        "t              the supervision tree",
        "Space          pause or resume",
        "+ -            refresh faster, slower",
        "? F1           this help",
        "q F10 ^C       quit",
        "",
        "The selection follows a worker's id, never a row number.",
        "Dead workers stay a moment as tombstones: ✝ killed, ✗ crashed, ■ stopped.",
        "Registry entries go as part of the exit: UNREG comes before DOWN.",
    ]
}
