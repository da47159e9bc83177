import Foundation
import InspectorProtocol
@testable import PoolInspector
import Supervision
import Testing
import TestSupport

@Suite("A client session: hello first, clear errors, bounded queues", .timeLimit(.minutes(Slowdown.scaled(3))))
struct SessionTests {
    @Test("nothing but a hello is served before the hello")
    func helloFirst() async throws {
        let app = try await TestApp.start(Talker.self, ids: [1])
        let client = LineClient(app.inspector)
        guard case .failure(_, let error) = await client.request(.summary) else { Issue.record("served before hello"); return }
        #expect(error.code == .helloRequired && error.message.contains("\"op\":\"hello\""))
        _ = try await client.hello()
        guard case .reply = await client.request(.summary) else { Issue.record("not served after hello"); return }
        client.close()
        await app.stop()
    }

    @Test("a client of another protocol version gets a clear error, and the session ends")
    func versionMismatch() async throws {
        let app = try await TestApp.start(Talker.self, ids: [1])
        let client = LineClient(app.inspector)
        guard case .failure(_, let error) = await client.request(.hello(ClientHello(protocolVersion: 2, client: "future"))) else {
            Issue.record("a version-2 client was greeted")
            return
        }
        #expect(error.code == .protocolVersion && error.message.contains("protocol 1") && error.message.contains("speaks 2"))
        await client.send(raw: WireCodec.line(RequestEnvelope(id: 9, .summary)))
        #expect(await client.nextUnsolicited() == nil, "the session is closed: nothing more is answered")
        await app.stop()
    }

