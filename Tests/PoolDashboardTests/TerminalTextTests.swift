@testable import PoolDashboard
import Testing
import TestSupport

@Suite("Terminal text: escaping, widths, fitting", .timeLimit(.minutes(Slowdown.scaled(2))))
struct TerminalTextTests {
    @Test("control characters and escape sequences are shown escaped, never raw")
    func escaping() {
        #expect(TerminalText.escaped("plain") == "plain")
        #expect(TerminalText.escaped("a\u{1B}[31mred\u{1B}[0m") == "a\\x1B[31mred\\x1B[0m")
        #expect(TerminalText.escaped("tab\there\nnew\rline") == "tab\\there\\nnew\\rline")
        #expect(TerminalText.escaped("bell\u{07}del\u{7F}c1\u{9B}") == "bell\\x07del\\x7Fc1\\x9B")
        #expect(TerminalText.escaped("evil\u{202E}txt.exe") == "evil\\u{202E}txt.exe")
        #expect(TerminalText.escaped("zero\u{0}") == "zero\\x00")
    }

    @Test("escaped text contains no control scalar", arguments: [
        "\u{1B}]0;title\u{07}", "\u{1B}[2J\u{1B}[H", String((0..<32).map { Character(Unicode.Scalar($0)!) }),
    ])
    func noControlScalars(_ hostile: String) {
        let escaped = TerminalText.escaped(hostile)
        #expect(!escaped.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) })
    }

    @Test("widths count columns: CJK and emoji two, combining marks none")
    func widths() {
        #expect(TerminalText.width("abc") == 3)
        #expect(TerminalText.width("電話") == 4)
        #expect(TerminalText.width("☎️") == 2)
        #expect(TerminalText.width("📞") == 2)
        #expect(TerminalText.width("👩‍👩‍👧") == 2)
        #expect(TerminalText.width("é") == 1)
        #expect(TerminalText.width("e\u{301}") == 1)
        #expect(TerminalText.width("한국어") == 6)
    }

    @Test("fit cuts at a column boundary, never splits a wide character, and pads")
    func fit() {
        #expect(TerminalText.fit("hello", to: 8) == "hello   ")
        #expect(TerminalText.fit("hello world", to: 8) == "hello w…")
        let cut = TerminalText.fit("電話番号です", to: 7)
        #expect(TerminalText.width(cut) == 7)
        #expect(cut == "電話番…")
        #expect(TerminalText.fit("ab", to: 0) == "")
        #expect(TerminalText.rightAligned("42", in: 5) == "   42")
    }
}
