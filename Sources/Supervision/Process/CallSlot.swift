import Synchronization

/// One outstanding `call`: where the reply goes, settled exactly once by whichever comes
/// first — the reply, the timeout, the server's exit, or the caller's cancellation.
///
/// The slot is also the call's timeout timer, so a call allocates one object in all.
class CallSlot: ScheduledTimer, @unchecked Sendable {
    // 0 fresh, 1 armed (continuation stored), 2 settled, 3 cancelled before arming.
    final let state = Atomic<UInt8>(0)
    /// The calling process, if the caller is one.
    final let caller: PID?
    final let timeout: Timeout

    init(caller: PID?, timeout: Timeout) {
        self.caller = caller
        self.timeout = timeout
    }

    final var isSettled: Bool { state.load(ordering: .acquiring) >= 2 }

    /// Settles the call with an error (no effect if already settled).
    func fail(_ error: CallError) {
        preconditionFailure("CallSlot.fail is abstract")
    }

    final func fire() { fail(.timeout(timeout)) }
}

/// A call slot that knows the reply type.
class ReplySlot<Reply: Sendable>: CallSlot, @unchecked Sendable {
    // Written once, before the slot is published; read by the one settler.
    private var continuation: UnsafeContinuation<Result<Reply, CallError>, Never>?

    /// Stores the continuation. Returns `false` if the caller was cancelled first, in
    /// which case the caller must resume the continuation itself.
    func arm(_ continuation: UnsafeContinuation<Result<Reply, CallError>, Never>) -> Bool {
        self.continuation = continuation
        return state.compareExchange(expected: 0, desired: 1, ordering: .acquiringAndReleasing).exchanged
    }

    /// Settles the call. Returns whether this settled it.
    @discardableResult
    func settle(_ result: Result<Reply, CallError>) -> Bool {
        guard state.compareExchange(expected: 1, desired: 2, ordering: .acquiringAndReleasing).exchanged else {
            return false
        }
        continuation.unsafelyUnwrapped.resume(returning: result)
        return true
    }

    override func fail(_ error: CallError) { settle(.failure(error)) }

    /// The caller's task was cancelled.
    func cancel() {
        if state.compareExchange(expected: 0, desired: 3, ordering: .acquiringAndReleasing).exchanged { return }
        settle(.failure(.cancelled))
    }
}

/// A call slot carrying its request.
final class RequestSlot<Request: Sendable, Reply: Sendable>: ReplySlot<Reply>, @unchecked Sendable {
    let request: Request

    init(request: Request, caller: PID?, timeout: Timeout) {
        self.request = request
        super.init(caller: caller, timeout: timeout)
    }
}

/// The acknowledgement a starter awaits while a new server runs `initialize`.
final class StartSlot: ScheduledTimer, @unchecked Sendable {
    enum Outcome {
        case started
        case ignored
        case failed(ExitReason)
        case timedOut
    }

    private let claimed = Atomic<Bool>(false)
    // Written once, before the slot is published.
    private var continuation: UnsafeContinuation<Outcome, Never>?

    func arm(_ continuation: UnsafeContinuation<Outcome, Never>) {
        self.continuation = continuation
    }

    /// Claims the right to resume the starter. Exactly one claim succeeds.
    func claim() -> Bool {
        claimed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
    }

    /// Resumes the starter; only after a successful ``claim()``.
    func resume(_ outcome: Outcome) {
        continuation.unsafelyUnwrapped.resume(returning: outcome)
    }

    var isSettled: Bool { claimed.load(ordering: .acquiring) }

    func fire() {
        if claim() { resume(.timedOut) }
    }
}
