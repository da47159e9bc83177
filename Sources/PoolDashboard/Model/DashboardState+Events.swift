import Supervision
import WorkerRegistry

/// What the runtime tells the dashboard, queued from any thread and applied by the
/// dashboard's own thread.
public enum DashboardInput: Sendable {
    /// A worker registered its id (it started or restarted).
    case registered(id: String, pid: PID, value: String, at: Timestamp)
    /// A worker's entry left the registry.
    case unregistered(id: String, pid: PID, cause: UnregisterCause, at: Timestamp)
    /// A lifecycle event of the runtime.
    case supervision(SupervisionEvent)
    /// A line for the event log (a command's outcome).
    case note(String, kind: DashboardState.LogEntry.Kind, at: Timestamp)
}

extension DashboardState {
    /// Applies one input: the table, the counters and the event log follow it.
    public mutating func apply(_ input: DashboardInput) {
        switch input {
        case let .registered(id, pid, value, at):
            registered(id: id, pid: pid, value: value, at: at)
        case let .unregistered(id, pid, cause, at):
            unregistered(id: id, pid: pid, cause: cause, at: at)
        case .supervision(let event):
            supervision(event)
        case let .note(text, kind, at):
            appendLog(LogEntry(time: at, text: text, kind: kind))
        }
    }

    private mutating func registered(id: String, pid: PID, value: String, at: Timestamp) {
        counters.started += 1
        var row = WorkerRow(id: id, pid: pid, value: value, startedAt: at)
        if let previous = index.row(id) {
            // A new incarnation under the same id: keep its history.
            row.restarts = previous.restarts
            if case .tombstone(let reason, _) = previous.phase { row.lastExit = reason } else { row.lastExit = previous.lastExit }
        }
        index.upsert(row)
    }

    private mutating func unregistered(id: String, pid: PID, cause: UnregisterCause, at: Timestamp) {
        guard var row = index.row(id), row.pid == pid else { return }
        let shown = "\(TerminalText.escaped(id)) \(pid)"
        switch cause {
        case .processExited(let reason):
            switch reason {
            case .killed: counters.killed += 1
            case .error: counters.crashed += 1
            default: counters.stopped += 1
            }
            row.phase = .tombstone(reason: reason, since: at)
            index.upsert(row)
            tombstones.append((id: id, pid: pid, since: at))
            departed[pid] = (id, at)
            appendLog(LogEntry(time: at, text: "UNREG \(shown) — entry removed as part of its exit (\(reason))", kind: .unregister))
        case .unregistered, .registryClosed:
            row.phase = .tombstone(reason: .normal, since: at)
            index.upsert(row)
            tombstones.append((id: id, pid: pid, since: at))
            appendLog(LogEntry(time: at, text: "UNREG \(shown) — \(cause)", kind: .unregister))
        }
    }

    private mutating func supervision(_ event: SupervisionEvent) {
        switch event.kind {
        case let .exited(pid, reason, _):
            // The worker's DOWN may arrive after its successor registered the same id.
            let departure = departed.removeValue(forKey: pid)
            guard let id = departure?.id ?? index.id(of: pid) else {
                if supervisors.contains(pid) {
                    appendLog(LogEntry(time: event.time, text: "DOWN supervisor \(pid) \(reason)", kind: .escalation))
                }
                return
            }
            let kind: LogEntry.Kind
            switch reason {
            case .killed: kind = .kill
            case .error: kind = .crash
            default: kind = .stop
            }
            var text = "DOWN \(TerminalText.escaped(id)) \(pid) \(reason)"
            if let cleaned = departure?.at {
                text += " · registry clean \(Self.microseconds(event.time - cleaned)) before DOWN"
            }
            appendLog(LogEntry(time: event.time, text: text, kind: kind))
        case let .restarted(supervisor, childID, old, new, restarts):
            if let id = index.id(of: new), var row = index.row(id) {
                row.restarts = restarts
                index.upsert(row)
                counters.restarts += 1
                appendLog(LogEntry(time: event.time, text: "RESTART \(TerminalText.escaped(id)) \(old) → \(new) (#\(restarts))", kind: .restart))
            } else if let childID, supervisors.contains(old) || childID.hasPrefix("pool") {
                supervisors.insert(new)
                appendLog(LogEntry(time: event.time, text: "RESTART \(TerminalText.escaped(childID)) supervisor \(old) → \(new) by \(supervisor)", kind: .escalation))
            }
        case let .intensityExceeded(supervisor, restarts, maxRestarts, period):
            counters.escalations += 1
            appendLog(LogEntry(
                time: event.time,
                text: "ESCALATE \(supervisor) gave up: \(restarts) restarts > \(maxRestarts) in \(Self.seconds(period)) — stops its children, exits shutdown",
                kind: .escalation))
        case let .supervisorShutdown(pid, reason):
            appendLog(LogEntry(time: event.time, text: "SHUTDOWN supervisor \(pid) (\(reason))", kind: .escalation))
        case let .restartFailed(supervisor, childID, reason):
            appendLog(LogEntry(time: event.time, text: "RESTART FAILED \(childID ?? "child") under \(supervisor): \(reason)", kind: .error))
        case .started:
            break
        }
    }

    /// Records a supervisor whose exits and restarts the log names as such.
    public mutating func watchSupervisor(_ pid: PID) {
        supervisors.insert(pid)
    }

    /// Drops tombstones older than ``tombstoneTime`` at `now`.
    public mutating func expireTombstones(now: Timestamp) {
        while let first = tombstones.first, now - first.since >= tombstoneTime {
            tombstones.removeFirst()
            if let row = index.row(first.id), row.pid == first.pid, row.isTombstone {
                index.remove(first.id)
            }
            // A DOWN that never came (events dropped) is not waited for any longer.
            if let gone = departed[first.pid], now - gone.at >= tombstoneTime { departed[first.pid] = nil }
        }
    }

    static func microseconds(_ duration: Duration) -> String {
        let nanoseconds = duration.saturatingNanoseconds
        let micros = Double(nanoseconds) / 1000
        if abs(micros) < 1000 { return "\(Int(micros.rounded())) µs" }
        return "\(Int((micros / 1000).rounded())) ms"
    }

    /// Restart-intensity use as the dashboard prints it: `2/3 in 5s`.
    static func intensity(_ use: IntensityUse) -> String {
        "\(use.restarts)/\(use.maxRestarts) in \(seconds(use.period))"
    }

    static func seconds(_ duration: Duration) -> String {
        let seconds = Double(duration.saturatingNanoseconds) / 1e9
        return seconds == seconds.rounded() ? "\(Int(seconds))s" : "\(seconds)s"
    }
}
