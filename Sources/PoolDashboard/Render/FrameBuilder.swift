import InspectorProtocol

/// Builds a ``Frame`` from the dashboard's state and the terminal size. Pure: the same
/// inputs give the same frame. Every text that came from the app — ids, values, meta,
/// event lines, state descriptions — is escaped here (``TerminalText/escaped(_:)``).
///
/// - Complexity: O(rows on screen + log lines on screen); independent of the number of
///   workers in the app.
package struct FrameBuilder: Sendable {
    /// Creates a builder; it holds nothing.
    package init() {}

    /// The frame for `state` on a terminal of `layout`'s size at dashboard time `time` (a message
    /// when the terminal is too small).
    package func build(_ state: DashboardState, layout: Layout, at time: Duration) -> Frame {
        if layout.isTooSmall { return tooSmall(layout) }
        let now = state.appNow(at: time)
        var lines: [Frame.Line] = []
        lines.reserveCapacity(layout.rows)
        func add(_ text: String, _ style: Frame.Style) {
            lines.append(Frame.Line(text: TerminalText.fit(text, to: layout.columns), style: style))
        }

        let (title, titleStyle) = self.title(state, now: now, at: time)
        add(title, titleStyle)
        let summary = state.poolSummary
        let intensity = summary?.intensity.map(Format.intensity) ?? "—"
        if let summary {
            add(" workers \(summary.workers) · registry entries \(summary.entries) · starts/s \(Format.rate(summary.startsPerSecond))"
                + " · exits/s \(Format.rate(summary.exitsPerSecond)) · restart intensity \(intensity)", .plain)
            let counters = summary.counters
            add(" started \(counters.started) · stopped \(counters.stopped) · killed \(counters.killed)"
                + " · crashed \(counters.crashed) · restarts \(counters.restarts) · escalations \(counters.escalations)", .plain)
        } else {
            add(" workers — · registry entries —", .plain)
            add("", .plain)
        }
        if let pool = state.pool {
            let meta = summary?.meta.map { "\(TerminalText.escaped($0.key))=\(TerminalText.escaped($0.value))" } ?? []
            let closed = summary?.registryClosed == true ? " · CLOSED" : ""
            add(" \(pool.kind.rawValue) \(TerminalText.escaped(pool.name)) (\(pool.keys))\(closed) · \(summary?.entries ?? 0) keys"
                + " · meta " + (meta.isEmpty ? "—" : meta.joined(separator: " ")), .plain)
        } else {
            add("", .plain)
        }

        // The worker table.
        let widths = layout.columnWidths
        let mark = { (order: SortKey) in state.sort == order ? "▾" : "" }
        add(Self.columns(["KEY" + mark(.key), "PID", "STATE" + mark(.state), "RESTARTS" + mark(.restarts),
                          "UPTIME" + mark(.uptime), "MAILBOX", "VALUE"], widths, rightAligned: [3, 4, 5]), .header)
        for row in state.visibleRows {
            guard let row else {
                add(" …", .plain)
                continue
            }
            let style: Frame.Style
            if row.ref == state.selection?.ref {
                style = .selected
            } else if row.isDead {
                style = .tombstone
            } else if row.lastExit != nil && now - row.startedAt < 3_000_000_000 {
                style = .restarted
            } else {
                style = .plain
            }
            add(tableRow(row, now: now, widths: widths), style)
        }
        if state.window == nil || state.tableCount == 0 {
            let empty: String
            if state.window == nil { empty = state.connection == .connected ? " (loading…)" : "" }
            else if !state.filter.isEmpty { empty = " no id contains \"\(TerminalText.escaped(state.filter))\"" }
            else { empty = " (no workers)" }
            if !empty.isEmpty && lines.count < layout.logTop { add(empty, .plain) }
        }
        while lines.count < layout.logTop { add("", .plain) }

        // The event log, newest first.
        let filterNote = state.filter.isEmpty ? "" : " · filter \"\(TerminalText.escaped(state.filter))\""
        add(" events (newest first) · \(state.tableCount) rows · sort \(state.sort.rawValue)\(filterNote)", .header)
        let start = state.app?.startedAt ?? 0
        for entry in state.poolLog.prefix(layout.logRows) {
            add(" +\(Format.clock(nanoseconds: entry.time - start, fraction: true)) \(TerminalText.escaped(entry.text))",
                .log(Frame.Kind(entry.kind)))
        }
        while lines.count < layout.rows - Layout.bottomLines { add("", .plain) }

        lines.append(keyBar(state, columns: layout.columns))

        var frame = Frame(columns: layout.columns, rows: layout.rows, lines: lines)
        overlay(&frame, state: state, layout: layout, now: now)
        return frame
    }

    // MARK: - Parts

    private func title(_ state: DashboardState, now: Int64, at time: Duration) -> (String, Frame.Style) {
        guard let app = state.app else {
            switch state.connection {
            case .connecting(let target): return (" pooltui · connecting to \(TerminalText.escaped(target)) …", .title)
            case .disconnected(let reason, let since):
                return (" pooltui · not connected (\(Format.clock(time - since))): \(TerminalText.escaped(reason)) · retrying", .warning)
            case .connected: return (" pooltui", .title)
            }
        }
        let name = TerminalText.escaped(app.app)
        var pool = ""
        if let shown = state.pool {
            pool = " · pool \(TerminalText.escaped(shown.name))"
            if app.pools.count > 1 { pool += " \(state.poolIndex + 1)/\(app.pools.count) (Tab)" }
        }
        if case .disconnected(let reason, let since) = state.connection {
            return (" pooltui · app \(name)\(pool) · DISCONNECTED \(Format.clock(time - since)): \(TerminalText.escaped(reason))"
                    + " · waiting for \(name) to come back · last screen kept", .warning)
        }
        let live = state.paused ? "PAUSED" : "LIVE"
        let readOnly = state.pool.map { $0.commands.isEmpty } == true ? " · read-only" : ""
        return (" pooltui · app \(name) (pid \(app.pid))\(pool) · up \(Format.clock(nanoseconds: now - app.startedAt))"
                + " · refresh \(Format.seconds(state.refreshInterval)) · \(live)\(readOnly)", .title)
    }

    private func tableRow(_ row: WireRow, now: Int64, widths: [Int]) -> String {
        let stateText: String
        var mailbox = ""
        if row.isDead {
            switch row.exitKind ?? .stopped {
            case .killed: stateText = "✝ killed"
            case .crashed: stateText = "✗ crashed"
            case .shutdown: stateText = "■ shutdown"
            case .stopped: stateText = "■ stopped"
            }
        } else {
            stateText = TerminalText.escaped(row.status ?? "running")
            mailbox = row.mailbox.map(String.init) ?? ""
        }
        let restarts = row.restarts > 0 ? "↻\(row.restarts)" : "0"
        let uptime = row.isDead ? "—" : Format.clock(nanoseconds: now - row.startedAt)
        return Self.columns([TerminalText.escaped(row.id), TerminalText.escaped(row.pid), stateText, restarts, uptime, mailbox,
                             TerminalText.escaped(row.value)], widths, rightAligned: [3, 4, 5])
    }

    /// The keys of the normal mode, each with the command it needs (if any).
    static let keys: [(label: String, needs: CommandKind?)] = [
        ("?:help", nil), ("q:quit", nil), ("↑↓:move", nil), ("/:filter", nil), ("o:sort", nil), ("Tab:pool", nil),
        ("s:stop", .stop), ("K:kill", .kill), ("c:crash", .crash), ("n:new", .lookupOrStart), ("m:meta", .putMeta),
        ("⏎:detail", nil), ("t:tree", nil), ("␣:pause", nil), ("+-:refresh", nil),
    ]

    private func keyBar(_ state: DashboardState, columns: Int) -> Frame.Line {
        func line(_ text: String) -> Frame.Line {
            Frame.Line(text: TerminalText.fit(text, to: columns), style: .status)
        }
        switch state.mode {
        case .filter: return line(" filter: \(TerminalText.escaped(state.input))▏  (Enter keeps, Esc clears)")
        case .newWorker: return line(" lookupOrStart id: \(TerminalText.escaped(state.input))▏  (Enter starts, Esc cancels)")
        case .meta: return line(" registry meta key=value: \(TerminalText.escaped(state.input))▏  (Enter sets, Esc cancels)")
        case .confirmKill(let target, let id): return line(" kill \(TerminalText.escaped(id)) \(TerminalText.escaped(target.pid))? y/n")
        case .detail: return line(" Esc closes · r asks again")
        case .help, .tree: return line(" Esc closes")
        case .normal:
            if let status = state.status { return line(" \(TerminalText.escaped(status))") }
        }
        // Keys the app does not allow are greyed out.
        let pool = state.pool
        let allowed = { (kind: CommandKind?) in kind.map { pool?.allows($0) ?? false } ?? true }
        var text = pool.map { $0.commands.isEmpty } == true ? " read-only ·" : ""
        var spans: [Frame.Span] = []
        for key in Self.keys {
            let start = TerminalText.width(text) + 1
            text += " " + key.label
            if !allowed(key.needs) { spans.append(Frame.Span(start: start, count: TerminalText.width(key.label), style: .disabled)) }
        }
        return Frame.Line(text: TerminalText.fit(text, to: columns), style: .status, spans: spans.filter { $0.start < columns })
    }

    // MARK: - Overlays

    private func overlay(_ frame: inout Frame, state: DashboardState, layout: Layout, now: Int64) {
        let content: [String]
        let title: String
        switch state.mode {
        case .help:
            title = "help"
            content = Self.help
        case .detail(let ref):
            title = "worker \(TerminalText.escaped(state.detail?.row.id ?? state.selection?.id ?? "#\(ref)"))"
            content = detail(state, now: now)
        case .tree:
            title = "supervision tree"
            content = state.tree.map { tree in tree.nodes.isEmpty ? ["(no supervisors)"] : tree.nodes.map(Self.treeLine) } ?? ["(asking…)"]
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

    private func detail(_ state: DashboardState, now: Int64) -> [String] {
        guard let reply = state.detail else {
            return state.connection == .connected ? ["(asking…)"] : ["(not connected)"]
        }
        let row = reply.row
        let e = TerminalText.escaped
        var lines = [
            "id        \(e(row.id))",
            "pid       \(e(row.pid))",
            "value     \(e(row.value))",
            "restarts  \(row.restarts)",
            "up        \(row.isDead ? "—" : Format.clock(nanoseconds: now - row.startedAt, fraction: true))",
            "last exit \(row.lastExit.map(e) ?? "—")",
        ]
        if row.isDead {
            let ago = row.since.map { Format.clock(nanoseconds: now - $0, fraction: true) + " ago" } ?? ""
            lines.append("state     dead: \(e(row.exit ?? "?")) \(ago)")
        } else if let process = reply.process {
            lines.append("state     \(e(process.status))")
            lines.append("behaviour \(e(process.behaviour))")
            lines.append("parent    \(process.parent.map(e) ?? "—")")
            lines.append("names     \(process.names.map(e).joined(separator: ", "))")
            lines.append("links     \(process.links.map(e).joined(separator: " "))")
            lines.append("monitors  \(process.monitors)   trap_exit \(process.trapExit)")
            lines.append("mailbox   \(process.mailbox)   handled \(process.handled)")
        } else {
            lines.append("state     exited")
        }
        lines.append("")
        switch state.described {
        case .none:
            break
        case .asking:
            lines.append("its state: asking…")
        case .answered(_, let reply):
            if let text = reply.state {
                lines.append("its state (answered in \(reply.micros) µs; r asks again):")
                let described = text.split(separator: "\n", omittingEmptySubsequences: false)
                for line in described.prefix(Self.stateLines) { lines.append("  " + e(String(line))) }
                if described.count > Self.stateLines { lines.append("  … \(described.count - Self.stateLines) more lines") }
            } else {
                lines.append("its state: \(e(reply.behaviour)) does not describe its state (it does not adopt StateDescribing)")
            }
        case .failed(_, let message):
            lines.append("its state: \(e(message))")
        }
        return lines
    }

    /// Lines of a state description shown.
    static let stateLines = 20

    static func treeLine(_ node: WireTreeNode) -> String {
        let e = TerminalText.escaped
        let indent = String(repeating: "  ", count: node.depth)
        var parts: [String] = []
        if let id = node.id { parts.append(e(id)) }
        if let pid = node.pid { parts.append(e(pid)) }
        switch node.kind {
        case .supervisor:
            parts.append("Supervisor" + (node.strategy.map { " \(e($0))" } ?? ""))
            if let intensity = node.intensity { parts.append("· intensity \(Format.intensity(intensity))") }
        case .dynamicSupervisor:
            parts.append("DynamicSupervisor" + (node.pool.map { " (pool \(e($0)))" } ?? ""))
            parts.append("· \(node.active ?? 0) running, \(node.restarting ?? 0) restarting")
            if let intensity = node.intensity { parts.append("· intensity \(Format.intensity(intensity))") }
        case .workers:
            parts.append("\(node.count ?? 0) \(node.behaviour.map(e) ?? "") workers")
        case .worker:
            if let behaviour = node.behaviour { parts.append(e(behaviour)) }
        case .other:
            if let state = node.state { parts.append(e(state)) }
        }
        if node.kind != .workers {
            if let restart = node.restart { parts.append(e(restart)) }
            if let restarts = node.restarts { parts.append("restarts=\(restarts)") }
        }
        if let note = node.note { parts.append(e(note)) }
        return indent + parts.joined(separator: " ")
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

    static let help = [
        "↑ ↓  j k       move the selection",
        "PgUp PgDn      move a page",
        "Home End  g G  first, last row",
        "/              filter by id (Esc clears)",
        "o              cycle the sort: key, uptime, restarts, state",
        "Tab  1-9       next pool, pool by number",
        "s              stop it gracefully (on a dead row: end its crash loop)",
        "K  F9          kill it (asks y/n; refused if restarted since; dead row: as s)",
        "c              make it crash (watch the restart)",
        "n              lookupOrStart an id",
        "m              set registry meta key=value",
        "Enter          details and state of the selected worker",
        "t              the supervision tree",
        "r              refresh now (in details: ask the state again)",
        "Space          pause or resume",
        "+ -            refresh faster, slower",
        "? F1           this help",
        "q F10 ^C       quit",
        "",
        "The selection follows a worker's id, never a row number.",
        "Dead workers stay a moment as tombstones: ✝ killed, ✗ crashed, ■ stopped.",
        "Registry entries go as part of the exit: UNREG comes before DOWN.",
        "Greyed keys are commands the app does not allow (read-only).",
    ]
}

extension Frame.Kind {
    init(_ kind: WireEvent.Kind) {
        switch kind {
        case .info: self = .info
        case .stop: self = .stop
        case .kill: self = .kill
        case .crash: self = .crash
        case .unregister: self = .unregister
        case .down: self = .down
        case .restart: self = .restart
        case .escalation: self = .escalation
        case .error: self = .error
        case .command: self = .command
        }
    }
}
