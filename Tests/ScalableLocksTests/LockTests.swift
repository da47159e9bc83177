import Testing
@testable import ScalableLocks

/// The project's one lock: a `Mutex` whose critical sections ThreadSanitizer can see.
/// Threads here are OS threads of their own (``onThreads(_:_:)``), and the test waits for
/// them to finish (an event), never for time to pass.
@Suite("Lock: one holder at a time, seen by ThreadSanitizer", .timeLimit(.minutes(1)))
struct LockTests {
    @Test("increments from four threads, each read-modify-write under the lock, are all counted")
    func criticalSectionsDoNotOverlap() async {
        let lock = Lock<(value: Int, inside: Int, overlaps: Int)>((0, 0, 0))
        await onThreads(4) { _ in
            for _ in 0..<20_000 {
                lock.withLock { state in
                    state.inside += 1
                    if state.inside != 1 { state.overlaps += 1 }
                    state.value += 1
                    state.inside -= 1
                }
            }
        }
        let final = lock.withLock { $0 }
        #expect(final.value == 80_000)
        #expect(final.overlaps == 0)
    }

    @Test("what the body throws is rethrown, and the lock is free again")
    func throwsAndUnlocks() {
        struct Refused: Error, Equatable {}
        let lock = Lock(0)
        #expect(throws: Refused()) {
            try lock.withLock { (value: inout Int) throws(Refused) -> Void in
                value = 1
                throw Refused()
            }
        }
        #expect(lock.withLock { $0 } == 1)
    }

    @Test("a non-copyable value can be held and taken out")
    func holdsNonCopyable() {
        struct Token: ~Copyable { var id: Int }
        let lock = Lock<Token?>(Token(id: 7))
        let taken = lock.withLock { token -> Int? in
            let id = token?.id
            token = nil
            return id
        }
        #expect(taken == 7)
        #expect(lock.withLock { $0 == nil })
    }
}
