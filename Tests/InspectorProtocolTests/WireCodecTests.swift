import Foundation
import InspectorProtocol
import Testing

@Suite("The wire protocol: one JSON object per line, versioned, tolerant of what it does not know", .timeLimit(.minutes(1)))
struct WireCodecTests {
    static let requests: [Request] = [
        .hello(ClientHello(client: "pooltui")), .summary, .tree,
        .rows(RowsQuery(pool: "phones", sort: .uptime, filter: "+1-555", focus: .init(ref: 7, position: 40), before: 30, after: 60)),
        .rows(RowsQuery(pool: "p", focus: .init(position: 0))),
        .worker(WorkerQuery(pool: "phones", ref: 9)),
        .describeState(StateQuery(pool: "phones", ref: 9, pid: "<0.99.0>", timeoutMilliseconds: 250)),
        .events(EventsQuery(since: 12, limit: 100)), .subscribe(SubscribeQuery(events: false)),
        .command(CommandRequest(pool: "phones", .kill(WorkerTarget(ref: 3, pid: "<0.42.0>")))),
        .command(CommandRequest(pool: "phones", .stop(WorkerTarget(ref: 3, pid: "<0.42.0>")))),
        .command(CommandRequest(pool: "phones", .crash(WorkerTarget(ref: 3, pid: "<0.42.0>")))),
        .command(CommandRequest(pool: "rooms", .lookupOrStart(id: "12"))),
        .command(CommandRequest(pool: "phones", .putMeta(key: "owner", value: "ops\n\u{1B}"))),
    ]

    @Test("every request survives the round trip, as one line", arguments: requests)
    func requestRoundTrip(_ request: Request) throws {
        let line = WireCodec.line(RequestEnvelope(id: 41, request))
        #expect(line.last == UInt8(ascii: "\n") && line.dropLast().allSatisfy { $0 != UInt8(ascii: "\n") })
        #expect(try WireCodec.request(Array(line.dropLast())).get() == RequestEnvelope(id: 41, request))
    }

    @Test("a request is flat: its id, its op and its fields side by side; a command's worker id does not collide with the request's")
    func flatShape() throws {
        let line = String(decoding: WireCodec.line(RequestEnvelope(id: 5, .command(CommandRequest(pool: "rooms", .lookupOrStart(id: "12"))))), as: UTF8.self)
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        #expect(object?["id"] as? Int == 5 && object?["op"] as? String == "command" && object?["workerId"] as? String == "12")
    }

    static let messages: [ServerMessage] = [
        .reply(id: 1, .hello(ServerHello(app: "demo", pid: 7, startedAtUnixMilliseconds: 1, now: 2, startedAt: 1, server: "s", readOnly: true,
                                         pools: [PoolDescription(name: "p", kind: .pool, keys: "unique", worker: "W", commands: [.kill], readOnlyReason: "r")]))),
        .reply(id: 2, .summary(SummaryReply(now: 5, pools: [PoolSummary(name: "p", workers: 1, entries: 1, rows: 2, supervisor: "<0.1.0>",
            intensity: WireIntensity(restarts: 1, maxRestarts: 3, periodMilliseconds: 5_000), counters: WireCounters(started: 2, killed: 1),
            meta: [WireMeta(key: "k", value: "v")], startsPerSecond: 1.5, exitsPerSecond: 0, registryClosed: false)], clients: 1, droppedEvents: 0))),
        .reply(id: 3, .rows(RowsReply(pool: "p", sort: .state, filter: "x", total: 9, start: 3, focus: 1, focusFound: false, rows: [
            WireRow(ref: 1, id: "a", pid: "<0.2.0>", value: "", restarts: 2, startedAt: 3, phase: .dead, exit: "killed", exitKind: .killed, since: 4),
            WireRow(ref: 2, id: "b", pid: "<0.3.0>", value: "v", restarts: 0, startedAt: 3, phase: .live, lastExit: "killed", status: "idle", mailbox: 0),
        ], now: 10))),
        .reply(id: 4, .tree(TreeReply(nodes: [WireTreeNode(depth: 0, kind: .supervisor, pid: "<0.1.0>", strategy: "oneForOne")], sampledAt: 3))),
        .reply(id: 5, .events(EventsReply(entries: [WireEvent(seq: 1, time: 2, pool: nil, kind: .escalation, text: "t")], last: 1, missed: 0))),
        .reply(id: 6, .state(StateReply(state: nil, behaviour: "W", micros: 12))),
        .reply(id: 7, .subscribed),
        .reply(id: 8, .command(CommandReply(outcome: "done", pid: nil))),
        .failure(id: 9, ProtocolError(.pidMismatch, "no")),
        .failure(id: nil, ProtocolError(.lineTooLong, "long")),
        .push(.resync(missed: 3, reason: "behind")),
    ]

