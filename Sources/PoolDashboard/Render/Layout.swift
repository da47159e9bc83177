/// Where each part of the screen goes at a given terminal size.
package struct Layout: Sendable, Equatable {
    /// The smallest terminal the dashboard draws in; smaller ones get a message.
    package static let minimumColumns = 64
    /// The fewest rows the dashboard draws in; fewer get a message.
    package static let minimumRows = 15

    /// The terminal's width, in columns.
    package var columns: Int
    /// The terminal's height, in rows.
    package var rows: Int

    /// Creates the layout for a terminal of this size.
    package init(columns: Int, rows: Int) {
        self.columns = columns
        self.rows = rows
    }

    /// Whether the terminal is smaller than ``minimumColumns`` by ``minimumRows``: then only a message is drawn.
    package var isTooSmall: Bool { columns < Self.minimumColumns || rows < Self.minimumRows }

    /// Title, two lines of counts, registry, table header.
    static let topLines = 5
    /// The key bar.
    static let bottomLines = 1

    /// Event log lines (below its header line).
    package var logRows: Int { max(3, (rows - Self.topLines - Self.bottomLines) / 4) }

    /// Table rows: what `PgUp`/`PgDn` move by.
    package var tableRows: Int { max(1, rows - Self.topLines - Self.bottomLines - 1 - logRows) }

    /// The first line of the table body.
    var tableTop: Int { Self.topLines }
    /// The event log header line.
    var logTop: Int { tableTop + tableRows }

    /// Column widths of the worker table: key, pid, state, restarts, uptime, mailbox, value.
    var columnWidths: [Int] {
        let key = min(28, max(14, columns / 5))
        let fixed = [key, 11, 10, 8, 9, 7]
        // One leading space and one space between columns.
        let value = max(8, columns - fixed.reduce(0, +) - fixed.count - 1)
        return fixed + [value]
    }
}
