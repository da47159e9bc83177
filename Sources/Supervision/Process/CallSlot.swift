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
// @unchecked: non-final (the reply and request slots subclass it), so it cannot be
// checked; its stored properties are Sendable `let`s.
@usableFromInline
class CallSlot: ScheduledTimer, @unchecked Sendable {
    /// Where the call stands (``CallSlotState``).
    @usableFromInline
    final let state = Atomic<CallSlotState>(.open)
    /// The calling process, if the caller is one.
    @usableFromInline
    final let caller: PID?
    @usableFromInline
    final let timeout: Timeout
    /// The server that keeps this call to answer later (`.noreply`), set once: a call
    /// settled by its timeout, its caller's cancellation or exit takes itself out of that
    /// server's table, so the table holds only calls still waiting.
    final let deferredBy = AtomicLazyReference<ProcessCore>()

    @usableFromInline
    init(caller: PID?, timeout: Timeout) {
        self.caller = caller
        self.timeout = timeout
    }

    @usableFromInline
    final var isSettled: Bool { state.load(ordering: .acquiring).isSettled }

    /// Settles the call with an error (no effect if already settled).
    @usableFromInline
    func fail(_ error: CallError) {
        preconditionFailure("CallSlot.fail is abstract")
    }

    @usableFromInline
    func fire() { fail(.timeout(timeout)) }

    /// After this slot was settled by anything but its server's reply: takes it out of
    /// the table of the server that deferred it, if one did. Pairs with
    /// `ServerProcess.keepForLater` (see there for why the fence).
    @usableFromInline
    final func leaveDeferringServer() {
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        guard let server = deferredBy.load() else { return }
        server.forgetDeferred(self)
    }
}

/// A call slot that knows its outcome type.
// @unchecked: `continuation` and `outcome` pass between the caller and the settler
// through the `state` atomic: each is written by the side that won the transition that
// owns it, and read only after the other side's release-ordered store.
@usableFromInline
class ReplySlot<Reply: Sendable>: CallSlot, @unchecked Sendable {
    @usableFromInline
    typealias Outcome = Result<Reply, CallError>

    // Written by the caller before arming; read by the settler after claiming.
    // Final, so that code specialized for `Reply` reaches the field directly rather than
    // through a generic accessor that instantiates `Outcome?`'s metadata on every call.
    @usableFromInline
    final var continuation: UnsafeContinuation<Outcome, Never>?
    // Written by the settler before publishing `.stored`; read by the caller after.
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
            case .open:
                if state.compareExchange(expected: .open, desired: .claimedWhileOpen, ordering: .acquiringAndReleasing).exchanged {
                    return true
                }
            case .armed:
                if state.compareExchange(expected: .armed, desired: .claimedWhileArmed, ordering: .acquiringAndReleasing).exchanged {
                    return true
                }
            case .done, .claimedWhileOpen, .stored, .claimedWhileArmed:
                return false
            }
        }
    }

    /// Delivers the outcome after a successful ``claim()``: resumes the waiting caller,
    /// or stores the outcome for a caller that has not waited yet.
    @inlinable
    final func complete(_ outcome: Outcome) {
        if state.load(ordering: .acquiring) == .claimedWhileArmed {
            // Armed before the claim: the caller stored its continuation first.
            let continuation = self.continuation.unsafelyUnwrapped
            state.store(.done, ordering: .releasing)
            continuation.resume(returning: outcome)
        } else {
            self.outcome = outcome
            state.store(.stored, ordering: .releasing)
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
    override final func fail(_ error: CallError) {
        if settle(.failure(error)) { leaveDeferringServer() }
    }

    /// The outcome if it is already there; the caller then does not wait.
    @inlinable
    final func take() -> Outcome? {
        guard state.load(ordering: .acquiring) == .stored else { return nil }
        state.store(.done, ordering: .relaxed)
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
                case .open:
                    if state.compareExchange(expected: .open, desired: .armed, ordering: .acquiringAndReleasing).exchanged { return }
                case .claimedWhileOpen:
                    // A settler is storing the outcome: a few instructions away.
                    spins += 1
                    if spins < 64 { cplatform_spin_pause() } else { sched_yield() }
                case .stored:
                    state.store(.done, ordering: .relaxed)
                    // Stored before `.stored` was published (acquired above).
                    let ready = outcome.unsafelyUnwrapped
                    outcome = nil
                    continuation.resume(returning: ready)
                    return
                case .armed, .done, .claimedWhileArmed:
                    preconditionFailure("a call slot was waited on twice")
                }
            }
        }
    }
}

/// A call slot carrying its request.
// @unchecked: restates ReplySlot's (a subclass must); it adds only a Sendable `let`.
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
