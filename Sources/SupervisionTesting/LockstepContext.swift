import Supervision
import Synchronization
import ScalableLocks

/// What a scenario sees of its lockstep run: the simulated runtime, seeded randomness,
/// the step budget, and ways to record facts, check properties and add invariants.
public final class LockstepContext: Sendable {
    /// The runtime every process of the scenario must belong to (it is also
    /// `Runtime.current` inside the scenario).
    public let runtime: Runtime
    /// The run's seed.
    public let seed: UInt64
    /// The run's virtual clock.
    public let clock: ManualClock

    let trace: Trace
    private let random: Lock<SeededGenerator>
    private let stopRequested = Atomic<Bool>(false)
    private let state = Lock<(invariants: [Invariant], failure: (invariant: String, message: String)?)>(([], nil))

    init(runtime: Runtime, clock: ManualClock, seed: UInt64, trace: Trace) {
        self.runtime = runtime
        self.clock = clock
        self.seed = seed
        self.trace = trace
        // A stream of its own, so that the scenario's choices do not depend on how many
        // scheduling decisions came before them.
        random = Lock(SeededGenerator(seed: seed ^ 0x5DEE_CE66_D1CE_4E5B))
    }

    /// A seeded random integer in `range` (the same sequence for the same seed).
    public func random(in range: Range<Int>) -> Int {
        random.withLock { Int.random(in: range, using: &$0) }
    }

    /// A seeded random choice with probability `probability`.
    public func chance(_ probability: Double) -> Bool {
        random.withLock { Double.random(in: 0..<1, using: &$0) < probability }
    }

    /// Waits `duration` of the run's virtual time (the clock jumps there once nothing
    /// else can run).
    public func sleep(for duration: Duration) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            clock.schedule(ResumeTimer(continuation), at: clock.now() + duration)
        }
    }

    /// Whether the step budget is spent: loops should end and the scenario wind its
    /// tree down.
    ///
    /// A loop that polls this without ever suspending holds the only thread the run
    /// has: nothing else can be scheduled, and the step budget can never be spent. So
    /// polling has a side effect: after ``spinLimit`` polls within one step the run is
    /// failed with a `progress` violation that says so, and this turns `true` so that
    /// the loop ends instead of hanging. (A loop that neither suspends nor polls this
    /// cannot be caught: it hangs the run.)
    public var shouldStop: Bool {
        if stopRequested.load(ordering: .relaxed) { return true }
        guard polls.wrappingAdd(1, ordering: .relaxed).newValue > Self.spinLimit else { return false }
        fail("progress", "a loop of the scenario polled shouldStop \(Self.spinLimit) times within one step without suspending, so nothing else could run; add `await Task.yield()` (or another suspension) to the loop")
        return true
    }

    /// Polls of ``shouldStop`` allowed within one step.
    public static let spinLimit = 100_000
    private let polls = Atomic<Int>(0)

    func requestStop() { stopRequested.store(true, ordering: .relaxed) }

    /// The driver took a step.
    func stepTaken() { polls.store(0, ordering: .relaxed) }

    /// Adds a line to the trace (and so to the digest). Name pids with ``label(_:)``.
    public func record(_ fact: String) {
        trace.line(fact, isEvent: false)
    }

    /// The run-stable name of `pid` (`p1`, `p2` … in order of first appearance).
    public func label(_ pid: PID) -> String { trace.label(pid) }

    /// Checks a property of the scenario itself; the first failure ends the run as a
    /// violation of `name`.
    public func check(_ condition: Bool, _ name: String, _ message: @autoclosure () -> String) {
        guard !condition else { return }
        fail("scenario check", "\(name): \(message())")
    }

    /// Records the run's first failure.
    func fail(_ invariant: String, _ message: String) {
        state.withLock { if $0.failure == nil { $0.failure = (invariant, message) } }
    }

    /// Adds an invariant, checked after every following step.
    public func addInvariant(_ invariant: Invariant) {
        state.withLock { $0.invariants.append(invariant) }
    }

    var invariants: [Invariant] { state.withLock { $0.invariants } }
    var failure: (invariant: String, message: String)? { state.withLock { $0.failure } }
}

/// A timer that resumes a waiting task once.
private final class ResumeTimer: ScheduledTimer {
    private let continuation: Lock<CheckedContinuation<Void, Never>?>

    init(_ continuation: CheckedContinuation<Void, Never>) {
        self.continuation = Lock(continuation)
    }

    func fire() {
        continuation.withLock { continuation in
            defer { continuation = nil }
            return continuation
        }?.resume()
    }

    var isSettled: Bool { continuation.withLock { $0 == nil } }
}
