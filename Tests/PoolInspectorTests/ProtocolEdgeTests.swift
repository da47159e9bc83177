import InspectorProtocol
@testable import PoolInspector
import Supervision
import Testing
import TestSupport

/// Every field of every op at its edges: each line gets an answer or an error, never a
/// trap, never a wait past the op's own timeout (the suite's time limit is the guard),
/// and the app keeps serving and keeps its workers.
@Suite("Protocol edges: every numeric field at its extremes, every string at its worst", .timeLimit(.minutes(Slowdown.scaled(2))))
struct ProtocolEdgeTests {
    /// JSON numbers at and past the edges of Int64 and UInt64, as a hostile client writes them.
    static let numbers = [
        "0", "-1", "1", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
        "18446744073709551615", "18446744073709551616", "1e300", "-1e300", "0.5", "1e999",
    ]
    /// Strings a hostile client writes (JSON-escaped): empty, control bytes, escapes, an
    /// invalid or out-of-range pid, and one just under the line limit.
    static let strings = [
        "", #"\u0000\u0001\u001b[31m\n\r\t"#, "<0.-1.0>", "<18446744073709551615.0.0>", "<0.18446744073709551616.0>",
        "workers", #"\ud800"#, String(repeating: "x", count: InspectorWire.maxLineBytes - 4_096),
    ]

    /// One line per op and field, each field in turn at every edge, the others sane.
    static func lines() -> [String] {
        var lines: [String] = []
        func vary(_ template: String, numeric: [String], text: [String]) {
            for field in numeric {
                for value in numbers { lines.append(template.replacingOccurrences(of: "$\(field)", with: value)) }
            }
            for field in text {
                for value in strings { lines.append(template.replacingOccurrences(of: "$\(field)", with: value)) }
            }
        }
        func sane(_ template: String, _ values: [String: String]) -> String {
            values.reduce(template) { $0.replacingOccurrences(of: "$\($1.key)", with: $1.value) }
        }
        let defaults = ["since": "0", "limit": "10", "ref": "2", "position": "0", "before": "1", "after": "5",
                        "timeout": "50", "pool": "workers", "filter": "", "pid": "<0.1.0>", "sort": "key",
                        "workerId": "7", "key": "k", "value": "v", "protocol": "1"]
        let templates: [(String, [String], [String])] = [
            (#"{"id":ID,"op":"events","since":$since,"limit":$limit}"#, ["since", "limit"], []),
            (#"{"id":ID,"op":"rows","pool":"$pool","sort":"$sort","filter":"$filter","focus":{"ref":$ref,"position":$position},"before":$before,"after":$after}"#,
             ["ref", "position", "before", "after"], ["pool", "sort", "filter"]),
            (#"{"id":ID,"op":"worker","pool":"$pool","ref":$ref}"#, ["ref"], ["pool"]),
            (#"{"id":ID,"op":"state","pool":"$pool","ref":$ref,"pid":"$pid","timeoutMs":$timeout}"#, ["ref", "timeout"], ["pool", "pid"]),
            (#"{"id":ID,"op":"command","pool":"$pool","command":"kill","ref":$ref,"pid":"$pid"}"#, ["ref"], ["pool", "pid"]),
            (#"{"id":ID,"op":"command","pool":"$pool","command":"stop","ref":$ref,"pid":"$pid"}"#, ["ref"], ["pid"]),
            (#"{"id":ID,"op":"command","pool":"$pool","command":"lookupOrStart","workerId":"$workerId"}"#, [], ["workerId"]),
            (#"{"id":ID,"op":"command","pool":"$pool","command":"putMeta","key":"$key","value":"$value"}"#, [], ["key", "value"]),
            (#"{"id":ID,"op":"subscribe","events":true}"#, [], []),
            (#"{"id":ID,"op":"hello","protocol":$protocol,"client":"edge"}"#, ["protocol"], []),
        ]
        for (template, numeric, text) in templates {
            // Each varied field keeps its placeholder; the others are filled in.
            for field in numeric + text {
                var others = defaults
                others[field] = nil
                vary(sane(template, others), numeric: numeric.contains(field) ? [field] : [], text: text.contains(field) ? [field] : [])
            }
            if numeric.isEmpty && text.isEmpty { lines.append(template) }
        }
        return lines
    }

    @Test("each op with each field at 0, -1, Int64/UInt64 extremes, huge, fractional; each string empty, near 1 MiB, with control bytes and bad pids: an answer or an error for every line, and the app unharmed")
    func everyFieldAtItsEdge() async throws {
        let app = try await TestApp.start(Talker.self, ids: Array(1...5))
        let client = LineClient(app.inspector)
        _ = try await client.hello()
        let lines = Self.lines()
        #expect(lines.count > 200)
        for (index, template) in lines.enumerated() {
            let id = Int64(index + 1)
            if template.contains(#""op":"hello""#) {
                // A hello is a session's first line (a refused one ends the session): each on a new one.
                let fresh = LineClient(app.inspector)
                await fresh.send(raw: Array(template.replacingOccurrences(of: "ID", with: "\(id)").utf8) + [UInt8(ascii: "\n")])
                if await fresh.answer(to: id) == nil { Issue.record("no answer to \(template.prefix(120))") }
                fresh.close()
                continue
            }
            await client.send(raw: Array(template.replacingOccurrences(of: "ID", with: "\(id)").utf8) + [UInt8(ascii: "\n")])
            // Each line is answered — with its id, or (when its id could not be read) without one.
            if await client.answer(to: id) == nil { Issue.record("no answer to \(template.prefix(120))") }
        }
        // Also the request id itself at every edge.
        for value in Self.numbers {
            await client.send(raw: Array(#"{"id":\#(value),"op":"summary"}"#.utf8) + [UInt8(ascii: "\n")])
            if let id = Int64(value) {
                if await client.answer(to: id) == nil { Issue.record("no answer to id \(value)") }
            } else if await client.answer(to: .min) == nil {
                Issue.record("no answer to id \(value)")
            }
        }
        let before = client.received
        guard case .reply(_, .summary(let summary)) = await client.request(.summary) else {
            Issue.record("the session does not answer after the edges")
            return
        }
        #expect(client.received > before)
        // The kill/stop lines named no live worker as the person saw it (pid <0.1.0>), so
        // every worker still runs; lookupOrStart "7" (the sane default) added one.
        #expect(summary.pools[0].workers == app.pool.count() && (1...5).allSatisfy { app.pool.lookup($0) != nil })
        client.close()
        await app.stop()
    }

    @Test("events since UInt64.max (and every since past the newest entry) is an empty answer, not a trap")
    func eventsSinceTheEnd() {
        let log = EventLog(capacity: 4)
        log.append((1...6).map { EventLog.Entry(time: Timestamp(nanoseconds: UInt64($0)), pool: nil, kind: .info, text: "\($0)") })
        for since: UInt64 in [6, 7, .max - 1, .max] {
            let reply = log.read(since: since, limit: .max)
            #expect(reply.entries.isEmpty && reply.last == 6 && reply.missed == 0)
        }
        let reply = log.read(since: 0, limit: .max)
        #expect(reply.entries.map(\.seq) == [3, 4, 5, 6] && reply.missed == 2)
        #expect(log.read(since: 5, limit: Int.min).entries.isEmpty)
    }
}
