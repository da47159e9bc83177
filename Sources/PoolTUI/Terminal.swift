import CNCursesW
import PoolDashboard

#if canImport(Glibc)
import Glibc
#endif

/// The only code that talks to ncurses. It lives on one dedicated thread (ncurses is not
/// thread-safe) and draws frames, changing only the lines that changed.
final class Terminal {
    private var screen: OpaquePointer?
    private var window: UnsafeMutablePointer<WINDOW>?
    private var previous: Frame?
    private var colors = false

    /// Starts ncurses. Throws if the terminal cannot be set up (an unknown TERM).
    init() throws(TerminalError) {
        setlocale(LC_ALL, "")
        // Wide characters need a UTF-8 character type; fall back to C.UTF-8 when the
        // environment names none (containers often do not).
        if let codeset = nl_langinfo(nl_item(CODESET)), String(cString: codeset) != "UTF-8" {
            setlocale(LC_CTYPE, "C.UTF-8")
        }
        setenv("ESCDELAY", "25", 1)
        // newterm reports failure instead of exiting the process as initscr would.
        guard let screen = newterm(nil, pooltui_stdout(), pooltui_stdin()) else { throw .cannotStart }
        self.screen = screen
        set_term(screen)
        window = pooltui_stdscr()
        raw()          // Ctrl-C arrives as a key: the loop quits cleanly
        noecho()
        keypad(window, true)
        curs_set(0)
        wtimeout(window, 0)  // reads never block: the loop polls standard input
        if has_colors() {
            colors = true
            start_color()
            use_default_colors()
            init_pair(1, Int16(COLOR_CYAN), -1)    // headers
            init_pair(2, Int16(COLOR_RED), -1)     // kills, crashes
            init_pair(3, Int16(COLOR_GREEN), -1)   // restarts
            init_pair(4, Int16(COLOR_YELLOW), -1)  // escalations, warnings
            init_pair(5, Int16(COLOR_BLACK), Int16(COLOR_CYAN))  // title bar
            init_pair(6, Int16(COLOR_BLACK), -1)                 // greyed-out keys
        }
    }

    /// Restores the terminal. Safe to call more than once.
    func restore() {
        guard let screen else { return }
        endwin()
        delscreen(screen)
        self.screen = nil
        window = nil
    }

    deinit { restore() }

    /// The terminal size now.
    var size: (columns: Int, rows: Int) { (Int(pooltui_columns()), Int(pooltui_rows())) }

    /// The next key typed, if one is waiting (never blocks).
    func readKey() -> Key? {
        var character: wint_t = 0
        let result = wget_wch(window, &character)
        if result == pooltui_err() { return nil }
        if result == pooltui_key_code_yes() {
            switch Int32(character) {
            case KEY_UP: return .up
            case KEY_DOWN: return .down
            case KEY_PPAGE: return .pageUp
            case KEY_NPAGE: return .pageDown
            case KEY_HOME: return .home
            case KEY_END: return .end
            case KEY_ENTER: return .enter
            case KEY_BACKSPACE: return .backspace
            case KEY_BTAB: return .backTab
            case KEY_RESIZE:
                previous = nil
                return .resize(columns: size.columns, rows: size.rows)
            default:
                for number in 1...12 where Int32(character) == pooltui_key_f(Int32(number)) { return .function(number) }
                return nil
            }
        }
        switch character {
        case 3: return .interrupt
        case 9: return .tab
        case 10, 13: return .enter
        case 27: return .escape
        case 8, 127: return .backspace
        default:
            guard let scalar = Unicode.Scalar(UInt32(character)) else { return nil }
            return .character(Character(scalar))
        }
    }

    /// Draws `frame`, writing only the lines that differ from the previous frame.
    func draw(_ frame: Frame) {
        let old = previous?.columns == frame.columns && previous?.rows == frame.rows ? previous : nil
        if old == nil { werase(window) }
        for (row, line) in frame.lines.enumerated() where row < frame.rows {
            if let old, row < old.lines.count, old.lines[row] == line { continue }
            let (attributes, pair) = style(line.style)
            pooltui_set_style(window, attributes, pair)
            var wide = line.text.unicodeScalars.map { wchar_t(bitPattern: $0.value) }
            // Never write into the last column of the last row (that scrolls some terminals).
            var count = Int32(wide.count)
            if row == frame.rows - 1, !wide.isEmpty {
                wide.removeLast()
                count -= 1
            }
            pooltui_draw_line(window, Int32(row), wide, count)
            for span in line.spans {
                let (spanAttributes, spanPair) = style(span.style)
                pooltui_set_style(window, spanAttributes, spanPair)
                let (offset, length) = Self.characters(of: line.text, columns: span.start, span.count)
                guard offset < wide.count else { continue }
                let take = min(length, Int(count) - offset)
                guard take > 0 else { continue }
                wide.withUnsafeBufferPointer { buffer in
                    pooltui_draw_at(window, Int32(row), Int32(span.start), buffer.baseAddress! + offset, Int32(take))
                }
            }
        }
        pooltui_set_style(window, pooltui_attr_normal(), 0)
        wnoutrefresh(window)
        doupdate()
        previous = frame
    }

    /// The scalar offset and count of the columns `start ..< start + count` of `text`.
    static func characters(of text: String, columns start: Int, _ count: Int) -> (offset: Int, length: Int) {
        var column = 0
        var offset = 0
        var length = 0
        for scalar in text.unicodeScalars {
            let width = TerminalText.width(String(scalar))
            if column < start { offset += 1 } else if column < start + count { length += 1 } else { break }
            column += width
        }
        return (offset, length)
    }

    private func style(_ style: Frame.Style) -> (attr_t, Int16) {
        let bold = pooltui_attr_bold()
        let normal = pooltui_attr_normal()
        switch style {
        case .plain: return (normal, 0)
        case .title: return colors ? (bold, 5) : (pooltui_attr_reverse(), 0)
        case .header: return (bold, colors ? 1 : 0)
        case .selected: return (pooltui_attr_reverse(), 0)
        case .tombstone: return (pooltui_attr_dim(), colors ? 2 : 0)
        case .restarted: return (normal, colors ? 3 : 0)
        case .status: return (pooltui_attr_reverse(), 0)
        case .overlay: return (normal, 0)
        case .warning: return (bold, colors ? 4 : 0)
        case .disabled: return (pooltui_attr_dim() | pooltui_attr_reverse(), colors ? 6 : 0)
        case .log(let kind):
            switch kind {
            case .kill, .crash, .error: return (normal, colors ? 2 : 0)
            case .restart: return (normal, colors ? 3 : 0)
            case .escalation: return (bold, colors ? 4 : 0)
            case .info, .stop, .unregister, .down, .command: return (normal, 0)
            }
        }
    }
}

enum TerminalError: Error {
    case cannotStart
}
