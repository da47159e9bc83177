import Supervision
import ScalableLocks

/// What a lockstep run did, folded into a digest: every scheduling decision, every
/// lifecycle event of the runtime and every fact a scenario records, with pids named by
/// the order they first appear (`p1`, `p2` …) so that the digest does not depend on what
/// else the OS process has spawned.
///
/// Every line is normalised before it is mixed in: a pid printed anywhere in it — in an
/// exit reason (`error(already started as <0.68.0>)`), in a fact a scenario wrote with
/// plain interpolation — becomes its run-stable name, and so does a monitor reference
/// (`#Ref<0.12>`), so neither carries a process-wide counter into the digest.
final class Trace: Sendable {
    private struct State {
        var digest: UInt64 = 0xCBF2_9CE4_8422_2325
        /// Run-stable names by pid serial.
        var labels: [UInt64: Int] = [:]
        /// Run-stable names of monitor references (`#Ref<0.N>`), by number.
        var refLabels: [UInt64: Int] = [:]
        var events = 0
        var restartsFailed = 0
        var facts = 0
        var tail: [String] = []
    }

    private let state = Lock(State())
    /// How many recent lines a failure report shows.
    static let tailLength = 12

    /// The FNV-1a 64 digest of everything recorded so far.
    var digest: UInt64 { state.withLock { $0.digest } }

    var eventCount: Int { state.withLock { $0.events } }
    var restartsFailed: Int { state.withLock { $0.restartsFailed } }
    var factCount: Int { state.withLock { $0.facts } }
    var recent: [String] { state.withLock { $0.tail } }

    /// A scheduling decision: `index` among `count` runnable jobs.
    func decision(_ index: Int, of count: Int) {
        state.withLock { state in
            Self.mix(&state.digest, UInt64(truncatingIfNeeded: count))
            Self.mix(&state.digest, UInt64(truncatingIfNeeded: index))
        }
    }

    /// A line of the trace (an event or a scenario's fact).
    func line(_ text: String, isEvent: Bool) {
        state.withLock { state in
            let text = Self.normalised(text, &state)
            for byte in text.utf8 { Self.mix(&state.digest, UInt64(byte)) }
            Self.mix(&state.digest, 0x0A)
            if isEvent { state.events += 1 } else { state.facts += 1 }
            state.tail.append(text)
            if state.tail.count > Self.tailLength { state.tail.removeFirst() }
        }
    }

    /// `text` with every pid in it, as it prints (`<0.42.0>`), replaced by its run-stable
    /// name (`<p7>`) — and every monitor reference by its own — so that reports compare
    /// equal across replays.
    ///
    /// - Complexity: O(text length).
    func relabel(_ text: String) -> String {
        state.withLock { Self.normalised(text, &$0) }
    }

    /// The run-stable name of `pid`.
    func label(_ pid: PID) -> String {
        state.withLock { "p\(Self.label(pid.serial, &$0))" }
    }

    private static func label(_ serial: UInt64, _ state: inout State) -> Int {
        if let label = state.labels[serial] { return label }
        let label = state.labels.count + 1
        state.labels[serial] = label
        return label
    }

    /// `text` with every pid printed in it (`<0.SERIAL.0>`) named as ``label(_:)`` names
    /// it (`<pN>`), and every monitor reference (`#Ref<0.N>`) named likewise (`#Ref<rN>`);
    /// one not seen before is named here, in order of appearance. Returns `text` itself
    /// when it prints neither.
    ///
    /// - Complexity: O(text length).
    private static func normalised(_ text: String, _ state: inout State) -> String {
        let bytes = Array(text.utf8)
        guard bytes.count >= 5, bytes.contains(UInt8(ascii: "<")) else { return text }
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var index = 0
        var changed = false
        while index < bytes.count {
            if let (serial, end) = number(in: bytes, at: index, between: pidOpen, and: pidClose) {
                result += Array("<p\(label(serial, &state))>".utf8)
                index = end
                changed = true
            } else if let (number, end) = number(in: bytes, at: index, between: refOpen, and: refClose) {
                let label = state.refLabels[number] ?? state.refLabels.count + 1
                state.refLabels[number] = label
                result += Array("#Ref<r\(label)>".utf8)
                index = end
                changed = true
            } else {
                result.append(bytes[index])
                index += 1
            }
        }
        return changed ? String(decoding: result, as: UTF8.self) : text
    }

    private static let pidOpen = Array("<0.".utf8), pidClose = Array(".0>".utf8)
    private static let refOpen = Array("#Ref<0.".utf8), refClose = Array(">".utf8)

    /// The decimal number printed at `start` between `open` and `close` (a pid's serial
    /// in `<0.SERIAL.0>`), and the index just past `close`, if that is printed there.
    private static func number(in bytes: [UInt8], at start: Int, between open: [UInt8], and close: [UInt8]) -> (UInt64, end: Int)? {
        guard start + open.count < bytes.count, bytes[start..<start + open.count].elementsEqual(open) else { return nil }
        var index = start + open.count
        var value: UInt64 = 0
        let digits = index
        while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
            let (times, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowB) = times.addingReportingOverflow(UInt64(bytes[index] - UInt8(ascii: "0")))
            guard !overflowA, !overflowB else { return nil }
            value = sum
            index += 1
        }
        guard index > digits, index + close.count <= bytes.count, bytes[index..<index + close.count].elementsEqual(close) else {
            return nil
        }
        return (value, index + close.count)
    }

    /// A lifecycle event of the runtime.
    func event(_ kind: SupervisionEvent.Kind, at time: Timestamp) {
        if case .restartFailed = kind { state.withLock { $0.restartsFailed += 1 } }
        line(describe(kind, at: time), isEvent: true)
    }

    func describe(_ kind: SupervisionEvent.Kind, at time: Timestamp) -> String {
        let when = "t=\(time.nanoseconds / 1_000_000)ms"
        switch kind {
        case let .started(pid, parent, behaviour):
            return "\(when) started \(label(pid)) by \(parent.map(label) ?? "-") \(behaviour)"
        case let .exited(pid, reason, _):
            return "\(when) exited \(label(pid)) \(reason)"
        case let .restarted(supervisor, childID, old, new, restarts):
            return "\(when) restarted \(label(old)) as \(label(new)) under \(label(supervisor)) id=\(childID ?? "-") #\(restarts)"
        case let .restartFailed(supervisor, childID, reason):
            return "\(when) restart failed under \(label(supervisor)) id=\(childID ?? "-") \(reason)"
        case let .intensityExceeded(supervisor, restarts, maxRestarts, _):
            return "\(when) intensity exceeded \(label(supervisor)) \(restarts)/\(maxRestarts)"
        case let .supervisorShutdown(pid, reason):
            return "\(when) supervisor shutdown \(label(pid)) \(reason)"
        }
    }

    private static func mix(_ digest: inout UInt64, _ value: UInt64) {
        var value = value
        for _ in 0..<8 {
            digest ^= value & 0xFF
            digest = digest &* 0x0000_0100_0000_01B3
            value >>= 8
        }
    }
}
