@testable import EtcdClient
import Foundation
import Testing

/// What a member (or something posing as one) may send, read without a connection: an
/// answer or an error for every reply, never a trap (the `fuzz-etcd` target runs the same
/// reader on millions of inputs; these are the edges it must keep).
@Suite("etcd responses at their edges")
struct HostileResponseTests {
    @Test("a watch event at revision Int64.max ends the watch with an error instead of overflowing the next revision")
    func watchRevisionAtTheEnd() {
        let line = Array(#"{"result":{"events":[{"kv":{"key":"YQ==","mod_revision":"9223372036854775807"}}]}}"#.utf8)
        guard case .lost(let error) = WatchLine.read(line, endpoint: "m") else {
            Issue.record("a revision past which no watch can resume was accepted")
            return
        }
        #expect(error.code == .malformed && error.message.contains("9223372036854775807"))
        let fine = Array(#"{"result":{"events":[{"kv":{"key":"YQ==","mod_revision":"9223372036854775806"}}]}}"#.utf8)
        guard case .events(let events, let last) = WatchLine.read(fine, endpoint: "m") else {
            Issue.record("a valid event was refused")
            return
        }
        #expect(events.count == 1 && last == .max - 1)
    }

    @Test("integers and base64 at their worst, and lines that are not JSON, read without a trap", arguments: [
        #"{"kvs":[{"key":"!!!","value":"@@@"}]}"#,
        #"{"kvs":[{"key":"YQ==","create_revision":"-9223372036854775808","mod_revision":"99999999999999999999","lease":"x"}]}"#,
        #"{"header":{"revision":"-1"},"succeeded":false,"responses":[{"response_range":{"kvs":[]}}]}"#,
        #"{"result":{"canceled":true,"compact_revision":"-5"}}"#,
        #"{"result":{"TTL":"9223372036854775807"}}"#,
        #"{"ID":1e400,"TTL":-0.5}"#,
        "\u{0}\u{FF}not json\n{\"result\":{\"created\":true}}\n",
    ])
    func hostileReplies(_ text: String) {
        EtcdResponseReader.readEveryWay(Array(text.utf8))
    }

    @Test("every seed of the fuzz corpus reads as at least one response")
    func corpusSeeds() throws {
        let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Fuzz/corpus/etcd")
        let files = try FileManager.default.contentsOfDirectory(atPath: corpus.path)
        #expect(files.count >= 5)
        for file in files {
            let bytes = FileManager.default.contents(atPath: corpus.appendingPathComponent(file).path) ?? Data()
            #expect(EtcdResponseReader.readEveryWay(Array(bytes)) > 0, "the seed \(file) reads as a response")
        }
    }
}
