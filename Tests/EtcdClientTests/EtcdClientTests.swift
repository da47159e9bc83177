import EtcdClient
import EtcdTesting
import TestSupport
import Testing

@Suite("EtcdClient: leases, claims, ranges and watches through etcd's JSON gateway",
       .enabled(if: EtcdCluster.runs, "etcd is not on PATH: install Debian's etcd-server to run the etcd tests"),
       .timeLimit(.minutes(Slowdown.scaled(2))))
struct EtcdClientTests {
    @Test("a lease is granted with its TTL, renewed, and once revoked it is not found")
    func leases() async throws {
        let cluster = try await EtcdCluster.start()
        defer { cluster.stop() }
        let client = cluster.client()
        let lease = try await client.grantLease(ttl: 5)
        #expect(lease.ttl == 5)
        let renewed = try await client.keepAlive(lease.id)
        #expect(renewed > 0 && renewed <= 5)
        try await client.revoke(lease.id)
        do {
            _ = try await client.keepAlive(lease.id)
            Issue.record("a revoked lease was renewed")
        } catch {
            #expect(error.code == .leaseNotFound, "\(error)")
        }
        #expect(try await client.timeToLive(lease.id) == nil)
    }

    @Test("a claim succeeds only on a free key; its create revision is a token that grows with every new holder")
    func claims() async throws {
        let cluster = try await EtcdCluster.start()
        defer { cluster.stop() }
        let client = cluster.client()
        let a = try await client.grantLease(ttl: 30), b = try await client.grantLease(ttl: 30)
        guard case .claimed(let first) = try await client.claim("pool/alice", value: Array("node-a".utf8), lease: a.id) else {
            Issue.record("a free key was not claimed")
            return
        }
        guard case .held(let holder) = try await client.claim("pool/alice", value: Array("node-b".utf8), lease: b.id) else {
            Issue.record("a held key was claimed twice")
            return
        }
        #expect(holder.lease == a.id && holder.createRevision == first && holder.value == Array("node-a".utf8))
        // A retry of a's claim (after a timeout, say) is recognised as a's own.
        #expect(try await client.claim("pool/alice", value: Array("node-a".utf8), lease: a.id) == .claimed(revision: first))

        try await client.revoke(a.id)  // a's node is gone: its names are free
        guard case .claimed(let second) = try await client.claim("pool/alice", value: Array("node-b".utf8), lease: b.id) else {
            Issue.record("a freed key was not claimed")
            return
        }
        #expect(second > first, "the token grows: \(first) then \(second)")
        #expect(try await client.release("pool/alice", revision: first) == false, "a stale holder cannot delete the new holder's key")
        #expect(try await client.get("pool/alice")?.lease == b.id)
        #expect(try await client.release("pool/alice", revision: second))
        #expect(try await client.get("pool/alice") == nil)
    }

    @Test("a range lists a prefix in key order; a watch from the next revision sees puts and the deletes of an expired lease")
    func rangeAndWatch() async throws {
        let cluster = try await EtcdCluster.start()
        defer { cluster.stop() }
        let client = cluster.client()
        // Long enough that the claims and the range below land well before it expires.
        let lease = try await client.grantLease(ttl: Slowdown.scaled(5))
        for name in ["b", "a", "c"] { _ = try await client.claim("pool/\(name)", value: [], lease: lease.id) }
        try await client.put("other/x", value: [1])
        let (keyValues, revision) = try await client.range(prefix: "pool/")
        #expect(keyValues.map(\.key) == ["pool/a", "pool/b", "pool/c"])

        var updates = client.watch(prefix: "pool/", from: revision + 1).makeAsyncIterator()
        var seen: [String] = []
        // Not renewed, the lease expires on etcd's own clock, and its keys go with it.
        try await client.put("pool/d", value: Array("late".utf8))
        while seen.count < 4, let update = await updates.next() {
            guard case .events(let events, _) = update else { continue }
            for event in events { seen.append("\(event.kind == .put ? "put" : "delete") \(event.keyValue.key)") }
        }
        #expect(seen.first == "put pool/d")
        #expect(Set(seen.dropFirst()) == ["delete pool/a", "delete pool/b", "delete pool/c"])
        #expect(try await client.range(prefix: "pool/").keyValues.map(\.key) == ["pool/d"])
    }

