/// Splits a byte stream into lines of at most a given length.
///
/// Bytes arrive in chunks of any size; each complete line (without its `\n`, and
/// without a `\r` before it) is handed out once. A line longer than the limit is not
/// kept: it is reported once as ``Frame/tooLong(bytes:)`` when its newline arrives, and
/// its bytes are dropped as they come, so a hostile peer can never make the buffer grow
/// past the limit. Empty lines are skipped.
public struct LineFramer: Sendable {
    /// What the framer hands out.
    public enum Frame: Sendable, Hashable {
        /// A complete line, without its `\n` or a `\r` before it; never empty.
        case line([UInt8])
        /// A line of this many bytes was dropped.
        case tooLong(bytes: Int)
    }

    /// The longest line kept, in bytes, newline excluded.
    public let maxLineBytes: Int
    private var buffer: [UInt8] = []
    /// Bytes of the current overlong line dropped so far, or `nil` when not in one.
    private var dropping: Int?

    /// Creates a framer for lines of at most `maxLineBytes` bytes (more than zero).
    public init(maxLineBytes: Int = InspectorWire.maxLineBytes) {
        precondition(maxLineBytes > 0)
        self.maxLineBytes = maxLineBytes
    }

    /// Bytes held for an incomplete line.
    public var buffered: Int { buffer.count }

    /// Takes in `bytes`; calls `emit` for each frame they complete, in order.
    ///
    /// - Complexity: O(bytes).
    public mutating func append(_ bytes: UnsafeRawBufferPointer, emit: (Frame) -> Void) {
        var rest = bytes[...]
        while !rest.isEmpty {
            guard let newline = rest.firstIndex(of: UInt8(ascii: "\n")) else {
                take(rest)
                return
            }
            take(rest[rest.startIndex..<newline])
            endLine(emit)
            rest = rest[(newline + 1)...]
        }
    }

    /// Takes in `bytes`; calls `emit` for each frame they complete, in order.
    public mutating func append(_ bytes: [UInt8], emit: (Frame) -> Void) {
        bytes.withUnsafeBytes { append($0, emit: emit) }
    }

    /// Keeps bytes of the current line, or counts them once it is too long.
    private mutating func take(_ bytes: Slice<UnsafeRawBufferPointer>) {
        guard !bytes.isEmpty else { return }
        if let dropped = dropping {
            dropping = dropped + bytes.count
        } else if buffer.count + bytes.count > maxLineBytes {
            dropping = buffer.count + bytes.count
            buffer = []
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    private mutating func endLine(_ emit: (Frame) -> Void) {
        if let dropped = dropping {
            dropping = nil
            emit(.tooLong(bytes: dropped))
        } else {
            if buffer.last == UInt8(ascii: "\r") { buffer.removeLast() }
            if !buffer.isEmpty { emit(.line(buffer)) }
        }
        buffer.removeAll(keepingCapacity: buffer.capacity <= 64 * 1024)
    }
}
