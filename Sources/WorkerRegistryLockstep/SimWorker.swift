import Supervision
import SupervisionTesting
import ScalableLocks

/// The worker of the built-in scenarios: its start yields to the scheduler a chosen
/// number of times (so other jobs interleave with it, mid-registration), may fail, and
/// records in a ``StartLedger`` that it completed.
public struct SimWorker: GenServer {
    /// How a simulated worker starts: how often it yields, whether it fails, where it records.
    public struct Arguments: Sendable {
        /// Times `initialize` yields before it completes.
        public var yields: Int
        /// Whether `initialize` throws.
        public var failsToStart: Bool
        /// Records which workers completed their start.
        public var ledger: StartLedger

        /// Arguments for a start that yields `yields` times and then succeeds, or fails if `failsToStart`.
        public init(yields: Int, failsToStart: Bool = false, ledger: StartLedger) {
            self.yields = yields
            self.failsToStart = failsToStart
            self.ledger = ledger
        }
    }

    /// The one call: `ping` answers the worker's serial.
    public enum Request: Sendable { case ping }
    /// The reply to `ping`.
    public typealias Reply = Int
    /// The one cast: `crash` makes the worker throw.
    public enum Cast: Sendable { case crash }

    struct StartFailed: Error {}
    struct Crashed: Error {}

    /// Yields to the scheduler as asked, then starts or fails; a successful start is recorded in the ledger.
    public static func initialize(_ arguments: Arguments) async throws -> InitResult<SimWorker> {
        for _ in 0..<arguments.yields { await Task.yield() }
        if arguments.failsToStart { throw StartFailed() }
        arguments.ledger.started(Process.current!)
        return .ok(SimWorker())
    }

    /// Answers `ping`.
    public mutating func handleCall(_ request: Request, from caller: Caller<Int>) async throws -> CallResult<Int> {
        .reply(1)
    }

    /// Crashes on `crash`.
    public mutating func handleCast(_ message: Cast) async throws -> HandleResult {
        throw Crashed()
    }
}

/// The workers whose `initialize` completed.
public final class StartLedger: Sendable {
    private let pids = Lock<Set<PID>>([])

    /// An empty ledger.
    public init() {}

    func started(_ pid: PID) { _ = pids.withLock { $0.insert(pid) } }

    /// Whether `pid`'s start completed.
    public func hasStarted(_ pid: PID) -> Bool { pids.withLock { $0.contains(pid) } }
}
