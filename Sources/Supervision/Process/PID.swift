import Synchronization

/// The identity of a process: unique for the life of the OS process, never reused.
///
/// A `PID` is a small value (a serial number and a reference to the process) that is
/// cheap to copy, compare and hash. It stays valid after the process exits: sending to
/// it is a no-op, calling it throws ``CallError/noProcess(_:)``, monitoring it delivers
/// `DOWN` with ``ExitReason/noproc`` at once. Holding a `PID` of a dead process keeps a
/// few hundred bytes of bookkeeping alive, never the process's state or mailbox.
///
/// PIDs print like Erlang's, `<0.42.0>`, and order by creation.
public struct PID: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The serial number, unique for the life of the OS process.
    public let serial: UInt64
    let core: ProcessCore

    init(core: ProcessCore) {
        self.serial = core.serial
        self.core = core
    }

    @inlinable
    public static func == (lhs: PID, rhs: PID) -> Bool { lhs.serial == rhs.serial }

    @inlinable
    public static func < (lhs: PID, rhs: PID) -> Bool { lhs.serial < rhs.serial }

    @inlinable
    public func hash(into hasher: inout Hasher) { hasher.combine(serial) }

    public var description: String { "<0.\(serial).0>" }

    /// Whether the process has not exited yet. A process whose exit is in progress
    /// (names being released) still counts as alive until its exit completes.
    ///
    /// - Complexity: O(1), one atomic load.
    public var isAlive: Bool { core.isAlive }

    /// Whether the process is alive and has not begun exiting: it accepts messages,
    /// links, monitors and names. Registries check this after inserting an entry, so an
    /// entry can never outlive its process.
    ///
    /// - Complexity: O(1), one atomic load.
    public var acceptsMessages: Bool { core.acceptsMessages }
}

/// Hands out process serial numbers. Starts at 64 so that the first user processes
/// print like real Erlang PIDs rather than `<0.1.0>`.
enum PIDAllocator {
    static let next = Atomic<UInt64>(64)

    static func allocate() -> UInt64 {
        next.add(1, ordering: .relaxed).oldValue
    }
}
