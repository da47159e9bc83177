import ScalableLocks
/// What a process looks like at one moment: OTP's `Process.info/1`.
public struct ProcessSnapshot: Sendable, CustomStringConvertible {
    /// Where a process is in its life.
    public enum Status: Sendable, Equatable, CustomStringConvertible {
        /// Alive with an empty mailbox and no code running.
        case idle
        /// Running code (handling a message or its `spawn` body).
        case running
        /// A spawned process suspended in `receive`.
        case waiting
        /// Exiting: releasing its names.
        case exiting
        /// Exited with this reason.
        case dead(ExitReason)

        /// `idle`, `running`, `waiting`, `exiting` or `dead(reason)`.
        public var description: String {
            switch self {
            case .idle: return "idle"
            case .running: return "running"
            case .waiting: return "waiting"
            case .exiting: return "exiting"
            case .dead(let reason): return "dead(\(reason))"
            }
        }
    }

    /// The process.
    public var pid: PID
    /// The `GenServer` type it runs, or `spawn`.
    public var behaviour: String
    /// The process that started it.
    public var parent: PID?
    /// Names it holds, as its registries describe them.
    public var names: [String]
    /// Where it is in its life.
    public var status: Status
    /// Messages waiting in its mailbox.
    public var mailboxLength: Int
    /// The processes linked to it (in no particular order).
    public var links: [PID]
    /// How many monitors watch it.
    public var monitorCount: Int
    /// Whether it receives exit signals as messages.
    public var trapsExits: Bool
    /// When it was created, on its runtime's clock.
    public var startedAt: Timestamp
    /// Messages it has taken from its mailbox.
    public var messagesHandled: UInt64
    /// Exit hooks attached to it (one per registry partition it registered in).
    public var exitHookCount: Int

    /// One line for logs: pid, behaviour, status, mailbox, links, monitors, names.
    public var description: String {
        "\(pid) \(behaviour) \(status) mailbox=\(mailboxLength) links=\(links.count) monitors=\(monitorCount)"
            + (names.isEmpty ? "" : " names=\(names)")
    }
}

extension Process {
    /// A snapshot of `pid` — status, mailbox length, links, monitors, names, parent — or
    /// `nil` once it has exited (as OTP's `Process.info` returns `nil`).
    ///
    /// - Complexity: O(links + exit hooks); takes the process's lock once.
    public static func info(_ pid: PID) -> ProcessSnapshot? {
        guard let core = pid.core else { return nil }
        let (snapshot, hooks) = core.state.withLock { state -> (ProcessSnapshot, ExitHooks) in
            let status: ProcessSnapshot.Status
            switch state.status {
            case .dead: status = .dead(state.exitReason ?? .noproc)
            case .exiting: status = .exiting
            case .alive:
                if state.receiver != nil { status = .waiting }
                else if core.usesActivations { status = state.active ? .running : .idle }
                else { status = .running }
            }
            let snapshot = ProcessSnapshot(
                pid: pid, behaviour: core.behaviourName, parent: core.parent, names: [],
                status: status, mailboxLength: state.mailbox.count, links: state.links.members,
                monitorCount: state.rare?.monitors.count ?? 0, trapsExits: state.trapExit,
                startedAt: core.startedAt, messagesHandled: state.handled, exitHookCount: state.hooks.count)
            return (snapshot, state.hooks)
        }
        var result = snapshot
        result.names = hooks.flatMap { $0.names(of: pid) }
        return result
    }
}
