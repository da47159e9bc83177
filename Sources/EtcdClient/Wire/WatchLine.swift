/// One line of the gateway's `/v3/watch` stream, read: what the watch does next. A
/// value, so that what a member (or something posing as one) sends is checked without a
/// connection (`EtcdClientTests`, the `fuzz-etcd` target).
enum WatchLine {
    /// Nothing to deliver: a progress notice, or events with no readable key.
    case nothing
    /// The watch is in place.
    case watching
    /// Changes, and the highest revision among them (below `Int64.max`, so that the
    /// revision after it exists).
    case events([EtcdWatchEvent], last: Int64)
    /// etcd compacted its history past the revision asked for.
    case compacted(Int64)
    /// The member failed the watch, or sent what is not a watch line.
    case lost(EtcdError)

    /// Reads one line (without its newline) from `endpoint`.
    static func read(_ line: [UInt8], endpoint: String) -> WatchLine {
        let parsed: WatchResponseLine
        do throws(EtcdError) {
            parsed = try GatewayJSON.decode(WatchResponseLine.self, from: line, what: "/v3/watch")
        } catch {
            return .lost(error)
        }
        if let failure = parsed.error {
            return .lost(EtcdError(.http, "/v3/watch: \(failure.message ?? "an error")"))
        }
        guard let result = parsed.result else { return .nothing }
        if result.canceled == true {
            if let compacted = result.compact_revision?.value, compacted > 0 { return .compacted(compacted) }
            return .lost(EtcdError(.unavailable, "\(endpoint) cancelled the watch: \(result.cancel_reason ?? "no reason")"))
        }
        if result.created == true { return .watching }
        guard let wireEvents = result.events, !wireEvents.isEmpty else { return .nothing }
        // Resume after the last event delivered, not the header's revision: a watch
        // catching up gets its history in batches, each headed with the current revision.
        var events: [EtcdWatchEvent] = []
        var last: Int64 = 0
        for wire in wireEvents {
            guard let keyValue = try? wire.kv?.model() else { continue }
            events.append(EtcdWatchEvent(kind: wire.type == "DELETE" ? .delete : .put, keyValue: keyValue))
            last = max(last, keyValue.modRevision)
        }
        guard last > 0 else { return .nothing }
        guard last < .max else {
            return .lost(EtcdError(.malformed, "/v3/watch: a revision of \(last), past which no watch can resume"))
        }
        return .events(events, last: last)
    }
}

/// Every reader of what etcd sends, run on the same bytes: each response type the client
/// decodes with what it then makes of it, and each line as a watch line. For the fuzzer
/// (`fuzz-etcd`): whatever the bytes, this returns; it never traps.
package enum EtcdResponseReader {
    /// Reads `bytes` every way the client would. Returns how many readings succeeded.
    @discardableResult
    package static func readEveryWay(_ bytes: [UInt8]) -> Int {
        var read = 0
        func attempt<T: Decodable>(_ type: T.Type, _ then: (T) throws(EtcdError) -> Void = { _ in }) {
            guard let value = try? GatewayJSON.decode(type, from: bytes, what: "fuzz") else { return }
            do throws(EtcdError) { try then(value); read += 1 } catch {}
        }
        attempt(LeaseGrantResponse.self) { _ = ($0.ID?.value, $0.TTL?.value) }
        attempt(LeaseKeepAliveResponse.self) { _ = $0.result?.TTL?.value }
        attempt(RangeResponse.self) { reply throws(EtcdError) in
            for wire in reply.kvs ?? [] { _ = try wire.model() }
        }
        attempt(TxnResponse.self) { reply throws(EtcdError) in
            _ = try reply.responses?.first?.response_range?.kvs?.first?.model()
        }
        attempt(GatewayFailure.self)
        attempt(ResponseHeaderOnly.self)
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            if case .events = WatchLine.read(Array(line), endpoint: "fuzz") { read += 1 }
        }
        return read
    }
}
