import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Supervision
import Testing
import TestSupport

/// The thread a piece of code runs on, comparable.
func currentThread() -> UInt {
    #if canImport(Glibc)
    pthread_self()
    #else
    UInt(bitPattern: pthread_self())
    #endif
}

@Suite("SingleThreadExecutor: one thread, in order, nothing lost after shutdown")
struct SingleThreadExecutorTests {
    @Test("tasks that prefer it run on its one thread, across suspensions")
    func oneThread() async {
        let executor = SingleThreadExecutor("a test's executor")
        defer { executor.shutdown() }
        let threads = await withTaskGroup(of: [UInt].self) { group in
            for _ in 0..<8 {
                group.addTask(executorPreference: executor) {
                    let before = currentThread()
                    await Task.yield()
                    return [before, currentThread()]
                }
            }
            var seen = Set<UInt>()
            for await pair in group { seen.formUnion(pair) }
            return seen
        }
        #expect(threads.count == 1)
        #expect(!threads.contains(currentThread()))
    }

    @Test("jobs run in the order they were enqueued")
    func inOrder() async {
        let executor = SingleThreadExecutor("a test's executor")
        defer { executor.shutdown() }
        let order = Recorder<Int>()
        let tasks = (0..<100).map { index in
            Task(executorPreference: executor) { order.record(index) }
        }
        for task in tasks { await task.value }
        #expect(order.all == Array(0..<100))
    }

    @Test("a task still waiting when its executor shuts down finishes", .timeLimit(.minutes(Slowdown.scaled(1))))
    func outlivesShutdown() async {
        let executor = SingleThreadExecutor("a test's executor")
        let (started, markStarted) = AsyncStream<Void>.makeStream()
        let (gate, open) = AsyncStream<Void>.makeStream()
        let task = Task(executorPreference: executor) {
            markStarted.yield()
            for await _ in gate {}
            return true
        }
        for await _ in started { break }
        executor.shutdown()
        open.finish()
        #expect(await task.value)
    }

    @Test("a task begun after shutdown runs on the global executor", .timeLimit(.minutes(Slowdown.scaled(1))))
    func startedAfterShutdown() async {
        let executor = SingleThreadExecutor("a test's executor")
        // Foundation's object for the executor's thread, kept alive here: a later thread
        // can reuse an ended thread's pthread_t, never a live object's identity.
        let executorThread = await Task(executorPreference: executor) { ThreadBox.current() }.value
        executor.shutdown()
        let laterThread = await Task(executorPreference: executor) { ThreadBox.current() }.value
        #expect(laterThread.thread !== executorThread.thread)
    }
}

/// A thread's Foundation object, carried out of the task that ran on it.
private struct ThreadBox: @unchecked Sendable {
    // @unchecked: only its identity is compared, never its state.
    let thread: Thread
    /// The calling thread's (from synchronous code: async code may not ask).
    static func current() -> ThreadBox { ThreadBox(thread: Thread.current) }
}
