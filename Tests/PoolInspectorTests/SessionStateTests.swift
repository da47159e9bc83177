@testable import PoolInspector
import Testing
import TestSupport

@Suite("A session's states: hello first, then served, until it closes", .timeLimit(.minutes(Slowdown.scaled(1))))
struct SessionStateTests {
    @Test("waiting for the hello, only a hello is served; anything else is told to say hello first")
    func awaitingHello() {
        let state = SessionState.awaitingHello
        #expect(state.admit(op: "hello") == .serve)
        for op in ["summary", "rows", "command", "subscribe", "nonsense"] { #expect(state.admit(op: op) == .helloFirst) }
    }

    @Test("an accepted hello makes it ready; a refused one closes it; a second hello changes nothing")
    func hello() {
        #expect(SessionState.awaitingHello.afterHello(accepted: true, client: "c") == .ready(client: "c"))
        #expect(SessionState.awaitingHello.afterHello(accepted: false, client: "c") == .closing)
        #expect(SessionState.ready(client: "c").afterHello(accepted: true, client: "d") == .ready(client: "c"))
        #expect(SessionState.ready(client: "c").afterHello(accepted: false, client: "d") == .ready(client: "c"))
        #expect(SessionState.closing.afterHello(accepted: true, client: "d") == .closing)
    }

    @Test("ready, everything is served; closing, nothing is")
    func readyAndClosing() {
        for op in ["hello", "summary", "rows", "command"] {
            #expect(SessionState.ready(client: "c").admit(op: op) == .serve)
            #expect(SessionState.closing.admit(op: op) == .ignore)
        }
    }
}
