import Supervision

/// Why a ``SupervisionTree`` service ended with an error.
///
/// A struct with a ``code``, so that new kinds can be added without breaking code that
/// handles these (as the runtime's own errors and `ServiceGroupError`).
public struct SupervisionTreeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kinds of error. New kinds may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable { case rootExited, notStarted, stopped, cancelled }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The root supervisor exited when no shutdown was asked for.
        public static let rootExited = Code(.rootExited)
        /// The tree did not start: its start function threw.
        public static let notStarted = Code(.notStarted)
        /// The tree has stopped (or its service ended before starting it).
        public static let stopped = Code(.stopped)
        /// The task waiting for the tree was cancelled.
        public static let cancelled = Code(.cancelled)

        /// The kind's name.
        public var description: String {
            switch base {
            case .rootExited: return "root_exited"
            case .notStarted: return "not_started"
            case .stopped: return "stopped"
            case .cancelled: return "cancelled"
            }
        }
    }

    private enum Storage: Sendable, Equatable {
        case rootExited(ExitReason)
        case notStarted(String)
        case stopped
        case cancelled
    }

    private let storage: Storage

    private init(_ storage: Storage) { self.storage = storage }

    /// The root supervisor exited with `reason` although no shutdown was asked for: it
    /// gave up (a restart more than its intensity allows), or something stopped or killed
    /// it from outside. Its children were stopped first.
    public static func rootExited(_ reason: ExitReason) -> SupervisionTreeError { SupervisionTreeError(.rootExited(reason)) }

    /// The tree's start function threw `error`.
    public static func notStarted(_ error: any Error) -> SupervisionTreeError {
        SupervisionTreeError(.notStarted(String(describing: error)))
    }

    /// The tree has stopped, or its service ended before starting it.
    public static let stopped = SupervisionTreeError(.stopped)

    /// The task waiting for the tree was cancelled.
    public static let cancelled = SupervisionTreeError(.cancelled)

    /// The kind of error.
    public var code: Code {
        switch storage {
        case .rootExited: return .rootExited
        case .notStarted: return .notStarted
        case .stopped: return .stopped
        case .cancelled: return .cancelled
        }
    }

    /// The root's exit reason, for ``Code/rootExited``.
    public var reason: ExitReason? {
        switch storage {
        case .rootExited(let reason): return reason
        case .notStarted, .stopped, .cancelled: return nil
        }
    }

    /// A one-line message for logs.
    public var description: String {
        switch storage {
        case .rootExited(let reason): return "the supervision tree's root exited (\(reason)) without a shutdown being asked for"
        case .notStarted(let error): return "the supervision tree did not start: \(error)"
        case .stopped: return "the supervision tree has stopped"
        case .cancelled: return "the wait for the supervision tree was cancelled"
        }
    }
}
