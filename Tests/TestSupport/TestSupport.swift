import Dispatch
import Logging
import Supervision
import ScalableLocks

// What the test targets share (as swift-collections' test kit is shared): a quiet
// runtime, a one-shot latch, a recorder, a test error, a log capture, and waits on
// events. Package access: for this package's tests only.

/// A runtime whose crash reports are silenced (tests crash processes on purpose).
package func quietRuntime(clock: any SupervisionClock = SystemClock.shared, label: String = "test") -> Runtime {
    Runtime(clock: clock, logger: Logger(label: label, factory: { _ in SwiftLogNoOpLogHandler() }), label: label)
}

/// An error a test throws on purpose, equal by its message.
package struct TestFailure: Error, Equatable, CustomStringConvertible {
    package var message: String
    package init(_ message: String) { self.message = message }
    package var description: String { message }
}

/// Collects values from any thread, in the order they were recorded.
package final class Recorder<Value: Sendable>: Sendable {
    private let values = Lock<[Value]>([])
    package init() {}
    package func record(_ value: Value) { values.withLock { $0.append(value) } }
    package var all: [Value] { values.withLock { $0 } }
}

/// A one-shot event a test can wait on: fired once by the code under test.
package final class Latch: Sendable {
    private let state = Lock<(fired: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    package init() {}

    package func fire() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard !state.fired else { return [] }
            state.fired = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    package var isFired: Bool { state.withLock { $0.fired } }

    package func wait() async {
        await withCheckedContinuation { continuation in
            let fired = state.withLock { state -> Bool in
                if state.fired { return true }
                state.waiters.append(continuation)
                return false
            }
            if fired { continuation.resume() }
        }
    }
}

/// Suspends until the calling task is cancelled (for a process: until it is killed).
package func suspendUntilCancelled() async {
    let (stream, continuation) = AsyncStream<Never>.makeStream()
    for await _ in stream {}
    continuation.finish()
}

/// Waits for restarts in a runtime's lifecycle events. Make it *before* the action whose
/// restart the test waits for.
package struct RestartWatch {
    private var iterator: AsyncStream<SupervisionEvent>.Iterator

    package init(_ runtime: Runtime) {
        iterator = runtime.events.subscribe().makeAsyncIterator()
    }

    /// The pid `pid` was restarted as, or `nil` if the events end first.
    package mutating func restart(of pid: PID) async -> PID? {
        while let event = await iterator.next() {
            if case .restarted(_, _, let old, let new, _) = event.kind, old == pid { return new }
        }
        return nil
    }
}

/// Keeps what a logger logs, for tests that check what the code reports: make a logger
/// with ``logger(label:)`` and read ``records`` (or ``lines``, `"level message"`).
package final class LogCapture: Sendable {
    /// One logged record, its metadata rendered as strings.
    package struct Record: Sendable {
        package var level: Logger.Level
        package var message: String
        package var metadata: [String: String]
    }

    private let captured = Lock<[Record]>([])

    package init() {}

    /// A logger whose every record (all levels) lands here.
    package func logger(label: String = "test") -> Logger {
        Logger(label: label) { _ in Handler(capture: self) }
    }

    /// The records, in the order they were logged.
    package var records: [Record] { captured.withLock { $0 } }

    /// The records as `"level message"` lines.
    package var lines: [String] { records.map { "\($0.level) \($0.message)" } }

    fileprivate func append(_ record: Record) { captured.withLock { $0.append(record) } }

    private struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            capture.append(Record(level: event.level, message: event.message.description,
                                  metadata: merged.mapValues { "\($0)" }))
        }
    }
}

/// An exit hook that holds the exit procedure inside it until released: a regression
/// test widens a race's window with it instead of sleeping. `entered` is signalled when
/// the exit reaches it; the exit goes on once `release` is.
package final class BlockingExitHook: ProcessExitHook {
    package let entered = DispatchSemaphore(value: 0)
    package let release = DispatchSemaphore(value: 0)
    package init() {}
    package func processExiting(_ pid: PID, reason: ExitReason) {
        entered.signal()
        release.wait()
    }
}
