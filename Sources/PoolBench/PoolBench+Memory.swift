import CBenchProbes
import Supervision
import WorkerRegistry

/// Section 8: a million idle named workers — memory per worker and start time.
func idleSection(_ reporter: Reporter, _ sizes: Sizes, _ runtime: Runtime) async throws {
    let count = sizes.idleWorkers
    try await reporter.runMulti([
        ("idle_process_memory_bytes_per_worker", "bytes/worker"),
        ("idle_process_memory_resident_bytes_per_worker", "bytes/worker"),
        ("idle_process_start_total", "s"),
        ("idle_process_start_per_worker", "us/worker"),
    ]) { _ in
        let registry = BenchRegistry(keys: .unique, name: "idle")
        let supervisor = try await DynamicSupervisor.start(runtime: runtime)
        cplatform_trim_heap()
        let before = MemoryReading.now()
        let elapsed = try await asProcess(runtime) { _ -> UInt64 in
            let start = now()
            for id in 0..<count { try await supervisor.startChild(workerSpec(id, registry: registry)) }
            return now() - start
        }
        let after = MemoryReading.now()
        reporter.check(registry.count() == count && supervisor.countChildren().active == count,
                       "idle: \(registry.count()) registered, \(supervisor.countChildren().active) active of \(count)")
        reporter.info("[8] rep: n=\(count) heap \(Int(before.heap / 1_048_576)) MB -> \(Int(after.heap / 1_048_576)) MB, resident \(Int(before.resident / 1_048_576)) MB -> \(Int(after.resident / 1_048_576)) MB, live processes \(runtime.liveProcessCount)")
        let teardown = now()
        try await supervisor.stop()
        reporter.info("[8] rep: stopping \(count) workers took \(Double(now() - teardown) / 1e9) s (not a measurement target)")
        return [
            "idle_process_memory_bytes_per_worker": (after.heap - before.heap) / Double(count),
            "idle_process_memory_resident_bytes_per_worker": (after.resident - before.resident) / Double(count),
            "idle_process_start_total": Double(elapsed) / 1e9,
            "idle_process_start_per_worker": Double(elapsed) / Double(count) / 1000,
        ]
    }
    reporter.info("[8] idle GenServer workers started by DynamicSupervisor.startChild with a registry via name; bytes_per_worker = C heap in use (glibc mallinfo2) delta / n: the process, its registry entry, its supervisor entry, its link")
}

/// The reference's extra section: stopping a DynamicSupervisor with N children.
func shutdownSection(_ reporter: Reporter, _ sizes: Sizes, _ runtime: Runtime) async throws {
    for children in sizes.stopChildren {
        let name = children == sizes.stopChildren.last ? "dynsup_stop_\(children)_children" : "dynsup_stop_\(children)_children"
        try await reporter.run(name, "ms") { _ in
            let registry = BenchRegistry(keys: .unique, name: "stop")
            let supervisor = try await DynamicSupervisor.start(runtime: runtime)
            for id in 0..<children { try await supervisor.startChild(workerSpec(id, registry: registry)) }
            let start = now()
            try await supervisor.stop()
            let elapsed = now() - start
            reporter.check(registry.count() == 0, "\(name): registry empty when stop returned")
            return Double(elapsed) / 1e6
        }
    }
    reporter.info("[extra] DynamicSupervisor.stop with N via-named workers: children are signalled at once, then awaited; linear in N")
}

/// What OTP does not measure: 10 M start/kill cycles, then nothing may be left over.
func soakSection(_ reporter: Reporter, _ sizes: Sizes, _ runtime: Runtime) async throws {
    let cycles = sizes.soakCycles
    let ids = sizes.soakIDs
    let pool = try await makePool(runtime, name: "soak")
    let liveAtStart = runtime.liveProcessCount
    let warmup = max(cycles / 100, ids * 2)
    let (before, elapsed) = try await asProcess(runtime) { _ -> (MemoryReading, UInt64) in
        for cycle in 0..<warmup {
            Process.exit(try await pool.lookupOrStart(cycle % ids, arguments: cycle, timeout: .infinity), .kill)
        }
        cplatform_trim_heap()
        let before = MemoryReading.now()
        let start = now()
        for cycle in 0..<cycles {
            Process.exit(try await pool.lookupOrStart(cycle % ids, arguments: cycle, timeout: .infinity), .kill)
        }
        return (before, now() - start)
    }
    try await pool.supervisor?.sync()
    cplatform_trim_heap()
    let after = MemoryReading.now()
    reporter.emit("soak_start_kill_10m", Double(elapsed) / 1e9, "s")
    reporter.info("[soak] \(cycles) lookupOrStart+kill cycles over \(ids) ids: \(Int(Double(cycles) / (Double(elapsed) / 1e9))) cycles/s")
    reporter.emit("soak_registry_count_after", Double(pool.count()), "keys")
    reporter.emit("soak_live_processes_delta", Double(runtime.liveProcessCount - liveAtStart), "processes")
    reporter.emit("soak_resident_before", before.resident, "bytes")
    reporter.emit("soak_resident_after", after.resident, "bytes")
    reporter.emit("soak_heap_before", before.heap, "bytes")
    reporter.emit("soak_heap_after", after.heap, "bytes")
    reporter.check(pool.count() == 0, "soak: registry count after = \(pool.count()) (must be 0)")
    reporter.check(runtime.liveProcessCount == liveAtStart, "soak: live processes \(runtime.liveProcessCount), at start \(liveAtStart)")
    let growth = (after.resident - before.resident) / before.resident
    reporter.check(growth <= 0.05, "soak: resident memory \(Int(before.resident / 1_048_576)) MB -> \(Int(after.resident / 1_048_576)) MB (\(String(format3: growth * 100)) %, must be within 5 %)")
    await pool.stopPool()
}
