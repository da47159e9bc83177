import Synchronization

/// The identity of a process: unique for the life of the OS process, never reused.
///
/// As in Erlang, a `PID` is a plain value — a serial number — resolved to its process
/// through the process table when a message or signal is sent. Copying, hashing and
/// storing pids costs no reference counting, and holding the pid of a dead process
/// keeps nothing alive: sending to it is a no-op, calling it throws
/// ``CallError/noProcess(target:)``, monitoring it delivers `DOWN` with
/// ``ExitReason/noproc`` at once.
///
/// PIDs print like Erlang's, `<0.42.0>`, and order by creation.
public struct PID: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The serial number, unique for the life of the OS process.
    public let serial: UInt64

    @usableFromInline
    init(serial: UInt64) {
        self.serial = serial
    }

    /// Orders pids by creation: an older process sorts first.
    @inlinable
    public static func < (lhs: PID, rhs: PID) -> Bool { lhs.serial < rhs.serial }

    /// OTP's spelling: `<0.serial.0>`.
    public var description: String { "<0.\(serial).0>" }

    /// The process, if it has not fully exited.
    var core: ProcessCore? { ProcessTable.shared.core(serial) }

    /// Whether the process has not fully exited. A process whose exit is in progress
    /// (releasing its names) still counts as alive until its exit completes.
    ///
    /// - Complexity: O(1); reads the process table.
    public var isAlive: Bool { ProcessTable.shared.contains(serial) }

    /// Whether the process is alive and has not begun exiting: it accepts messages,
    /// links, monitors and names. Registries check this after inserting an entry, so an
    /// entry can never outlive its process.
    ///
    /// - Complexity: O(1); reads the process table.
    public var acceptsMessages: Bool { core?.acceptsMessages ?? false }
}

/// Hands out process serial numbers. Starts at 64 so that the first user processes
/// print like real Erlang PIDs rather than `<0.1.0>`.
enum PIDAllocator {
    static let next = Atomic<UInt64>(64)

    static func allocate() -> UInt64 {
        next.add(1, ordering: .relaxed).oldValue
    }
}
