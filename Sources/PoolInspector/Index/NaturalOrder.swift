/// The order people expect of ids: text in byte order, except that runs of digits
/// compare by their value — `tenant-9` before `tenant-10`, `7` before `42`.
///
/// Works on UTF-8 bytes, so it is fast and the same on every machine (no locale); a
/// number with leading zeros equals the same number without them, and then the one with
/// fewer zeros comes first, so the order stays total.
enum NaturalOrder {
    /// Whether `a` comes before `b`.
    static func precedes(_ a: String, _ b: String) -> Bool {
        compare(a, b) < 0
    }

    /// Negative, zero or positive as `a` comes before, equals or follows `b`.
    static func compare(_ a: String, _ b: String) -> Int {
        if let result = a.utf8.withContiguousStorageIfAvailable({ left in
            b.utf8.withContiguousStorageIfAvailable { right in compare(left, right) }
        }), let result {
            return result
        }
        return Array(a.utf8).withUnsafeBufferPointer { left in
            Array(b.utf8).withUnsafeBufferPointer { right in compare(left, right) }
        }
    }

    @inline(__always)
    private static func isDigit(_ byte: UInt8) -> Bool { byte &- 0x30 < 10 }

    static func compare(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
        var i = 0
        var j = 0
        var zeros = 0  // first difference in leading zeros, as a tie-break
        while i < a.count && j < b.count {
            let x = a[i]
            let y = b[j]
            if isDigit(x) && isDigit(y) {
                var startA = i
                var startB = j
                while startA < a.count && a[startA] == 0x30 { startA += 1 }
                while startB < b.count && b[startB] == 0x30 { startB += 1 }
                var endA = startA
                var endB = startB
                while endA < a.count && isDigit(a[endA]) { endA += 1 }
                while endB < b.count && isDigit(b[endB]) { endB += 1 }
                let lengthA = endA - startA
                let lengthB = endB - startB
                if lengthA != lengthB { return lengthA - lengthB }
                for offset in 0..<lengthA where a[startA + offset] != b[startB + offset] {
                    return Int(a[startA + offset]) - Int(b[startB + offset])
                }
                if zeros == 0 { zeros = (startA - i) - (startB - j) }
                i = endA
                j = endB
                continue
            }
            if x != y { return Int(x) - Int(y) }
            i += 1
            j += 1
        }
        let remaining = (a.count - i) - (b.count - j)
        return remaining != 0 ? remaining : zeros
    }
}
