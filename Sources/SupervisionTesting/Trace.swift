import Supervision
import ScalableLocks

/// What a lockstep run did, folded into a digest: every scheduling decision, every
/// lifecycle event of the runtime and every fact a scenario records, with pids named by
/// the order they first appear (`p1`, `p2` …) so that the digest does not depend on what
/// else the OS process has spawned.
final class Trace: Sendable {
    private struct State {
        var digest: UInt64 = 0xCBF2_9CE4_8422_2325
        var labels: [PID: Int] = [:]
        var events = 0
        var facts = 0
        var tail: [String] = []
    }

    private let state = Lock(State())
    /// How many recent lines a failure report shows.
    static let tailLength = 12

    /// The FNV-1a 64 digest of everything recorded so far.
    var digest: UInt64 { state.withLock { $0.digest } }

    var eventCount: Int { state.withLock { $0.events } }
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
            for byte in text.utf8 { Self.mix(&state.digest, UInt64(byte)) }
            Self.mix(&state.digest, 0x0A)
            if isEvent { state.events += 1 } else { state.facts += 1 }
            state.tail.append(text)
            if state.tail.count > Self.tailLength { state.tail.removeFirst() }
        }
    }

    /// `text` with every pid the trace has named, as it prints (`<0.42.0>`), replaced by
    /// its run-stable name (`<p7>`), so that reports compare equal across replays.
    ///
    /// - Complexity: O(named pids × text length); for a report, once per run.
    func relabel(_ text: String) -> String {
        let labels = state.withLock { $0.labels }
        var result = text
        for (pid, label) in labels where result.contains(pid.description) {
            result = result.replacing(pid.description, with: "<p\(label)>")
        }
        return result
    }

    /// The run-stable name of `pid`.
    func label(_ pid: PID) -> String {
        state.withLock { state in
            if let label = state.labels[pid] { return "p\(label)" }
            let label = state.labels.count + 1
            state.labels[pid] = label
            return "p\(label)"
        }
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
