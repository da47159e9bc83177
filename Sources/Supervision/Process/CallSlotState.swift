import Synchronization

/// Where a ``CallSlot`` stands, as one atomic byte: the state machine that lets the
/// caller and whoever settles the call (the reply, the timeout, the server's exit, the
/// caller's cancellation) meet without a lock, in either order.
///
/// ```
/// open ──caller waits──▶ armed ──settler claims──▶ claimedWhileArmed ──resumes caller──▶ done
///   │
///   └──settler claims──▶ claimedWhileOpen ──stores outcome──▶ stored ──caller takes it──▶ done
/// ```
///
/// Exactly one settler wins a claim (from `open` or `armed`); every later settle does
/// nothing. The caller arms at most once. The outcome is written only by the claim's
/// winner before it publishes `stored` (release), and read only by the caller after it
/// saw `stored` (acquire); the continuation is written by the caller before it publishes
/// `armed`, and read only by the claim's winner after it saw `armed`.
@usableFromInline
enum CallSlotState: UInt8, AtomicRepresentable, Sendable {
    /// Nobody has waited or settled yet.
    case open = 0
    /// The caller waits on its continuation.
    case armed = 1
    /// Settled and delivered; the slot is finished.
    case done = 2
    /// A settler claimed an open slot and is storing the outcome (a few instructions).
    case claimedWhileOpen = 3
    /// The outcome is stored; the caller has not waited yet and will take it.
    case stored = 4
    /// A settler claimed an armed slot and is about to resume the caller.
    case claimedWhileArmed = 5

    /// Whether a settler has claimed the slot (so every later settle does nothing).
    @inlinable
    var isSettled: Bool {
        switch self {
        case .open, .armed: return false
        case .done, .claimedWhileOpen, .stored, .claimedWhileArmed: return true
        }
    }
}
