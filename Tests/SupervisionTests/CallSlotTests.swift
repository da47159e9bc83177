import Synchronization
import Testing
@testable import Supervision
import TestSupport

/// The call slot's state machine (``CallSlotState``), driven directly: the caller and the
/// settlers meet in either order, exactly one settle wins, and the outcome reaches the
/// caller once.
@Suite("CallSlot: the state machine a call waits on", .timeLimit(.minutes(Slowdown.scaled(1))))
struct CallSlotTests {
    private func slot() -> ReplySlot<Int> { ReplySlot<Int>(caller: nil, timeout: .infinity) }
    private func phase(_ slot: ReplySlot<Int>) -> CallSlotState { slot.state.load(ordering: .acquiring) }

    @Test("a new slot is open and not settled")
    func opens() {
        let slot = slot()
        #expect(phase(slot) == .open)
        #expect(!slot.isSettled)
        #expect(slot.take() == nil)
    }

    @Test("settled before the caller waits: the outcome is stored, and the caller takes it without suspending")
    func settleFirst() async {
        let slot = slot()
        #expect(slot.settle(.success(7)))
        #expect(phase(slot) == .stored)
        #expect(slot.isSettled)
        #expect(slot.take() == .success(7))
        #expect(phase(slot) == .done)
        #expect(slot.take() == nil, "the outcome is taken once")
    }

    @Test("settled before the caller waits: wait returns the stored outcome at once")
    func waitAfterSettle() async {
        let slot = slot()
        slot.settle(.failure(.timeout(.infinity)))
        #expect(await slot.wait() == .failure(.timeout(.infinity)))
        #expect(phase(slot) == .done)
    }

    @Test("the caller waits first: the slot is armed, and the settle resumes the caller")
    func waitFirst() async {
        let slot = slot()
        let caller = Task { await slot.wait() }
        // Wait for the event "the caller armed the slot", not for time to pass.
        while phase(slot) != .armed { await Task.yield() }
        #expect(!slot.isSettled)
        #expect(slot.settle(.success(42)))
        #expect(await caller.value == .success(42))
        #expect(phase(slot) == .done)
    }

    @Test("exactly one settle wins: later replies, timeouts and failures do nothing")
    func oneWinner() async {
        let slot = slot()
        #expect(slot.settle(.success(1)))
        #expect(!slot.settle(.success(2)))
        slot.fail(.cancelled)
        slot.fire()
        #expect(await slot.wait() == .success(1))
    }

    @Test("settlers racing on many threads: one wins, and the waiting caller gets its outcome", arguments: [false, true])
    func racingSettlers(callerWaitsFirst: Bool) async {
        // Fewer rounds under a sanitizer: each waits for a task to be scheduled, and the
        // sanitizer's slowdown falls on every one of them.
        for _ in 0..<(200 / Slowdown.factor) {
            let slot = slot()
            let caller: Task<Result<Int, CallError>, Never>? = callerWaitsFirst ? Task { await slot.wait() } : nil
            if callerWaitsFirst {
                while phase(slot) != .armed { await Task.yield() }
            }
            let winners = await withTaskGroup(of: Int?.self) { group in
                for value in 0..<8 { group.addTask { slot.settle(.success(value)) ? value : nil } }
                var winners: [Int] = []
                for await winner in group { if let winner { winners.append(winner) } }
                return winners
            }
            #expect(winners.count == 1)
            let outcome = if let caller { await caller.value } else { await slot.wait() }
            #expect(outcome == .success(winners[0]))
        }
    }
}
