import ScalableLocks

/// The supervisors a runtime has started, for tools that draw its supervision tree
/// (``Runtime/supervisors()``). A supervisor is added when it begins `initialize`;
/// dead ones are dropped when the roster is read, or when it has doubled since the last
/// sweep, so a crash loop that restarts supervisors keeps it small.
final class SupervisorRoster: Sendable {
    private struct State {
        var pids: Set<PID> = []
        var sweepAt = 64
    }

    private let state = Lock(State())

    func add(_ pid: PID) {
        state.withLock { state in
            state.pids.insert(pid)
            guard state.pids.count >= state.sweepAt else { return }
            state.pids = state.pids.filter(\.isAlive)
            state.sweepAt = max(64, state.pids.count * 2)
        }
    }

    /// The live supervisors, oldest first.
    func live() -> [PID] {
        state.withLock { state in
            state.pids = state.pids.filter(\.isAlive)
            return state.pids.sorted()
        }
    }
}

extension Runtime {
    /// The supervisors of this runtime that are alive — `Supervisor`s and
    /// `DynamicSupervisor`s alike — oldest first: what a tool needs to draw the whole
    /// supervision tree without being told where it is.
    ///
    /// - Complexity: O(supervisors ever started since the last read).
    public func supervisors() -> [PID] {
        roster.live()
    }

    /// The roots of this runtime's supervision trees: its live supervisors whose parent
    /// is not one of them (started from plain code, or by a worker), oldest first.
    ///
    /// - Complexity: O(supervisors).
    public func rootSupervisors() -> [PID] {
        let all = roster.live()
        let members = Set(all)
        return all.filter { pid in
            guard let parent = pid.core?.parent else { return true }
            return !members.contains(parent)
        }
    }
}
