import InspectorProtocol
import Supervision

/// Walks a runtime's supervision trees, depth first from every root supervisor, into
/// tree lines for clients.
///
/// A static `Supervisor` is asked for its children (with a short timeout, so a
/// supervisor busy restarting never holds the walk); a `DynamicSupervisor` answers from
/// its table at once, and its workers — there may be a million — are counted, not
/// listed. Its supervisor children are walked, up to ``maxListed``.
struct TreeSampler: Sendable {
    /// Supervisors a walk lists under one dynamic supervisor.
    static let maxListed = 50
    /// Depth beyond which the walk stops (a guard against a cycle of links).
    static let maxDepth = 32

    var runtime: Runtime
    /// The watched pools, by their supervisor's pid, and their worker types.
    var pools: [PID: (name: String, worker: String?)]
    var timeout: Timeout = .milliseconds(500)

    func sample() async -> [WireTreeNode] {
        var nodes: [WireTreeNode] = []
        for root in runtime.rootSupervisors() {
            await visit(root, depth: 0, child: nil, into: &nodes)
        }
        return nodes
    }

    private func intensity(_ use: IntensityUse) -> WireIntensity {
        WireIntensity(restarts: use.restarts, maxRestarts: use.maxRestarts,
                      periodMilliseconds: Int64(use.period.saturatingNanoseconds / 1_000_000))
    }

    private func visit(_ pid: PID, depth: Int, child: ChildInfo?, into nodes: inout [WireTreeNode]) async {
        guard depth <= Self.maxDepth else { return }
        if let dynamic = DynamicSupervisor(pid: pid) {
            let counts = dynamic.countChildren()
            let pool = pools[pid]
            nodes.append(WireTreeNode(
                depth: depth, kind: .dynamicSupervisor, id: child?.id, pid: pid.description, behaviour: "DynamicSupervisor",
                restart: child?.restart.rawValue, restarts: child?.restarts, state: child?.state.rawValue,
                intensity: intensity(dynamic.intensity()), active: counts.active, restarting: counts.specs - counts.active,
                pool: pool?.name))
            if counts.workers > 0 {
                nodes.append(WireTreeNode(depth: depth + 1, kind: .workers, behaviour: pool?.worker, count: counts.workers))
            }
            if counts.supervisors > 0 {
                let supervisors = dynamic.whichChildren().filter { $0.type == .supervisor }.sorted { ($0.pid?.serial ?? 0) < ($1.pid?.serial ?? 0) }
                for info in supervisors.prefix(Self.maxListed) {
                    if let child = info.pid { await visit(child, depth: depth + 1, child: info, into: &nodes) }
                }
                if supervisors.count > Self.maxListed {
                    nodes.append(WireTreeNode(depth: depth + 1, kind: .other, note: "… \(supervisors.count - Self.maxListed) more supervisors"))
                }
            }
            return
        }
        guard let supervisor = Supervisor(running: pid) else {
            nodes.append(WireTreeNode(depth: depth, kind: .worker, id: child?.id, pid: pid.description,
                                      behaviour: Process.info(pid)?.behaviour, restart: child?.restart.rawValue,
                                      restarts: child?.restarts, state: child?.state.rawValue))
            return
        }
        let snapshot: SupervisorSnapshot
        do {
            snapshot = try await supervisor.snapshot(timeout: timeout)
        } catch {
            nodes.append(WireTreeNode(depth: depth, kind: .supervisor, id: child?.id, pid: pid.description, behaviour: "Supervisor",
                                      restart: child?.restart.rawValue, restarts: child?.restarts, state: child?.state.rawValue,
                                      note: "did not answer: \(error)"))
            return
        }
        nodes.append(WireTreeNode(
            depth: depth, kind: .supervisor, id: child?.id, pid: pid.description, behaviour: "Supervisor",
            strategy: snapshot.strategy.rawValue, restart: child?.restart.rawValue, restarts: child?.restarts,
            state: child?.state.rawValue, intensity: intensity(snapshot.intensity), active: snapshot.counts.active,
            restarting: nil))
        for info in snapshot.children {
            if let childPID = info.pid, info.type == .supervisor {
                await visit(childPID, depth: depth + 1, child: info, into: &nodes)
            } else {
                nodes.append(WireTreeNode(
                    depth: depth + 1, kind: info.pid == nil ? .other : .worker, id: info.id, pid: info.pid?.description,
                    behaviour: info.pid.flatMap { Process.info($0)?.behaviour }, restart: info.restart.rawValue,
                    restarts: info.restarts, state: info.state.rawValue))
            }
        }
    }
}
