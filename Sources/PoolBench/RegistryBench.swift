import Supervision
import Synchronization
import WorkerRegistry

/// Sections 1–3 of the reference: lookups (hit, miss, two callers) and register +
/// unregister, with the plain `Mutex<Dictionary>` floor measured in the same run.
func registrySection(_ reporter: Reporter, _ sizes: Sizes, _ runtime: Runtime) async throws {
    let keyCount = sizes.registryKeys
    let lookups = sizes.lookups
    let registry = BenchRegistry(keys: .unique, partitions: 1, name: "bench")
    let supervisor = try await DynamicSupervisor.start(runtime: runtime)
    let setup = now()
    for key in 0..<keyCount {
        try await supervisor.startChild(workerSpec(key, registry: registry))
    }
    reporter.info("[1-3] setup: \(keyCount) keys registered by \(keyCount) distinct idle processes in \(Double(now() - setup) / 1e6) ms; count=\(registry.count())")

    let hitKeys = randomKeys(lookups, base: 0, space: keyCount, seed: 1)
    let missKeys = randomKeys(lookups, base: keyCount, space: keyCount, seed: 2)

    try await asProcess(runtime) { _ in
        await reporter.run("registry_lookup_hit", "ns/op") { _ in
            let start = now()
            var hits = 0
            for key in hitKeys where registry.lookup(key).count == 1 { hits += 1 }
            let elapsed = now() - start
            reporter.check(hits == lookups, "registry_lookup_hit: \(hits) hits of \(lookups)")
            return Double(elapsed) / Double(lookups)
        }
        await reporter.run("registry_lookup_miss", "ns/op") { _ in
            let start = now()
            var hits = 0
            for key in missKeys where registry.lookup(key).count == 1 { hits += 1 }
            let elapsed = now() - start
            reporter.check(hits == 0, "registry_lookup_miss: \(hits) hits")
            return Double(elapsed) / Double(lookups)
        }
    }

    await reporter.run("registry_lookup_hit_2callers", "ops/s") { rep in
        let (elapsed, total) = await concurrentLookups(callers: 2, registry: registry, lookups: lookups,
                                                       keyCount: keyCount, rep: rep, runtime: runtime)
        reporter.check(total == 2 * lookups, "registry_lookup_hit_2callers: \(total) hits of \(2 * lookups)")
        return Double(total) / (Double(elapsed) / 1e9)
    }

    // The floor: a plain Mutex-guarded Dictionary of the same keys and pids, read with
    // the same lookups (a hit returns the pid, as a registry lookup does).
    let floor = Mutex<[Int: PID]>([:])
    floor.withLock { dictionary in for key in 0..<keyCount { dictionary[key] = registry.whereis(key)! } }
    await reporter.run("baseline_dictionary_lookup", "ns/op") { _ in
        let start = now()
        var hits = 0
        for key in hitKeys where floor.withLock({ $0[key] }) != nil { hits += 1 }
        let elapsed = now() - start
        reporter.check(hits == lookups, "baseline_dictionary_lookup: \(hits) hits")
        return Double(elapsed) / Double(lookups)
    }

    let pairs = sizes.registerPairs
    try await asProcess(runtime) { _ in
        for key in 50_000_000..<(50_000_000 + min(pairs, 100_000)) {
            try registry.register(key, value: ())
            registry.unregister(key)
        }
        try await reporter.run("registry_register_unregister", "ns/pair") { rep in
            let base = 10_000_000 + rep * pairs
            let start = now()
            for key in base..<(base + pairs) {
                try registry.register(key, value: ())
                registry.unregister(key)
            }
            return Double(now() - start) / Double(pairs)
        }
    }
    reporter.check(registry.count() == keyCount, "[3] after register/unregister: count=\(registry.count()) (expected \(keyCount))")
    try await supervisor.stop()
    reporter.check(registry.count() == 0, "[1-3] after stop: count=\(registry.count())")
}

/// `callers` processes, each doing `lookups` random hit lookups after a common start.
func concurrentLookups(
    callers: Int, registry: BenchRegistry, lookups: Int, keyCount: Int, rep: Int, runtime: Runtime
) async -> (elapsed: UInt64, hits: Int) {
    let ready = Barrier(parties: callers + 1)
    let go = Barrier(parties: callers + 1)
    let (results, sink) = AsyncStream<Int>.makeStream()
    for caller in 0..<callers {
        let keys = randomKeys(lookups, base: 0, space: keyCount, seed: UInt64(rep * 100 + caller + 7))
        Process.spawn(runtime: runtime) { _ in
            await ready.arriveAndWait()
            await go.arriveAndWait()
            var hits = 0
            for key in keys where registry.lookup(key).count == 1 { hits += 1 }
            sink.yield(hits)
        }
    }
    await ready.arriveAndWait()
    let start = now()
    await go.arriveAndWait()
    var total = 0
    var finished = 0
    for await hits in results {
        total += hits
        finished += 1
        if finished == callers { break }
    }
    return (now() - start, total)
}