    @Test("every server message survives the round trip", arguments: messages)
    func messageRoundTrip(_ message: ServerMessage) throws {
        #expect(try WireCodec.serverMessage(Array(WireCodec.line(message).dropLast())) == message)
    }

    @Test("fields, commands, kinds and error codes a newer app adds are ignored or kept, not refused")
    func tolerant() throws {
        let line = #"{"re":1,"op":"hello","ok":{"protocol":1,"app":"a","pid":1,"startedAtUnixMs":0,"now":0,"startedAt":0,"server":"s","readOnly":false,"shiny":true,"pools":[{"name":"p","kind":"pool","keys":"unique","commands":["kill","teleport"],"extra":1}]}}"#
        guard case .reply(_, .hello(let hello)) = try WireCodec.serverMessage(Array(line.utf8)) else { Issue.record("not a hello"); return }
        #expect(hello.pools[0].commands == [.kill], "an unknown command is left out")
        let error = #"{"re":2,"error":{"code":"quota_exceeded","message":"m"}}"#
        guard case .failure(_, let failure) = try WireCodec.serverMessage(Array(error.utf8)) else { return }
        #expect(failure.code.rawValue == "quota_exceeded")
        let event = #"{"push":"events","events":{"entries":[{"seq":1,"time":0,"kind":"supernova","text":"t"}],"last":1,"missed":0}}"#
        guard case .push(.events(let events)) = try WireCodec.serverMessage(Array(event.utf8)) else { return }
        #expect(events.entries[0].kind == .info)
    }
}

@Suite("Lines: split at newlines, bounded", .timeLimit(.minutes(1)))
struct LineFramerTests {
    func frames(_ chunks: [String], max: Int = 16) -> [LineFramer.Frame] {
        var framer = LineFramer(maxLineBytes: max)
        var out: [LineFramer.Frame] = []
        for chunk in chunks { framer.append(Array(chunk.utf8)) { out.append($0) } }
        return out
    }

    @Test("lines split across chunks, CRLF endings and empty lines")
    func splitting() {
        #expect(frames(["ab", "c\nde", "f\r\n\n\ng", "h\n"]) == [.line(Array("abc".utf8)), .line(Array("def".utf8)), .line(Array("gh".utf8))])
        #expect(frames(["no newline yet"]).isEmpty)
    }

    @Test("a line over the limit is reported once, with its length, and skipped; the next one is intact; nothing past the limit is held")
    func overlong() {
        var framer = LineFramer(maxLineBytes: 8)
        var out: [LineFramer.Frame] = []
        for _ in 0..<1_000 { framer.append(Array("xxxxxxxxxx".utf8)) { out.append($0) } }
        #expect(framer.buffered == 0 && out.isEmpty)
        framer.append(Array("\nok\n".utf8)) { out.append($0) }
        #expect(out == [.tooLong(bytes: 10_000), .line(Array("ok".utf8))])
        #expect(frames(["12345678\n"], max: 8) == [.line(Array("12345678".utf8))], "exactly the limit is fine")
    }

    @Test("random bytes in random chunks: every frame is a line without a newline, or a report; no frame is lost", arguments: [1, 2, 3])
    func randomChunks(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        var bytes: [UInt8] = []
        for _ in 0..<20_000 { bytes.append(UInt8.random(in: 0...255, using: &random)) }
        let expected = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast().count
        var framer = LineFramer(maxLineBytes: 64)
        var out: [LineFramer.Frame] = []
        var rest = bytes[...]
        while !rest.isEmpty {
            let take = min(rest.count, Int.random(in: 1...100, using: &random))
            framer.append(Array(rest.prefix(take))) { out.append($0) }
            rest = rest.dropFirst(take)
        }
        let empty = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast()
            .filter { $0.isEmpty || $0 == [UInt8(ascii: "\r")] }.count
        #expect(out.count == expected - empty)
        for frame in out {
            if case .line(let line) = frame { #expect(!line.contains(UInt8(ascii: "\n")) && line.count <= 64) }
        }
    }
}

/// A small seedable generator for tests (SplitMix64).
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
