@testable import PoolDashboard
import Supervision
import Synchronization
import Testing

/// Frame data for tests: a fixed clock, live processes described by a table.
final class StubData: DashboardData, @unchecked Sendable {
    var clock = Timestamp.zero + .seconds(100)
    var processes: [PID: ProcessSnapshot] = [:]
    var summary = RegistrySummary(name: "phones", mode: "unique", entries: 0, meta: [])
    var poolSummary = PoolSummary(active: 0, intensity: IntensityUse(restarts: 1, maxRestarts: 3, period: .seconds(5)), lookupsPerSecond: 1234)
    var treeLines: [TreeLine] = []

    func now() -> Timestamp { clock }
    func process(_ pid: PID) -> ProcessSnapshot? { processes[pid] }
    func registry() -> RegistrySummary { summary }
    func pool() -> PoolSummary { poolSummary }
    func tree() -> [TreeLine] { treeLines }
}

/// Real pids for tests (the dashboard never needs the processes to run).
enum Pids {
    static func make(_ count: Int) -> [PID] {
        (0..<count).map { _ in Process.spawn { _ in } }
    }
}

extension DashboardState {
    /// A state with `ids` registered in order, one second apart.
    static func with(_ ids: [String], pids: [PID]? = nil, start: Timestamp = .zero + .seconds(10)) -> DashboardState {
        var state = DashboardState(poolName: "phones", startedAt: .zero)
        let pids = pids ?? Pids.make(ids.count)
        for (offset, id) in ids.enumerated() {
            state.apply(.registered(id: id, pid: pids[offset], value: "v\(offset)", at: start + .seconds(Int64(offset))))
        }
        state.refreshSelection(pageSize: 10)
        return state
    }

    /// Applies keys in order and returns every command they produced.
    mutating func press(_ keys: Key..., pageSize: Int = 10) -> [Command] {
        keys.flatMap { handle($0, pageSize: pageSize) }
    }

    mutating func type(_ text: String) -> [Command] {
        text.flatMap { handle(.character($0), pageSize: 10) }
    }
}

func ids(_ range: ClosedRange<Int>) -> [String] {
    range.map { "id\($0 < 10 ? "0" : "")\($0)" }
}
