/// One screenful: lines of exactly `columns` columns, each with a style and optional
/// spans styled differently (greyed-out keys). The terminal layer draws it (only the
/// lines that changed); tests and `pooltui snapshot` read it as text.
public struct Frame: Sendable, Equatable {
    /// How a line (or a span of one) is drawn.
    public enum Style: Sendable, Equatable {
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
    public enum Kind: Sendable, Equatable {
        case info, stop, kill, crash, unregister, down, restart, escalation, error, command
    }

    /// Columns `start ..< start + count` of a line drawn in `style`.
    public struct Span: Sendable, Equatable {
        public var start: Int
        public var count: Int
        public var style: Style
    }

    public struct Line: Sendable, Equatable {
        /// Escaped text, exactly ``Frame/columns`` columns wide.
        public var text: String
        public var style: Style
        public var spans: [Span] = []
    }

    public var columns: Int
    public var rows: Int
    public var lines: [Line]

    /// The frame as plain text, one line per row, trailing spaces removed.
    public var text: String {
        lines.map { line in
            var text = line.text
            while text.last == " " { text.removeLast() }
            return text
        }.joined(separator: "\n")
    }
}
