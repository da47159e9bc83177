/// A key press as the dashboard understands it, independent of the terminal library.
package enum Key: Sendable, Hashable, CustomStringConvertible {
    /// A printable character (typed text and single-letter commands).
    case character(Character)
    /// The arrow, page and `Home`/`End` keys.
    case up, down, pageUp, pageDown, home, end
    /// `Enter`, `Esc`, `Backspace`, `Tab` and `Shift-Tab`.
    case enter, escape, backspace, tab, backTab
    /// Function keys F1–F12.
    case function(Int)
    /// Ctrl-C.
    case interrupt
    /// The terminal changed size.
    case resize(columns: Int, rows: Int)

    /// A short name for the key: `'q'`, `PgUp`, `F9`, `^C` …
    package var description: String {
        switch self {
        case .character(let character): return "'\(character)'"
        case .up: return "↑"
        case .down: return "↓"
        case .pageUp: return "PgUp"
        case .pageDown: return "PgDn"
        case .home: return "Home"
        case .end: return "End"
        case .enter: return "Enter"
        case .escape: return "Esc"
        case .backspace: return "Backspace"
        case .tab: return "Tab"
        case .backTab: return "Shift-Tab"
        case .function(let number): return "F\(number)"
        case .interrupt: return "^C"
        case .resize(let columns, let rows): return "resize(\(columns)x\(rows))"
        }
    }
}
