import InspectorProtocol
@testable import PoolDashboard
import Supervision
import Testing
import TestSupport

@Suite("Frames: what reaches the terminal", .timeLimit(.minutes(Slowdown.scaled(2))))
struct FrameTests {
    /// A dashboard fed a hostile app by hand: every text field carries escapes.
    func hostile() -> (DashboardState, Duration) {
        var state = DashboardState(target: "x\u{1B}]0;evil\u{7}", pageSize: 10)
        let evil = "\u{1B}[31mred\u{1B}[0m\u{202E}"
        let hello = ServerHello(app: "app\(evil)", pid: 1, startedAtUnixMilliseconds: 0, now: 1_000, startedAt: 0, server: "s",
                                readOnly: false, pools: [PoolDescription(name: "pool\(evil)", kind: .pool, keys: "unique", worker: "W",
                                                                         commands: CommandKind.allCases, readOnlyReason: nil)])
        _ = state.connected(hello, at: .zero)
        let row = WireRow(ref: 1, id: "id\(evil)\n", pid: "<0.9.0>", value: "value\u{7}\(evil)", restarts: 0, startedAt: 0,
                          phase: .live, status: "idle\u{1B}", mailbox: 0)
        _ = state.receive(.reply(id: 4, .rows(RowsReply(pool: "pool\(evil)", sort: .key, filter: "", total: 1, start: 0, focus: 0,
                                                          focusFound: true, rows: [row], now: 2_000))), at: .zero)
        _ = state.receive(.reply(id: 3, .summary(SummaryReply(now: 2_000, pools: [PoolSummary(
            name: "pool\(evil)", workers: 1, entries: 1, rows: 1, supervisor: nil, intensity: nil, counters: WireCounters(),
            meta: [WireMeta(key: "k\(evil)", value: "v\u{1B}")], startsPerSecond: 0, exitsPerSecond: 0, registryClosed: false)],
            clients: 1, droppedEvents: 0))), at: .zero)
        _ = state.receive(.push(.events(EventsReply(entries: [WireEvent(seq: 1, time: 1, pool: nil, kind: .kill, text: "KILL \(evil)")],
                                                    last: 1, missed: 0))), at: .zero)
        return (state, .zero)
    }

    @Test("no text from the app reaches the terminal raw: control characters, escape sequences, bidi overrides are shown escaped")
    func escaping() {
        let (state, time) = hostile()
        for mode: DashboardState.Mode in [.normal, .help, .tree, .detail(ref: 1)] {
            var shown = state
            shown.mode = mode
            let frame = FrameBuilder().build(shown, layout: Layout(columns: 160, rows: 40), at: time)
            for line in frame.lines {
                #expect(!line.text.unicodeScalars.contains { TerminalText.needsEscape($0) }, "\(mode): \(line.text)")
            }
            if mode == .normal {
                #expect(frame.text.contains(" id\\x1B[31mred\\x1B[0m") && frame.text.contains("value\\x07\\x1B[31mred"), "escaped, then cut to the column")
                #expect(frame.text.contains("KILL \\x1B[31m") && frame.text.contains("k\\x1B[31m"))
            }
        }
    }

    @Test("every line is exactly as wide as the terminal, at any size; too small a terminal gets a message instead")
    func sizes() {
        let (state, time) = hostile()
        for (columns, rows) in [(64, 15), (80, 24), (200, 60), (301, 17)] {
            let frame = FrameBuilder().build(state, layout: Layout(columns: columns, rows: rows), at: time)
            #expect(frame.lines.count == rows)
            #expect(frame.lines.allSatisfy { TerminalText.width($0.text) == columns })
        }
        let small = FrameBuilder().build(state, layout: Layout(columns: 40, rows: 10), at: time)
        #expect(small.text.contains("Terminal too small: 40×10") && small.lines.allSatisfy { TerminalText.width($0.text) <= 40 })
    }

    @Test("before the hello the screen says whom it is connecting to")
    func connecting() {
        let state = DashboardState(target: "billing")
        let frame = FrameBuilder().build(state, layout: Layout(columns: 80, rows: 24), at: .zero)
        #expect(frame.lines[0].text.hasPrefix(" pooltui · connecting to billing …"))
    }
}
