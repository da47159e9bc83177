import Supervision

/// Runs a lockstep driver on a thread of its own, so that an `async` caller suspends
/// instead of holding one of Swift's few cooperative threads for the whole run (a test
/// run of many seeds would otherwise starve every other test of the process).
package enum DriverThread {
    /// Runs `body` on a new thread and returns its result.
    package static func run<Result: Sendable>(_ body: @escaping @Sendable () -> Result) async -> Result {
        await OSThread.run("the lockstep driver thread", body)
    }
}
