import Supervision
import SupervisionTesting
import Synchronization

/// The worker of the built-in scenarios: its start yields to the scheduler a chosen
/// number of times (so other jobs interleave with it, mid-registration), may fail, and
/// records in a ``StartLedger`` that it completed.
public struct SimWorker: GenServer {
    public struct Arguments: Sendable {
        /// Times `initialize` yields before it completes.
        public var yields: Int
        /// Whether `initialize` throws.
        public var failsToStart: Bool
        public var ledger: StartLedger

        public init(yields: Int, failsToStart: Bool = false, ledger: StartLedger) {
            self.yields = yields
            self.failsToStart = failsToStart
            self.ledger = ledger
        }
    }

    public enum Request: Sendable { case ping }
    public typealias Reply = Int
    public enum Cast: Sendable { case crash }

    struct StartFailed: Error {}
    struct Crashed: Error {}

    public static func initialize(_ arguments: Arguments) async throws -> InitResult<SimWorker> {
        for _ in 0..<arguments.yields { await Task.yield() }
        if arguments.failsToStart { throw StartFailed() }
        arguments.ledger.started(Process.current!)
        return .ok(SimWorker())
    }

    public mutating func handleCall(_ request: Request, from caller: Caller<Int>) async throws -> CallResult<Int> {
        .reply(1)
    }

    public mutating func handleCast(_ message: Cast) async throws -> HandleResult {
        throw Crashed()
    }
}

/// The workers whose `initialize` completed.
public final class StartLedger: Sendable {
    private let pids = Mutex<Set<PID>>([])

    public init() {}

    func started(_ pid: PID) { _ = pids.withLock { $0.insert(pid) } }

    /// Whether `pid`'s start completed.
    public func hasStarted(_ pid: PID) -> Bool { pids.withLock { $0.contains(pid) } }
}
