import Supervision

/// Runs `body` on `count` OS threads of their own at once, each given its index, and
/// returns once all have finished; the caller suspends meanwhile, holding no thread.
///
/// The lock tests block (semaphores) and spin, so they never do either on Swift's
/// cooperative pool: on Linux its threads are Dispatch's global-queue threads, as many as
/// there are cores, and a test blocked there made every other test in the process wait —
/// under ThreadSanitizer on two cores, 6 s in which nothing finished and calls in
/// unrelated suites timed out.
func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) async {
    await OSThread.run("a lock test") {
        let threads = (0..<count).map { index in OSThread.start("a lock test's thread \(index)") { body(index) } }
        for thread in threads { thread.join() }
    }
}
