/// Text as a terminal shows it: escaped, measured in columns, cut and padded to fit.
///
/// Everything a dashboard prints that comes from workers — registry keys, values, meta —
/// goes through ``escaped(_:)`` first: a control character or an escape sequence in it
/// is shown as visible text (`\x1B[31m`), never written raw to the terminal. Widths
/// count columns, not characters: CJK and emoji take two, combining marks none.
package enum TerminalText {
    /// `text` with every control character, and every invisible character that can
    /// reorder or hide text (bidirectional overrides, zero-width joiners outside emoji),
    /// replaced by a visible escape: `\t`, `\n`, `\x1B`, `\u{202E}`.
    package static func escaped(_ text: String) -> String {
        var needsWork = false
        for scalar in text.unicodeScalars where needsEscape(scalar) {
            needsWork = true
            break
        }
        guard needsWork else { return text }
        var result = ""
        result.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            if needsEscape(scalar) {
                result += escape(scalar)
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: return true  // C0, DEL, C1
        case 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return true  // bidi controls
        case 0x2028, 0x2029: return true  // line and paragraph separators
        case 0xFEFF: return true  // byte order mark
        default:
            return scalar.properties.generalCategory == .unassigned
        }
    }

    private static func escape(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case "\t": return "\\t"
        case "\n": return "\\n"
        case "\r": return "\\r"
        default:
            let hex = String(scalar.value, radix: 16, uppercase: true)
            if scalar.value <= 0xFF { return "\\x" + (hex.count < 2 ? "0" + hex : hex) }
            return "\\u{\(hex)}"
        }
    }

    /// The number of terminal columns `character` takes: 0, 1 or 2.
    package static func width(of character: Character) -> Int {
        var width = 0
        var emoji = false
        for scalar in character.unicodeScalars {
            let properties = scalar.properties
            if properties.isEmojiPresentation { emoji = true }
            if scalar.value == 0xFE0F && properties.isVariationSelector { emoji = true }
            width = max(width, scalarWidth(scalar))
        }
        return emoji ? 2 : width
    }

    static func scalarWidth(_ scalar: Unicode.Scalar) -> Int {
        let value = scalar.value
        if value == 0 { return 0 }
        if value < 0x20 || (0x7F..<0xA0).contains(value) { return 0 }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        if value == 0x200B { return 0 }
        return isWide(value) ? 2 : 1
    }

    /// East Asian Wide and Fullwidth ranges (Unicode 15, abridged to whole blocks).
    static func isWide(_ value: UInt32) -> Bool {
        switch value {
        case 0x1100...0x115F, 0x231A...0x231B, 0x2329...0x232A, 0x23E9...0x23EC, 0x23F0, 0x23F3,
             0x25FD...0x25FE, 0x2614...0x2615, 0x2648...0x2653, 0x267F, 0x2693, 0x26A1,
             0x26AA...0x26AB, 0x26BD...0x26BE, 0x26C4...0x26C5, 0x26CE, 0x26D4, 0x26EA,
             0x26F2...0x26F3, 0x26F5, 0x26FA, 0x26FD, 0x2705, 0x270A...0x270B, 0x2728, 0x274C,
             0x274E, 0x2753...0x2755, 0x2757, 0x2795...0x2797, 0x27B0, 0x27BF, 0x2B1B...0x2B1C,
             0x2B50, 0x2B55, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
             0xA000...0xA4CF, 0xA960...0xA97F, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE10...0xFE19,
             0xFE30...0xFE6F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x16FE0...0x16FE4, 0x17000...0x18AFF,
             0x1B000...0x1B2FF, 0x1F004, 0x1F0CF, 0x1F18E, 0x1F191...0x1F19A, 0x1F200...0x1F251,
             0x1F300...0x1F64F, 0x1F680...0x1F6FF, 0x1F7E0...0x1F7EB, 0x1F90C...0x1F9FF,
             0x1FA70...0x1FAFF, 0x20000...0x3FFFD:
            return true
        default:
            return false
        }
    }

    /// The number of terminal columns `text` takes.
    package static func width(_ text: String) -> Int {
        var total = 0
        for character in text {
            if character.isASCII { total += 1 } else { total += width(of: character) }
        }
        return total
    }

    /// `text` cut to at most `columns` columns (never splitting a wide character; a cut
    /// text ends with `…`), then padded with spaces to exactly `columns` if `pad`.
    package static func fit(_ text: String, to columns: Int, pad: Bool = true) -> String {
        guard columns > 0 else { return "" }
        var result = ""
        var used = 0
        var cut = false
        for character in text {
            let width = character.isASCII ? 1 : Self.width(of: character)
            if used + width > columns {
                cut = true
                break
            }
            result.append(character)
            used += width
        }
        if cut {
            // Make room for the ellipsis.
            while used > columns - 1, let last = result.popLast() {
                used -= last.isASCII ? 1 : Self.width(of: last)
            }
            result.append("…")
            used += 1
        }
        if pad && used < columns { result += String(repeating: " ", count: columns - used) }
        return result
    }

    /// `text` right-aligned in `columns` columns (cut like ``fit(_:to:pad:)``).
    package static func rightAligned(_ text: String, in columns: Int) -> String {
        let width = Self.width(text)
        if width >= columns { return fit(text, to: columns) }
        return String(repeating: " ", count: columns - width) + text
    }
}
