import EtcdClient
import EtcdTesting
import Supervision
import SupervisionTesting
import TestSupport
import Testing
import WorkerRegistryEtcd

@Suite("A seeded random run of claims, kills, crashes and partitions, checked against its history",
       .enabled(if: EtcdCluster.runs, "etcd is not on PATH: install Debian's etcd-server to run the etcd tests"),
       .timeLimit(.minutes(Slowdown.scaled(3))))
struct RandomHistoryTests {
    /// Three nodes, each talking to one member of a three-member etcd (pausing a member
    /// cuts its node off while the other two keep a quorum). The seed fixes the order and
    /// kind of every action and how long each partition lasts; the timing between nodes
    /// is the machine's. Whatever it is, the history must hold: a name's holders never
    /// overlap (from claim to end), and its tokens only grow.
    @Test("one live holder per id at every moment, tokens only growing, whatever the seeded run does", arguments: [UInt64(42), 7])
    func seededRun(seed: UInt64) async throws {
        let cluster = try await EtcdCluster.start(members: 3)
        defer { cluster.stop() }
        let history = History()
        var random = SeededGenerator(seed: seed)
        let ids = (0..<12).map { "id-\($0)" }
        let ttl = Slowdown.scaled(3)
        func client(_ member: Int) -> EtcdClient {
            EtcdClient(endpoints: [cluster.endpoints[member]], requestTimeout: Slowdown.scaled(.milliseconds(300)),
                       watchProbeInterval: Slowdown.scaled(.milliseconds(300)))
        }
        var nodes: [Node?] = []
        var incarnations = [0, 0, 0]
        for member in 0..<3 {
            // The short request timeout is for noticing partitions quickly; beside the
            // rest of the suite, a node's first lease or read can outlast it. The run
            // starts from three nodes, so a start that times out is tried again.
            var started: Node?
            var attempts: [ClusterError] = []
            while started == nil {
                do {
                    started = try await Node.start("n\(member).0", client: client(member), prefix: "h/", ttl: ttl, history: history)
                } catch let error as ClusterError where error.code == .unavailable && attempts.count < 4 {
                    attempts.append(error)
                }
            }
            nodes.append(started)
        }
        var actions: [String] = []
        var calls: [Task<Void, Never>] = []
        var partition: (member: Int, until: ContinuousClock.Instant)?
        var partitions = 0

        // 600 actions, and on until the last partition has healed.
        var step = 0
        while step < 600 || partition != nil {
            step += 1
            if let cut = partition, ContinuousClock.now >= cut.until {
                cluster.resume(cut.member)
                actions.append("heal \(cut.member)")
                partition = nil
            }
            let roll = Int.random(in: 0..<100, using: &random)
            let index = Int.random(in: 0..<3, using: &random)
            switch (roll, nodes[index]) {
            case (0..<66, let node?):
                // Claims run concurrently: several are in flight at any time.
                let id = ids.randomElement(using: &random)!
                actions.append("lookupOrStart \(id) on \(index)")
                calls.append(Task { _ = try? await node.lookupOrStart(id) })
            case (66..<80, let node?):
                let holders = node.registry.registry.select { name, pid, _ in (name, pid) }.sorted { $0.0 < $1.0 }
                if let (name, pid) = holders.isEmpty ? nil : holders[Int.random(in: 0..<holders.count, using: &random)] {
                    actions.append("kill \(name) on \(index)")
                    Process.exit(pid, .kill)
                }
            case (80..<82, let node?) where partition?.member != index:
                // (A cut-off node is left to fence itself.)
                actions.append("crash \(index)")
                node.registry.abandon()
                try? await node.root.stop()
                nodes[index] = nil
            case (82..<83, let node?) where partition?.member != index:
                actions.append("stop \(index)")
                await node.stop()
                nodes[index] = nil
            case (83..<90, nil):
                // A node comes back (under a new name: its old lease may still stand).
                incarnations[index] += 1
                let name = "n\(index).\(incarnations[index])"
                actions.append("start \(name)")
                nodes[index] = try? await Node.start(name, client: client(index), prefix: "h/", ttl: ttl, history: history)
            case (90..<95, let node?) where partition == nil:
                // A node that holds names is cut off (it takes a few free ones first).
                for id in ids.filter({ node.registry.lookup($0) == nil }).shuffled(using: &random).prefix(3) {
                    actions.append("lookupOrStart \(id) on \(index), awaited")
                    _ = try? await node.lookupOrStart(id)
                }
                // Longer than the fence deadline (2 s, 2/3 of the TTL): the cut-off node must
                // fence; often long enough for its lease to expire on the majority side
                // (etcd extends every lease when a new leader is elected: a TTL after
                // the election) and its names to move.
                let length = Slowdown.scaled(.milliseconds(Int.random(in: 2_500..<6_000, using: &random)))
                actions.append("partition \(index) for \(length)")
                cluster.pause(index)
                partition = (index, ContinuousClock.now + length)
                partitions += 1
            default:
                break
            }
            try await Task.sleep(for: .milliseconds(Int.random(in: 0..<20, using: &random)))
        }
        if let cut = partition { cluster.resume(cut.member) }
        for call in calls { await call.value }
        for node in nodes.compactMap({ $0 }) { await node.stop() }

        let events = history.all.map(\.event)
        let fences = events.filter { $0 == .fenced }.count
        let claims = events.filter { if case .claimed = $0 { return true } else { return false } }.count
        let violations = history.violations()
        #expect(violations.isEmpty, "seed \(seed): \(violations); actions: \(actions)")
        // The run did what it is for: names changed hands, and cut-off nodes fenced.
        #expect(claims > ids.count, "seed \(seed): only \(claims) claims")
        #expect(partitions == 0 || fences > 0, "seed \(seed): \(partitions) partitions and no fence; actions: \(actions)")
    }
}
