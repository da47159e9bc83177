/// The `pooltui cluster` screen: a cluster registry's nodes, with their leases' time left,
/// and every name with the node that holds it and its fencing token — as etcd alone says.
///
/// Plain Swift: it takes readings (``Snapshot``) and keys, and builds frames; the command
/// reads etcd and draws. Every id, node name and address is escaped before it is drawn.
package struct ClusterScreen: Sendable {
    /// One reading of the cluster.
    package struct Snapshot: Sendable, Equatable {
        /// A node that holds names.
        package struct Node: Sendable, Equatable {
            /// Its name.
            package var name: String
            /// The address it advertises.
            package var address: String
            /// Its lease.
            package var lease: Int64
            /// Seconds its lease has left; `nil` once expired.
            package var secondsLeft: Int64?
            /// Names it holds.
            package var names: Int

            /// A node as read.
            package init(name: String, address: String, lease: Int64, secondsLeft: Int64?, names: Int) {
                self.name = name
                self.address = address
                self.lease = lease
                self.secondsLeft = secondsLeft
                self.names = names
            }
        }

        /// A held name.
        package struct Holder: Sendable, Equatable {
            /// The name.
            package var name: String
            /// Its node.
            package var node: String
            /// Its fencing token.
            package var token: Int64

            /// A holder as read.
            package init(name: String, node: String, token: Int64) {
                self.name = name
                self.node = node
                self.token = token
            }
        }

        /// The nodes.
        package var nodes: [Node]
        /// The names, in key order.
        package var holders: [Holder]
        /// The etcd revision of the reading.
        package var revision: Int64

        /// A reading as given.
        package init(nodes: [Node], holders: [Holder], revision: Int64) {
            self.nodes = nodes
            self.holders = holders
            self.revision = revision
        }
    }

    /// What is shown in the title: the endpoints and the prefix.
    package let endpoints: String
    /// The prefix of the registry's keys.
    package let prefix: String
    /// The last reading, if any.
    package private(set) var snapshot: Snapshot?
    /// When it was read.
    package private(set) var readAt: Duration?
    /// Why the last read failed, while the reading shown is older.
    package private(set) var failure: String?
    /// The first name row shown.
    package private(set) var scroll = 0
    /// The names shown contain this (case-insensitive); empty for all.
    package private(set) var filter = ""
    /// Whether `/` is being typed.
    package private(set) var typingFilter = false
    /// Whether the person asked to quit.
    package private(set) var quitting = false
    /// The last node seen holding each name (kept while the name is free), and the
    /// names that changed node lately: from which node, and when.
    private var lastHolder: [String: String] = [:]
    private var moves: [String: (from: String, at: Duration)] = [:]
    /// How long a moved name stays marked.
    package static let movedMarkTime = Duration.seconds(10)
    private var pageSize = 10

    /// A screen over the registry at `prefix` of the etcd members `endpoints`.
    package init(endpoints: String, prefix: String) {
        self.endpoints = endpoints
        self.prefix = prefix
    }

    /// A new reading: a name now held by another node than the last one seen holding it
    /// (even with readings in between where it was free) is marked as moved for
    /// ``movedMarkTime``.
    package mutating func read(_ snapshot: Snapshot, at now: Duration) {
        for holder in snapshot.holders {
            if let last = lastHolder[holder.name], last != holder.node { moves[holder.name] = (last, now) }
            lastHolder[holder.name] = holder.node
        }
        moves = moves.filter { now - $0.value.at < Self.movedMarkTime }
        self.snapshot = snapshot
        readAt = now
        failure = nil
        clampScroll()
    }

    /// A read that failed: the last reading stays on screen, marked as old.
    package mutating func readFailed(_ reason: String) {
        failure = reason
    }

    /// The names the filter keeps, in key order.
    package var shownHolders: [Snapshot.Holder] {
        guard let snapshot else { return [] }
        guard !filter.isEmpty else { return snapshot.holders }
        return snapshot.holders.filter { $0.name.localizedLowercase.contains(filter.localizedLowercase) }
    }

    /// Applies a key: moving (j k ↑ ↓ PgUp PgDn g G Home End), `/` to filter (Enter keeps,
    /// Esc clears), `q` to quit.
    package mutating func handle(_ key: Key) {
        if typingFilter {
            switch key {
            case .enter: typingFilter = false
            case .escape:
                typingFilter = false
                filter = ""
            case .backspace: _ = filter.popLast()
            case .character(let character) where !character.isNewline: filter.append(character)
            default: break
            }
            scroll = 0
            return
        }
        switch key {
        case .character("q"), .function(10): quitting = true
        case .character("j"), .down: scroll += 1
        case .character("k"), .up: scroll -= 1
        case .pageDown: scroll += pageSize
        case .pageUp: scroll -= pageSize
        case .character("g"), .home: scroll = 0
        case .character("G"), .end: scroll = shownHolders.count
        case .character("/"):
            typingFilter = true
            filter = ""
        case .escape: filter = ""
        default: break
        }
        clampScroll()
    }

    private mutating func clampScroll(shown: Int? = nil) {
        scroll = max(0, min(scroll, (shown ?? shownHolders.count) - pageSize))
    }

    /// The frame for a terminal of `layout`'s size, at `now`.
    package mutating func frame(_ layout: Layout, at now: Duration) -> Frame {
        let columns = layout.columns
        func line(_ text: String, _ style: Frame.Style = .plain) -> Frame.Line {
            Frame.Line(text: TerminalText.fit(text, to: columns), style: style)
        }
        guard !layout.isTooSmall else {
            var lines = [line(" terminal too small: \(columns)×\(layout.rows), needs \(Layout.minimumColumns)×\(Layout.minimumRows)", .warning)]
            while lines.count < layout.rows { lines.append(line("")) }
            return Frame(columns: columns, rows: layout.rows, lines: Array(lines.prefix(layout.rows)))
        }
        let e = TerminalText.escaped
        var lines: [Frame.Line] = []
        let nodes = snapshot?.nodes ?? []
        let names = snapshot?.holders.count ?? 0
        lines.append(line(" pooltui cluster · etcd \(e(endpoints)) · prefix \(e(prefix)) · \(nodes.count) nodes · \(names) names", .title))
        lines.append(line(" NODE                 ADDRESS                 LEASE                TTL LEFT    NAMES", .header))
        let nodeRows = min(max(1, nodes.count), max(1, (layout.rows - 6) / 3))
        if nodes.isEmpty {
            lines.append(line(snapshot == nil ? "  reading etcd…" : "  no node holds a name under this prefix"))
        }
        for node in nodes.prefix(nodeRows) {
            let left = node.secondsLeft.map { "\($0) s" } ?? "expired"
            lines.append(line(" " + [TerminalText.fit(e(node.name), to: 20), TerminalText.fit(e(node.address), to: 23),
                                      TerminalText.fit(String(node.lease), to: 20), TerminalText.fit(left, to: 11),
                                      String(node.names)].joined(separator: " "),
                              node.secondsLeft == nil ? .tombstone : .plain))
        }
        if nodes.count > nodeRows { lines.append(line("  … and \(nodes.count - nodeRows) more nodes")) }
        let shown = shownHolders
        lines.append(line(" NAME                                     NODE                 TOKEN", .header))
        pageSize = max(1, layout.rows - lines.count - 1)
        clampScroll(shown: shown.count)
        for holder in shown.dropFirst(scroll).prefix(pageSize) {
            let move = moves[holder.name].flatMap { now - $0.at < Self.movedMarkTime ? $0 : nil }
            let mark = move.map { "  ← moved from \(e($0.from))" } ?? ""
            lines.append(line(" " + TerminalText.fit(e(holder.name), to: 40) + " " + TerminalText.fit(e(holder.node), to: 20)
                              + " " + String(holder.token) + mark, move == nil ? .plain : .restarted))
        }
        while lines.count < layout.rows - 1 { lines.append(line("")) }
        let status: String
        if typingFilter {
            status = " filter: \(e(filter))▏  Enter keeps it · Esc clears it"
        } else if let failure {
            status = " etcd: \(e(failure)) — showing the reading of \(age(now)) ago"
        } else {
            let filtered = filter.isEmpty ? "" : " (filter: \(e(filter)), \(shown.count) of \(names))"
            status = "\(filtered) read \(age(now)) ago at revision \(snapshot?.revision ?? 0) · j k PgUp PgDn move · / filter · q quit"
        }
        lines.append(line(status, failure == nil ? .status : .warning))
        return Frame(columns: columns, rows: layout.rows, lines: lines)
    }

    private func age(_ now: Duration) -> String {
        guard let readAt else { return "—" }
        let milliseconds = max(0, (now - readAt).components.seconds * 1_000 + (now - readAt).components.attoseconds / 1_000_000_000_000_000)
        return milliseconds < 10_000 ? "\(Double(milliseconds / 100) / 10) s" : "\(milliseconds / 1_000) s"
    }
}
