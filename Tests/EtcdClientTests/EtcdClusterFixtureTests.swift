import EtcdTesting
import Testing

@Suite("EtcdCluster, the test fixture: ports no other cluster or client of this process can take")
struct EtcdClusterFixtureTests {
    @Test("freePort never hands out one port twice in a process, and none from the kernel's ephemeral range")
    func portsAreDistinctAndOutsideTheEphemeralRange() throws {
        let ports = try (0..<500).map { _ in try EtcdCluster.freePort() }
        #expect(Set(ports).count == ports.count)
        #expect(ports.allSatisfy { !(32_768...60_999).contains($0) && $0 >= 1_024 })
    }

    @Test("freePort hands out distinct ports to callers racing for them")
    func concurrentCallersGetDistinctPorts() async throws {
        let ports = try await withThrowingTaskGroup(of: [Int].self) { group in
            for _ in 0..<8 {
                group.addTask { try (0..<50).map { _ in try EtcdCluster.freePort() } }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(ports.count == 400)
        #expect(Set(ports).count == 400)
    }
}
