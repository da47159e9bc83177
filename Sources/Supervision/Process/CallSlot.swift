import CPlatform
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One outstanding `call` (or start): where the outcome goes, settled exactly once by
/// whichever comes first — the reply, the timeout, the server's exit, the caller's
/// cancellation.
///
/// The outcome may arrive *before* the caller waits for it: a call to an idle server
/// runs the server inline on the caller's thread, and the reply is usually ready when
/// delivery returns. The caller then takes it without suspending (``ReplySlot/take()``).
///
/// The slot is also the call's timeout timer, so a call allocates one object in all.
@usableFromInline
class CallSlot: ScheduledTimer, @unchecked Sendable {
    /// 0 open, 1 armed (the caller waits), 2 done, 3 claimed while open (the outcome is
    /// being stored), 4 outcome stored (the caller has not waited yet), 5 claimed while
    /// armed (the caller is about to be resumed).
    @usableFromInline
    final let state = Atomic<UInt8>(0)
    /// The calling process, if the caller is one.
    @usableFromInline
    final let caller: PID?
    @usableFromInline
    final let timeout: Timeout

    @usableFromInline
    init(caller: PID?, timeout: Timeout) {
        self.caller = caller
        self.timeout = timeout
    }

    @usableFromInline
    final var isSettled: Bool { state.load(ordering: .acquiring) >= 2 }

    /// Settles the call with an error (no effect if already settled).
    @usableFromInline
    func fail(_ error: CallError) {
        preconditionFailure("CallSlot.fail is abstract")
    }

    @usableFromInline
    func fire() { fail(.timeout(timeout)) }
}

/// A call slot that knows its outcome type.
@usableFromInline
class ReplySlot<Reply: Sendable>: CallSlot, @unchecked Sendable {
    @usableFromInline
    typealias Outcome = Result<Reply, CallError>

    // Written by the caller before arming; read by the settler after claiming.
    // Final, so that code specialized for `Reply` reaches the field directly rather than
    // through a generic accessor that instantiates `Outcome?`'s metadata on every call.
    @usableFromInline
    final var continuation: UnsafeContinuation<Outcome, Never>?
    // Written by the settler before publishing state 4; read by the caller after.
    @usableFromInline
    final var outcome: Outcome?

    @usableFromInline
    override init(caller: PID?, timeout: Timeout) {
        super.init(caller: caller, timeout: timeout)
    }

    /// Claims the right to settle. Exactly one claim succeeds; it must be followed by
    /// ``complete(_:)``.
    @inlinable
    final func claim() -> Bool {
        while true {
            switch state.load(ordering: .acquiring) {
            case 0:
                if state.compareExchange(expected: 0, desired: 3, ordering: .acquiringAndReleasing).exchanged { return true }
            case 1:
                if state.compareExchange(expected: 1, desired: 5, ordering: .acquiringAndReleasing).exchanged { return true }
            default:
                return false
            }
        }
    }

    /// Delivers the outcome after a successful ``claim()``: resumes the waiting caller,
    /// or stores the outcome for a caller that has not waited yet.
    @inlinable
    final func complete(_ outcome: Outcome) {
        if state.load(ordering: .acquiring) == 5 {
            let continuation = self.continuation.unsafelyUnwrapped
            state.store(2, ordering: .releasing)
            continuation.resume(returning: outcome)
        } else {
            self.outcome = outcome
            state.store(4, ordering: .releasing)
        }
    }

    /// Settles the call. Returns whether this settled it.
    @inlinable @discardableResult
    final func settle(_ outcome: Outcome) -> Bool {
        guard claim() else { return false }
        complete(outcome)
        return true
    }

    @usableFromInline
    override final func fail(_ error: CallError) { settle(.failure(error)) }

    /// The outcome if it is already there; the caller then does not wait.
    @inlinable
    final func take() -> Outcome? {
        guard state.load(ordering: .acquiring) == 4 else { return nil }
        state.store(2, ordering: .relaxed)
        defer { outcome = nil }
        return outcome
    }

    /// Waits for the outcome.
    @usableFromInline
    nonisolated(nonsending)
    final func wait() async -> Outcome {
        if let ready = take() { return ready }
        return await withUnsafeContinuation { continuation in
            self.continuation = continuation
            var spins = 0
            while true {
                switch state.load(ordering: .acquiring) {
                case 0:
                    if state.compareExchange(expected: 0, desired: 1, ordering: .acquiringAndReleasing).exchanged { return }
                case 3:
                    // A settler is storing the outcome: a few instructions away.
                    spins += 1
                    if spins < 64 { cplatform_spin_pause() } else { sched_yield() }
                case 4:
                    state.store(2, ordering: .relaxed)
                    let ready = outcome.unsafelyUnwrapped
                    outcome = nil
                    continuation.resume(returning: ready)
                    return
                default:
                    preconditionFailure("a call slot was waited on twice")
                }
            }
        }
    }
}

/// A call slot carrying its request.
@usableFromInline
final class RequestSlot<Request: Sendable, Reply: Sendable>: ReplySlot<Reply>, @unchecked Sendable {
    @usableFromInline
    let request: Request

    @inlinable
    init(request: Request, caller: PID?, timeout: Timeout) {
        self.request = request
        super.init(caller: caller, timeout: timeout)
    }
}

/// How `initialize` ended, as its starter learns it.
@usableFromInline
enum StartOutcome: Sendable {
    case started
    case ignored
    case failed(ExitReason)
}

/// The acknowledgement a starter awaits while a new server runs `initialize`. Its
/// timeout fires as ``CallError/timeout(_:)``.
@usableFromInline
typealias StartSlot = ReplySlot<StartOutcome>