    @Test("requests fail over to a member that answers; with none, a clear unavailable error")
    func failover() async throws {
        let cluster = try await EtcdCluster.start()
        defer { cluster.stop() }
        let dead = EtcdEndpoint(host: "127.0.0.1", port: try EtcdCluster.freePort())
        let client = EtcdClient(endpoints: [dead] + cluster.endpoints, requestTimeout: Slowdown.scaled(.seconds(2)))
        let lease = try await client.grantLease(ttl: 5)
        guard case .claimed = try await client.claim("k", value: [], lease: lease.id) else {
            Issue.record("a free key was not claimed through the member that answers")
            return
        }
        let nowhere = EtcdClient(endpoints: [dead, EtcdEndpoint(host: "127.0.0.1", port: try EtcdCluster.freePort())])
        do {
            _ = try await nowhere.grantLease(ttl: 5)
            Issue.record("a lease from no etcd at all")
        } catch {
            #expect(error.code == .unavailable && error.message.contains("no etcd member answered"), "\(error)")
        }
    }

    @Test("endpoints parse from --etcd lists, and a bad one says what is wrong")
    func endpoints() throws {
        #expect(try EtcdEndpoint.list("http://127.0.0.1:2379, http://10.0.0.2:2379/") == [
            EtcdEndpoint(host: "127.0.0.1", port: 2379), EtcdEndpoint(host: "10.0.0.2", port: 2379),
        ])
        #expect(throws: EtcdError.self) { try EtcdEndpoint(parsing: "https://a:1") }
        #expect(throws: EtcdError.self) { try EtcdEndpoint(parsing: "http://nohost") }
        #expect(throws: EtcdError.self) { try EtcdEndpoint.list("") }
    }

    @Test("on three members, two clients on different members racing for 200 keys: every key has exactly one holder")
    func threeMembersOneHolder() async throws {
        let cluster = try await EtcdCluster.start(members: 3)
        defer { cluster.stop() }
        let first = EtcdClient(endpoints: [cluster.endpoints[0]], requestTimeout: Slowdown.scaled(.seconds(2)))
        let second = EtcdClient(endpoints: [cluster.endpoints[2]], requestTimeout: Slowdown.scaled(.seconds(2)))
        let leases = [try await first.grantLease(ttl: Slowdown.scaled(30)), try await second.grantLease(ttl: Slowdown.scaled(30))]
        let wins = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for (index, client) in [first, second].enumerated() {
                group.addTask {
                    var won = 0
                    for key in 0..<200 {
                        if case .claimed = try await client.claim("race/\(key)", value: [UInt8(index)], lease: leases[index].id) { won += 1 }
                    }
                    return (index, won)
                }
            }
            var wins = [0, 0]
            for try await (index, won) in group { wins[index] = won }
            return wins
        }
        #expect(wins[0] + wins[1] == 200, "each key won once: \(wins)")
        let held = try await first.range(prefix: "race/").keyValues
        #expect(held.count == 200)
        #expect(held.filter { $0.lease == leases[0].id }.count == wins[0])
    }

    @Test("a watch whose member stops serving (paused, the stream left open) moves to a member that serves, and misses nothing")
    func watchLeavesASilentMember() async throws {
        let cluster = try await EtcdCluster.start(members: 3)
        defer { cluster.stop() }
        let watcher = EtcdClient(endpoints: cluster.endpoints, requestTimeout: Slowdown.scaled(.milliseconds(500)),
                                 watchProbeInterval: Slowdown.scaled(.milliseconds(200)))
        let writer = EtcdClient(endpoints: Array(cluster.endpoints[1...]), requestTimeout: Slowdown.scaled(.seconds(2)))
        let (_, revision) = try await writer.range(prefix: "w/")
        var updates = watcher.watch(prefix: "w/", from: revision + 1).makeAsyncIterator()
        guard case .watching = await updates.next() else {
            Issue.record("the watch did not start")
            return
        }
        try await writer.put("w/before", value: [1])
        var seen: [String] = []
        while seen.isEmpty, let update = await updates.next() {
            if case .events(let events, _) = update { seen += events.map(\.keyValue.key) }
        }
        // The watch is on member 0 (the first endpoint). Paused, it keeps the connection
        // open and says nothing; the other two still make a quorum and take writes.
        cluster.pause(0)
        defer { cluster.resume(0) }
        try await writer.put("w/during", value: [2])
        var interrupted = false
        while seen.count < 2, let update = await updates.next() {
            switch update {
            case .events(let events, _): seen += events.map(\.keyValue.key)
            case .interrupted: interrupted = true
            default: break
            }
        }
        #expect(interrupted, "the silent member was left")
        #expect(seen == ["w/before", "w/during"])
    }
}
