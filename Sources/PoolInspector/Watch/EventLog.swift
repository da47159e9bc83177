import DequeModule
import InspectorProtocol
import Supervision
import ScalableLocks

/// The app's event log as clients read it: entries numbered 1, 2, 3 … in the order they
/// were added, the newest ``capacity`` kept.
///
/// - Complexity: appending O(1); reading `since` a sequence number O(log n + entries read).
final class EventLog: Sendable {
    struct Entry: Sendable {
        var time: Timestamp
        var pool: String?
        var kind: WireEvent.Kind
        var text: String
    }

    private struct State {
        var entries = Deque<WireEvent>()
        var last: UInt64 = 0
    }

    let capacity: Int
    private let state = Lock(State())

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    /// Appends entries in order and returns them as numbered.
    @discardableResult
    func append(_ entries: [Entry]) -> [WireEvent] {
        guard !entries.isEmpty else { return [] }
        return state.withLock { state in
            var added: [WireEvent] = []
            added.reserveCapacity(entries.count)
            for entry in entries {
                state.last += 1
                let event = WireEvent(seq: state.last, time: Int64(clamping: entry.time.nanoseconds), pool: entry.pool,
                                      kind: entry.kind, text: entry.text)
                state.entries.append(event)
                added.append(event)
            }
            if state.entries.count > capacity { state.entries.removeFirst(state.entries.count - capacity) }
            return added
        }
    }

    /// The last sequence number given out.
    var last: UInt64 { state.withLock { $0.last } }

    /// Entries after `since`, oldest first, at most `limit` (the newest of them), and how
    /// many after `since` are no longer kept or were left out by the limit. Any `since`
    /// and `limit` a client sends are answered: one at or past the newest entry (up to
    /// `UInt64.max`) gets none, a negative limit none.
    func read(since: UInt64, limit: Int) -> EventsReply {
        state.withLock { state in
            // Nothing after `since`: also keeps `since + 1` below from overflowing.
            guard since < state.last else { return EventsReply(entries: [], last: state.last, missed: 0) }
            let first = state.entries.first?.seq ?? state.last + 1
            let wanted = state.last > since ? state.last - since : 0
            // Entries kept after `since`: those with seq > max(since, first - 1).
            let from = max(since + 1, first)
            let available = state.last >= from ? Int(state.last - from + 1) : 0
            let take = min(available, max(0, limit))
            let offset = state.entries.count - take
            let entries = Array(state.entries[offset...])
            return EventsReply(entries: entries, last: state.last, missed: wanted - UInt64(take))
        }
    }
}
