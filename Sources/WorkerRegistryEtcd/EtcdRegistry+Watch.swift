import EtcdClient
import ScalableLocks

extension EtcdRegistry {
    /// Keeps the view of other nodes' names current, from `revision` on; after a
    /// compaction, reads everything again and watches from there.
    func watch(from revision: Int64) async {
        var next = revision
        while !Task.isCancelled {
            for await update in client.watch(prefix: prefix, from: next) {
                switch update {
                case .events(let events, let revision):
                    apply(events)
                    next = revision + 1
                case .compacted:
                    guard let (known, revision) = try? await client.range(prefix: prefix) else { break }
                    state.withLock { $0.remote = [:] }
                    apply(known.map { EtcdWatchEvent(kind: .put, keyValue: $0) })
                    next = revision + 1
                case .watching, .interrupted:
                    continue
                }
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Applies changes to the view of other nodes' names (this node's own are in its
    /// claim table). A change older than what the view holds (a holder learned from a
    /// lost claim, ahead of the watch) is skipped.
    ///
    /// A key under this node's name but another lease is an earlier incarnation's — the
    /// node restarted within the TTL, or held a lease before it fenced itself: its
    /// worker is gone, but the name is held until that lease expires. It is in the view
    /// as held by that incarnation (``Event/viewChanged(_:holder:)`` when it is seen, and
    /// when its lease expires and the name is free).
    func apply(_ events: [EtcdWatchEvent]) {
        let changes = state.withLock { state -> [Event] in
            var changes: [Event] = []
            for event in events {
                guard event.keyValue.key.hasPrefix(prefix) else { continue }
                let name = String(event.keyValue.key.dropFirst(prefix.count))
                switch event.kind {
                case .put:
                    let holder = ClusterNode(decoding: event.keyValue.value)
                    if holder.name == node.name, event.keyValue.lease == state.phase.lease { continue }
                    // A holder learned from a claim may be newer than what the watch brings.
                    if let known = state.remote[name], known.token > event.keyValue.createRevision { continue }
                    state.remote[name] = (holder, event.keyValue.createRevision)
                    changes.append(.viewChanged(name, holder: holder))
                case .delete:
                    guard let known = state.remote[name], known.token <= event.keyValue.modRevision else { continue }
                    state.remote[name] = nil
                    changes.append(.viewChanged(name, holder: nil))
                }
            }
            return changes
        }
        for change in changes { onEvent(change) }
    }
}
