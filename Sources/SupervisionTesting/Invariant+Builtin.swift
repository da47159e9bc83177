import Supervision
import ScalableLocks

extension Invariant {
    /// A dynamic supervisor's active count equals its children that are alive: a dead
    /// child is never counted, and every counted child is listed.
    ///
    /// - Parameter supervisor: the supervisor to check now (it may change as the tree
    ///   restarts it), or `nil` while there is none.
    public static func supervisorCountsLiveChildren(_ supervisor: @escaping @Sendable () -> DynamicSupervisor?) -> Invariant {
        Invariant("a supervisor's active count equals its live children") {
            guard let supervisor = supervisor(), supervisor.pid.isAlive else { return nil }
            let children = supervisor.whichChildren()
            let live = children.filter { $0.pid?.isAlive == true }.count
            let active = supervisor.countChildren().active
            if let dead = children.first(where: { $0.pid.map { !$0.isAlive } ?? false }) {
                return "\(supervisor) lists dead child \(dead.pid!)"
            }
            return active == live ? nil : "\(supervisor) counts \(active) active, \(live) children are alive"
        }
    }

    /// No dynamic supervisor of `runtime` restarts children more than its intensity
    /// allows: at most `maxRestarts` restarts within any `period` of (virtual) time.
    public static func restartsWithinIntensity(_ runtime: Runtime) -> Invariant {
        let state = Lock<(restarts: [PID: [Timestamp]], intensity: [PID: RestartIntensity], broken: String?)>(([:], [:], nil))
        runtime.events.observe { event in
            guard case let .restarted(supervisor, _, _, _, _) = event.kind else { return }
            state.withLock { state in
                if state.intensity[supervisor] == nil, let use = DynamicSupervisor(pid: supervisor)?.intensity() {
                    state.intensity[supervisor] = RestartIntensity(maxRestarts: use.maxRestarts, period: use.period)
                }
                guard let intensity = state.intensity[supervisor] else { return }
                // Only the restarts within the period matter (virtual time only moves on).
                state.restarts[supervisor, default: []].removeAll { $0 < event.time - intensity.period }
                state.restarts[supervisor]!.append(event.time)
                let count = state.restarts[supervisor]!.count
                if count > intensity.maxRestarts, state.broken == nil {
                    state.broken = "\(supervisor) restarted \(count) children within \(intensity.period) (max \(intensity.maxRestarts))"
                }
            }
        }
        return Invariant("restarts never exceed the intensity") { state.withLock { $0.broken } }
    }
}

/// Monitors processes from a process of its own and counts the `DOWN`s each monitor
/// receives, for the invariant "every monitor receives exactly one DOWN".
public final class MonitorLedger: Sendable {
    private struct Entry {
        var target: PID
        var downs = 0
    }

    private final class Book: Sendable {
        let state = Lock<[MonitorRef: Entry]>([:])
    }

    private let book = Book()
    /// The ledger's monitoring process.
    public let pid: PID

    /// Starts the ledger's process (in the calling runtime).
    public init() {
        let book = self.book
        pid = Process.spawn { inbox in
            let state = book
            while true {
                switch try await inbox.receive() {
                case .message(let target as PID):
                    let ref = try Process.monitor(target)
                    state.state.withLock { $0[ref] = Entry(target: target) }
                case .down(let ref, _):
                    state.state.withLock { $0[ref]?.downs += 1 }
                default:
                    continue
                }
            }
        }
    }

    /// Asks the ledger to monitor `target` (asynchronously, as a message).
    public func watch(_ target: PID) {
        Process.send(pid, target)
    }

    /// Monitors set up so far.
    public var count: Int { book.state.withLock { $0.count } }

    /// Never two DOWNs for one monitor; at the end (`final`), exactly one for every
    /// monitor of a dead process and none for a live one.
    public var invariant: Invariant {
        Invariant("every monitor receives exactly one DOWN", final: { [book] in
            book.state.withLock { entries in
                for (ref, entry) in entries {
                    if !entry.target.isAlive, entry.downs != 1 { return "\(ref) of dead \(entry.target) received \(entry.downs) DOWNs" }
                    if entry.target.isAlive, entry.downs != 0 { return "\(ref) of live \(entry.target) received a DOWN" }
                }
                return nil
            }
        }) { [book] in
            book.state.withLock { entries in
                entries.first { $0.value.downs > 1 }.map { "\($0.key) received \($0.value.downs) DOWNs" }
            }
        }
    }
}
