import Dispatch
import Synchronization
import Testing
@testable import ScalableLocks

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The lock under every registry lookup and every pid lookup: readers share it, a writer
/// has it alone, and a writer waits for the readers already inside. Threads here are OS
/// threads of their own (``onThreads(_:_:)``), coordinated by semaphores (events), never
/// by waiting for time to pass.
@Suite("ReadMostlyLock: shared readers, one writer", .timeLimit(.minutes(1)))
struct ReadMostlyLockTests {
    /// A value a writer changes in two steps; a reader that ever sees the steps apart was
    /// let in during a write.
    private final class Pair: @unchecked Sendable {
        // @unchecked: the point of the test; `first` and `second` are guarded by the lock
        // under test, and a broken lock is what the test reports.
        var first = 0
        var second = 0
    }

    /// Flags and counters the threads of a test share.
    private final class Shared: Sendable {
        let flag = Atomic<Bool>(false)
        let torn = Atomic<Int>(0)
        let reads = Atomic<Int>(0)
        let wroteEarly = Atomic<Bool>(false)
    }

    @Test("two readers are inside at once")
    func readersShare() async {
        let lock = ReadMostlyLock()
        let firstInside = DispatchSemaphore(value: 0)
        let secondInside = DispatchSemaphore(value: 0)
        await onThreads(2) { index in
            if index == 0 {
                lock.withReadLock {
                    firstInside.signal()
                    secondInside.wait() // Only returns if the second reader got in meanwhile.
                }
            } else {
                firstInside.wait()
                lock.withReadLock { _ = secondInside.signal() }
            }
        }
    }

    @Test("a writer waits until the readers inside have left")
    func writerWaitsForReaders() async {
        let lock = ReadMostlyLock()
        let readerInside = DispatchSemaphore(value: 0)
        let shared = Shared()
        await onThreads(2) { index in
            if index == 0 {
                lock.withReadLock {
                    readerInside.signal()
                    // The writer has announced itself and is waiting for this reader (an
                    // event the lock exposes), and has not written.
                    while !lock.writerActive.load(ordering: .sequentiallyConsistent) { sched_yield() }
                    shared.wroteEarly.store(shared.flag.load(ordering: .relaxed), ordering: .relaxed)
                }
            } else {
                readerInside.wait()
                lock.withWriteLock { shared.flag.store(true, ordering: .relaxed) }
            }
        }
        let wroteEarly = shared.wroteEarly.load(ordering: .relaxed)
        let wroteAfter = shared.flag.load(ordering: .relaxed)
        let writerStillActive = lock.writerActive.load(ordering: .relaxed)
        #expect(!wroteEarly)
        #expect(wroteAfter)
        #expect(!writerStillActive)
    }

    @Test("readers never see a write half done, on every stripe, with writers and readers on all CPUs")
    func exclusion() async {
        let lock = ReadMostlyLock()
        let pair = Pair()
        let writes = 20_000
        let shared = Shared()
        await onThreads(4) { index in
            if index == 0 {
                for value in 1...writes {
                    lock.withWriteLock {
                        pair.first = value
                        pair.second = value
                    }
                }
                shared.flag.store(true, ordering: .releasing)
            } else {
                // Read until the writer is done, and at least a few thousand times.
                var reads = 0
                while !shared.flag.load(ordering: .acquiring) || reads < 5_000 {
                    let torn = lock.withReadLock { pair.first != pair.second }
                    if torn { shared.torn.wrappingAdd(1, ordering: .relaxed) }
                    reads += 1
                }
                shared.reads.wrappingAdd(reads, ordering: .relaxed)
            }
        }
        let torn = shared.torn.load(ordering: .relaxed)
        let reads = shared.reads.load(ordering: .relaxed)
        #expect(torn == 0)
        #expect(reads >= 15_000)
        #expect(lock.withReadLock { pair.first == writes && pair.second == writes })
    }

    @Test("every read lock taken and released leaves the lock free for a writer")
    func balanced() {
        let lock = ReadMostlyLock()
        for _ in 0..<10_000 {
            let stripe = lock.readLock()
            #expect(stripe >= 0 && stripe <= lock.mask)
            lock.readUnlock(stripe)
        }
        for stripe in 0...lock.mask {
            let readers = lock.stripes[stripe].readers.load(ordering: .relaxed)
            #expect(readers == 0)
        }
        #expect(lock.withWriteLock { 42 } == 42)
    }
}
