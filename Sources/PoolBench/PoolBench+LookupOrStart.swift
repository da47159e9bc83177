import Supervision
import WorkerRegistry

typealias BenchPool = WorkerPool<BenchWorker, Int, Void>

func makePool(_ runtime: Runtime, name: String = "bench", restart: RestartPolicy = .temporary) async throws -> BenchPool {
    let pool = BenchPool(BenchWorker.self, id: Int.self, name: name,
                         options: .init(restart: restart, maxRestarts: 1_000_000, period: .seconds(1)))
    try await pool.start(runtime: runtime)
    return pool
}

/// Sections 4 and 9 of the reference: lookupOrStart misses and hits, the two-caller race,
/// and call round trips by pid and by via name.
func lookupOrStartSection(_ reporter: Reporter, _ sizes: Sizes, _ runtime: Runtime) async throws {
    let workers = sizes.poolWorkers

    // (b) all misses: fresh workers, fresh pool per repetition.
    try await reporter.run("lookup_or_start_miss_start", "us/start") { _ in
        try await asProcess(runtime) { _ in
            let pool = try await makePool(runtime)
            let start = now()
            var started = 0
            for id in 0..<workers {
                _ = try await pool.lookupOrStart(id, arguments: id, timeout: .infinity)
                started += 1
            }
            let elapsed = now() - start
            reporter.check(started == workers && pool.count() == workers
                           && pool.supervisor?.countChildren().active == workers,
                           "lookup_or_start_miss_start: started=\(started) count=\(pool.count())")
            await pool.stopPool()
            return Double(elapsed) / Double(workers) / 1000
        }
    }

    // (a) all hits over running workers.
    let pool = try await makePool(runtime)
    let setup = now()
    for id in 0..<workers { _ = try await pool.lookupOrStart(id, arguments: id, timeout: .infinity) }
    reporter.info("[4a] setup: started \(workers) workers via lookupOrStart in \(Double(now() - setup) / 1e6) ms")
    let ids = randomKeys(sizes.hitLookups, base: 0, space: workers, seed: 456)
    try await asProcess(runtime) { _ in
        try await reporter.run("lookup_or_start_hit", "ns/op") { _ in
            let start = now()
            var hits = 0
            for id in ids where try await pool.lookupOrStart(id, arguments: id, timeout: .infinity).serial != 0 { hits += 1 }
            let elapsed = now() - start
            reporter.check(hits == ids.count && pool.count() == workers, "lookup_or_start_hit: \(hits) hits, count=\(pool.count())")
            return Double(elapsed) / Double(ids.count)
        }

        // 9: call round trip through a via name and by pid.
        let calls = sizes.calls
        let target = workers / 2
        let via = ServerRef<BenchWorker>(name: pool.registry.via(target))
        let direct = ServerRef<BenchWorker>(pid: pool.lookup(target)!)
        for _ in 0..<(calls / 10) {
            _ = try await via.call(.ping)
            _ = try await direct.call(.ping)
        }
        try await reporter.runMulti([("call_roundtrip_via", "ns/op"), ("call_roundtrip_pid", "ns/op")]) { _ in
            var start = now()
            for _ in 0..<calls where try await via.call(.ping) != .pong { reporter.check(false, "bad reply") }
            let viaTime = now() - start
            start = now()
            for _ in 0..<calls where try await direct.call(.ping) != .pong { reporter.check(false, "bad reply") }
            let pidTime = now() - start
            return ["call_roundtrip_via": Double(viaTime) / Double(calls), "call_roundtrip_pid": Double(pidTime) / Double(calls)]
        }
        reporter.info("[9] \(calls) calls per rep per variant, single caller process, target worker \(target) of \(workers); default 5 s timeout as GenServer.call")
    }
    await pool.stopPool()

    // (c) two callers race over the same ids, in the same order.
    let raceIDs = sizes.raceIDs
    var allVerified = true
    await reporter.run("lookup_or_start_race_2callers_per_id", "us/id") { _ in
        do {
            let pool = try await makePool(runtime)
            let ready = Barrier(parties: 3)
            let go = Barrier(parties: 3)
            let (results, sink) = AsyncStream<[PID]>.makeStream()
            for _ in 0..<2 {
                Process.spawn(runtime: runtime) { _ in
                    await ready.arriveAndWait()
                    await go.arriveAndWait()
                    var pids: [PID] = []
                    pids.reserveCapacity(raceIDs)
                    for id in 0..<raceIDs {
                        if let pid = try? await pool.lookupOrStart(id, arguments: id, timeout: .infinity) { pids.append(pid) }
                    }
                    sink.yield(pids)
                }
            }
            await ready.arriveAndWait()
            let start = now()
            await go.arriveAndWait()
            var lists: [[PID]] = []
            for await list in results {
                lists.append(list)
                if lists.count == 2 { break }
            }
            let elapsed = now() - start
            let active = pool.supervisor?.countChildren().active ?? -1
            let alive = Set(lists[0]).filter(\.isAlive).count
            let verified = lists[0] == lists[1] && pool.count() == raceIDs && active == raceIDs && alive == raceIDs
            reporter.info("[4c] rep: registry_count=\(pool.count()) sup_active=\(active) distinct_alive_pids=\(alive) callers_agree=\(lists[0] == lists[1]) verified=\(verified)")
            allVerified = allVerified && verified
            await pool.stopPool()
            return Double(elapsed) / Double(raceIDs) / 1000
        } catch {
            allVerified = false
            return .nan
        }
    }
    reporter.emit("lookup_or_start_race_exactly_\(raceIDs)_workers_all_reps", allVerified)
    reporter.check(allVerified, "lookup_or_start_race: exactly \(raceIDs) workers, callers agree, every rep")
}
