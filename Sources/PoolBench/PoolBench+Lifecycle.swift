import Supervision
import WorkerRegistry

/// Section 5: kill → lookup no longer returns the pid, and kill → DOWN.
func killSection(_ reporter: Reporter, _ sizes: Sizes, _ runtime: Runtime) async throws {
    let samples = sizes.killSamples
    var firstPollGone = 0
    var total = 0
    try await reporter.runMulti([
        ("kill_cleanup_lookup_gone_median", "us"), ("kill_cleanup_lookup_gone_p99", "us"),
        ("kill_down_median", "us"), ("kill_down_p99", "us"),
    ]) { _ in
        let registry = BenchRegistry(keys: .unique, name: "kill")
        let supervisor = try await DynamicSupervisor.start(runtime: runtime)
        for id in 0..<(2 * samples) { try await supervisor.startChild(workerSpec(id, registry: registry)) }
        let (gone, down, immediate) = try await asProcess(runtime) { inbox -> ([Double], [Double], Int) in
            var gone: [Double] = []
            var immediate = 0
            for id in 0..<samples {
                let pid = registry.whereis(id)!
                let start = now()
                Process.exit(pid, .kill)
                var polls = 0
                while !registry.lookup(id).isEmpty { polls += 1 }
                gone.append(Double(now() - start) / 1000)
                if polls == 0 { immediate += 1 }
            }
            var down: [Double] = []
            for id in samples..<(2 * samples) {
                let pid = registry.whereis(id)!
                let ref = try Process.monitor(pid)
                let start = now()
                Process.exit(pid, .kill)
                let message = try await inbox.receive { if case .down(let got, _) = $0 { return got == ref } else { return false } }
                down.append(Double(now() - start) / 1000)
                guard case .down(_, .killed) = message else { reporter.check(false, "DOWN reason was not killed"); continue }
            }
            return (gone, down, immediate)
        }
        firstPollGone += immediate
        total += samples
        reporter.check(registry.count() == 0, "kill: registry empty after all kills (count=\(registry.count()))")
        try await supervisor.stop()
        return [
            "kill_cleanup_lookup_gone_median": median(gone), "kill_cleanup_lookup_gone_p99": percentile(gone, 0.99),
            "kill_down_median": median(down), "kill_down_p99": percentile(down, 0.99),
        ]
    }
    reporter.info("[5] \(samples) kill→lookup-empty samples + \(samples) kill→DOWN samples per rep; temporary workers; busy-poll lookup")
    reporter.check(firstPollGone == total, "kill: lookup was already empty on the first poll after kill returned in \(firstPollGone) of \(total) samples")
}

/// Section 6: kill a permanent named worker → lookup returns a new pid.
func restartSection(_ reporter: Reporter, _ sizes: Sizes, _ runtime: Runtime) async throws {
    let samples = sizes.restartSamples
    try await reporter.runMulti([("restart_latency_median", "us"), ("restart_latency_p99", "us")]) { _ in
        let registry = BenchRegistry(keys: .unique, name: "restart")
        let supervisor = try await DynamicSupervisor.start(
            options: .init(maxRestarts: 1_000_000, period: .seconds(1)), runtime: runtime)
        let key = -1
        try await supervisor.startChild(workerSpec(key, registry: registry, restart: .permanent))
        let latencies = try await asProcess(runtime) { _ -> [Double] in
            var latencies: [Double] = []
            for _ in 0..<samples {
                let old = registry.whereis(key)!
                let start = now()
                Process.exit(old, .kill)
                while true {
                    if let new = registry.whereis(key), new != old { break }
                }
                latencies.append(Double(now() - start) / 1000)
            }
            return latencies
        }
        try await supervisor.sync()
        reporter.check(supervisor.countChildren().active == 1, "restart: one active child")
        try await supervisor.stop()
        return ["restart_latency_median": median(latencies), "restart_latency_p99": percentile(latencies, 0.99)]
    }
    reporter.info("[6] \(samples) samples per rep: kill permanent via-named worker → lookup returns a new pid")
}

/// Section 7: start_child + terminate_child, sequential.
func churnSection(_ reporter: Reporter, _ sizes: Sizes, _ runtime: Runtime) async throws {
    let cycles = sizes.churnCycles
    try await reporter.runMulti([
        ("churn_start_stop", "cycles/s"), ("churn_registry_count_right_after", "keys"),
        ("churn_mem_before", "bytes"), ("churn_mem_after", "bytes"),
    ]) { _ in
        let registry = BenchRegistry(keys: .unique, name: "churn")
        let supervisor = try await DynamicSupervisor.start(runtime: runtime)
        let before = MemoryReading.now()
        let elapsed = try await asProcess(runtime) { _ -> UInt64 in
            let start = now()
            for id in 0..<cycles {
                let pid = try await supervisor.startChild(workerSpec(id, registry: registry)).pid!
                try await supervisor.terminateChild(pid)
            }
            return now() - start
        }
        let countRightAfter = registry.count()
        reporter.check(supervisor.countChildren().active == 0, "churn: no active child after the loop")
        let after = MemoryReading.now()
        try await supervisor.stop()
        return [
            "churn_start_stop": Double(cycles) / (Double(elapsed) / 1e9),
            "churn_registry_count_right_after": Double(countRightAfter),
            "churn_mem_before": before.heap, "churn_mem_after": after.heap,
        ]
    }
    reporter.info("[7] \(cycles) sequential startChild+terminateChild cycles per rep; 'right_after' = count read right after the last terminateChild returned; mem = C heap in use")
}