    @Test("malformed lines, unknown ops and bad arguments get errors that say what is wrong — with the id when it can be read")
    func clearErrors() async throws {
        let app = try await TestApp.start(Talker.self, ids: [1])
        let client = LineClient(app.inspector)
        _ = try await client.hello()
        let cases: [(line: String, id: Int64?, code: ProtocolError.Code, says: String)] = [
            ("not json at all", nil, .malformed, "not JSON"),
            (#"{"id":5}"#, 5, .malformed, "missing field \"op\""),
            (#"{"id":6,"op":"dance"}"#, 6, .unknownOp, "unknown op \"dance\""),
            (#"{"id":7,"op":"rows"}"#, 7, .malformed, "missing field \"pool\""),
            (#"{"id":8,"op":"rows","pool":"workers","sort":"key","filter":"","focus":{"position":0},"before":"x","after":1}"#, 8, .malformed, "field \"before\""),
            (#"{"id":9,"op":"rows","pool":"nope","sort":"key","filter":"","focus":{"position":0},"before":0,"after":1}"#, 9, .unknownPool, "this app watches: workers"),
            (#"{"id":10,"op":"rows","pool":"workers","sort":"key","filter":"","focus":{"position":0},"before":-1,"after":1}"#, 10, .invalid, "must not be negative"),
            (#"{"id":11,"op":"worker","pool":"workers","ref":12345}"#, 11, .unknownWorker, "no worker #12345"),
            (#"[1,2,3]"#, nil, .malformed, "not a JSON object"),
        ]
        for item in cases {
            await client.send(raw: Array((item.line + "\n").utf8))
            let message: ServerMessage?
            if let id = item.id { message = await client.reply(to: id) } else { message = await client.nextUnsolicited() }
            guard case .failure(let id, let error) = message else {
                Issue.record("\(item.line): \(String(describing: message))")
                continue
            }
            #expect(id == item.id && error.code == item.code && error.message.contains(item.says), "\(item.line) → \(error)")
        }
        guard case .reply = await client.request(.summary) else { Issue.record("the session did not survive bad input"); return }
        #expect(app.pool.count() == 1)
        client.close()
        await app.stop()
    }

    @Test("random and mutated byte streams never crash the decoder or the handler; every line is answered or refused; the app keeps every worker",
          arguments: [1, 2, 3])
    func fuzz(seed: UInt64) async throws {
        let app = try await TestApp.start(Talker.self, ids: Array(1...20), commands: .none)
        let client = LineClient(app.inspector)
        _ = try await client.hello()
        var random = SplitMix64(seed: seed)
        let valid: [Request] = [
            .summary, .tree, .events(EventsQuery(since: 3, limit: 7)),
            .rows(RowsQuery(pool: "workers", sort: .uptime, filter: "1", focus: .init(ref: 3, position: 2), before: 3, after: 4)),
            .worker(WorkerQuery(pool: "workers", ref: 2)),
            .command(CommandRequest(pool: "workers", .kill(WorkerTarget(ref: 1, pid: "<0.1.0>")))),
        ]
        var sent = 0
        let before = client.received
        for round in 0..<300 {
            var bytes: [UInt8]
            if round % 3 == 0 {
                bytes = (0..<Int.random(in: 0..<200, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            } else {
                bytes = Array(WireCodec.line(RequestEnvelope(id: Int64(round), valid.randomElement(using: &random)!)).dropLast())
                for _ in 0..<Int.random(in: 1...4, using: &random) where !bytes.isEmpty {
                    let at = Int.random(in: 0..<bytes.count, using: &random)
                    switch Int.random(in: 0..<3, using: &random) {
                    case 0: bytes[at] = UInt8.random(in: 0...255, using: &random)
                    case 1: bytes.remove(at: at)
                    default: bytes.insert(UInt8.random(in: 0...255, using: &random), at: at)
                    }
                }
            }
            bytes.removeAll { $0 == UInt8(ascii: "\n") }
            bytes.append(UInt8(ascii: "\n"))
            await client.send(raw: bytes)
            var line = bytes.dropLast()
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            if !line.isEmpty { sent += 1 }
        }
        // Every line got one answer (a reply or an error), and the session still serves.
        await client.waitUntilReceived(before + sent)
        #expect(client.received == before + sent)
        guard case .reply(_, .summary(let summary)) = await client.request(.summary) else {
            Issue.record("the session does not answer after fuzzing")
            return
        }
        #expect(summary.pools[0].workers == 20 && app.pool.count() == 20, "read-only: no command got through, no worker was lost")
        client.close()
        await app.stop()
    }

    @Test("a line over 1 MiB is refused and skipped; the next line is served")
    func longLine() async throws {
        let app = try await TestApp.start(Talker.self, ids: [1])
        let client = LineClient(app.inspector)
        _ = try await client.hello()
        var huge = Array(#"{"id":1,"op":"summary","pad":""#.utf8)
        huge += [UInt8](repeating: UInt8(ascii: "a"), count: InspectorWire.maxLineBytes + 10)
        huge += Array("\"}\n".utf8)
        await client.send(raw: huge)
        guard case .failure(nil, let error) = await client.nextUnsolicited() else { Issue.record("no error for the long line"); return }
        #expect(error.code == .lineTooLong && error.message.contains("\(huge.count - 1) bytes"))
        guard case .reply = await client.request(.summary) else { Issue.record("not served after a long line"); return }
        client.close()
        await app.stop()
    }

    @Test("a client that falls behind loses pushes, never blocks the app, and is told to resync with the number it missed")
    func outboxBound() async {
        let outbox = SessionOutbox(replyLimit: 100, pushLimit: 64)
        let push = [UInt8](repeating: 1, count: 30)
        #expect(outbox.push(push) && outbox.push(push))
        #expect(!outbox.push(push), "past the bound")
        #expect(!outbox.push(push), "and until the client catches up")
        outbox.reply([2, 2])
        #expect(outbox.queuedBytes.pushes == 0, "queued pushes are dropped with it")
        let resync = await outbox.next()
        guard case .push(.resync(let missed, let reason)) = try? WireCodec.serverMessage(Array(resync!.dropLast())) else {
            Issue.record("no resync notice")
            return
        }
        #expect(missed == 4 && reason.contains("fell behind"))
        #expect(await outbox.next() == [2, 2], "replies are never dropped")
        #expect(outbox.push(push), "pushes resume once the notice has gone out")
        outbox.close()
        #expect(await outbox.next() == push)
        #expect(await outbox.next() == nil)
    }

    @Test("a session whose replies are not read stops being read once its reply bound is reached")
    func replyBound() async {
        let outbox = SessionOutbox(replyLimit: 10, pushLimit: 10)
        outbox.reply([UInt8](repeating: 0, count: 12))
        let reader = Task { await outbox.waitForRoom() }
        // The reader waits until the writer takes the reply out.
        #expect(await outbox.next()?.count == 12)
        await reader.value
        #expect(outbox.queuedBytes.replies == 0)
    }
}
