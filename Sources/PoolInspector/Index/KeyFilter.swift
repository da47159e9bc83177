/// The table's filter: does a worker's key contain the typed text?
///
/// Matching compares UTF-8 bytes, so it is a substring match on Unicode scalars (UTF-8
/// is self-synchronising: a scalar sequence occurs in a string exactly when its bytes do).
/// Unlike `String.contains`, it does not compare by grapheme cluster: filtering "e" also
/// finds an "e" followed by a combining accent. That is what a filter over ids wants, and
/// it is fast enough to scan a million keys per keystroke.
struct KeyFilter: Sendable {
    private let needle: [UInt8]
    private let first: UInt8

    init(_ text: String) {
        needle = Array(text.utf8)
        first = needle.first ?? 0
    }

    /// Whether `key` contains the filter text; the empty filter matches everything.
    ///
    /// - Complexity: O(*k* × *f*) for a key of *k* bytes and a filter of *f* bytes;
    ///   keys are short, so the naive scan beats anything cleverer.
    func matches(_ key: String) -> Bool {
        switch needle.count {
        case 0: return true
        case 1:
            // The first character typed: a byte search, the case that scans everything.
            let byte = first
            for unit in key.utf8 where unit == byte { return true }
            return false
        default:
            // Native strings (small ones included) have contiguous UTF-8: no copy.
            if let found = key.utf8.withContiguousStorageIfAvailable({ contains($0) }) { return found }
            return Array(key.utf8).withUnsafeBufferPointer { contains($0) }
        }
    }

    private func contains(_ haystack: UnsafeBufferPointer<UInt8>) -> Bool {
        needle.withUnsafeBufferPointer { needle in
            let count = needle.count
            guard haystack.count >= count else { return false }
            var start = 0
            let last = haystack.count - count
            while start <= last {
                if haystack[start] == first {
                    var offset = 1
                    while offset < count, haystack[start + offset] == needle[offset] { offset += 1 }
                    if offset == count { return true }
                }
                start += 1
            }
            return false
        }
    }
}
