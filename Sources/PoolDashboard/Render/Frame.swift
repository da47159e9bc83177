/// One screenful: lines of exactly `columns` columns, each with a style and optional
/// spans styled differently (greyed-out keys). The terminal layer draws it (only the
/// lines that changed); tests and `pooltui snapshot` read it as text.
package struct Frame: Sendable, Equatable {
    /// How a line (or a span of one) is drawn.
    package enum Style: Sendable, Equatable {
        /// The terminal's default look.
        case plain
        /// The title bar.
        case title
        /// Section and column headers.
        case header
        /// The selected table row.
        case selected
        /// A dead worker's row, shown for a moment.
        case tombstone
        /// A worker that was restarted recently.
        case restarted
        /// An event log line.
        case log(Kind)
        /// The key bar and prompts.
        case status
        /// Help, detail and tree overlays.
        case overlay
        /// Warnings (terminal too small, disconnected).
        case warning
        /// Keys that do nothing here (a read-only app): greyed out.
        case disabled
    }

    /// The kinds of log lines, for their colours.
    package enum Kind: Sendable, Equatable {
        /// One for each ``WireEvent/Kind`` of the same name.
        case info, stop, kill, crash, unregister, down, restart, escalation, error, command
    }

    /// Columns `start ..< start + count` of a line drawn in `style`.
    package struct Span: Sendable, Equatable {
        /// The first column, from 0.
        package var start: Int
        /// How many columns.
        package var count: Int
        /// How they are drawn.
        package var style: Style
    }

    /// One row of the screen.
    package struct Line: Sendable, Equatable {
        /// Escaped text, exactly ``Frame/columns`` columns wide.
        package var text: String
        /// How the line is drawn, outside its spans.
        package var style: Style
        /// Parts of the line drawn in another style; none by default.
        package var spans: [Span] = []
    }

    /// The terminal's width, in columns.
    package var columns: Int
    /// The terminal's height, in rows.
    package var rows: Int
    /// The lines, top to bottom: one per row.
    package var lines: [Line]

    /// The frame as plain text, one line per row, trailing spaces removed.
    package var text: String {
        lines.map { line in
            var text = line.text
            while text.last == " " { text.removeLast() }
            return text
        }.joined(separator: "\n")
    }
}
