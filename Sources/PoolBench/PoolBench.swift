import ArgumentParser
import CoreMetrics
import Logging
import Prometheus
import Supervision

#if canImport(Glibc)
import Glibc
#endif

/// `pool-bench`: PoolTUI's side of the OTP reference benchmark
/// (`../shared/anchors/beam-bench.exs`), on the same workloads and sizes, printing the
/// same names. `Scripts/compare-otp.sh` runs both and prints the ratios.
@main
struct PoolBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pool-bench",
        abstract: "Benchmarks PoolTUI's runtime, registry and dashboard against the OTP reference workloads.",
        discussion: """
            Each figure is printed as `name value unit`: the median of the repetitions after a
            warm-up run. Lines starting with `#` are context (per-repetition values, setup
            times, correctness checks). A failed check makes the run exit with status 1.

            Sections: registry los kill restart churn idle extra messages soak inspector fairness cluster (default: all),
            and torture (only when named): threads and tasks at once kill, signal, crash, stop, monitor, link and
            lookupOrStart the workers of one pool for --seconds, checking the runtime's promises after each step.
            """)

    @Flag(help: "Run every workload at a small size in seconds and assert the correctness checks (used by CI).")
    var quick = false

    @Option(help: "Repetitions per figure (after one warm-up).")
    var reps: Int = 5

    @Option(help: "Run only the figures whose names start with this (repeatable), within the sections chosen: for profiling one workload.")
    var only: [String] = []

    @Flag(help: "Record every metric into a Prometheus registry (swift-prometheus), as a service that exports them would: the cost of metrics that are on. Without it no backend is bootstrapped, as in a library's default.")
    var metrics = false

    @Option(help: "How long the torture section runs, in seconds.")
    var seconds: Int = 10

    @Option(help: "The torture section's seed: the same seed makes the same choices (not the same interleavings).")
    var seed: UInt64 = 1

    @Argument(help: "Sections to run.")
    var sections: [String] = []

    mutating func run() async throws {
        let sizes = quick ? Sizes.quick : Sizes.full
        let reporter = Reporter(repetitions: quick ? min(reps, 3) : reps, only: only)
        let registry = PrometheusCollectorRegistry()
        if metrics { MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry)) }
        defer { if metrics { reporter.info("metrics: \(registry.emitToBuffer().count) bytes of Prometheus text at the end") } }
        var logger = Logger(label: "pool-bench")
        logger.logLevel = .critical
        let runtime = Runtime(logger: logger, label: "bench")
        let all = ["registry", "los", "kill", "restart", "churn", "idle", "extra", "messages", "soak", "inspector", "fairness", "cluster"]
        let chosen = sections.isEmpty ? all : sections
        for section in chosen where !all.contains(section) && section != "torture" {
            throw ValidationError("unknown section \(section); sections are \(all.joined(separator: " "))")
        }
        reporter.info("pool-bench \(quick ? "--quick" : "full") | reps=\(reporter.repetitions) (value = median of reps) | metrics=\(metrics ? "prometheus" : "none") | cpus=\(sysconf(Int32(_SC_NPROCESSORS_ONLN)))")
        let started = now()
        func section(_ name: String, _ title: String, _ body: () async throws -> Void) async throws {
            guard chosen.contains(name) else { return }
            reporter.info("---- \(title)")
            let start = now()
            try await body()
            reporter.info("---- \(title) done in \(String(format3: Double(now() - start) / 1e9)) s")
        }
        try await section("registry", "1-3 registry lookup / register") { try await registrySection(reporter, sizes, runtime) }
        try await section("los", "4+9 lookup_or_start / call roundtrip") { try await lookupOrStartSection(reporter, sizes, runtime) }
        try await section("kill", "5 kill cleanup") { try await killSection(reporter, sizes, runtime) }
        try await section("restart", "6 restart latency") { try await restartSection(reporter, sizes, runtime) }
        try await section("churn", "7 churn") { try await churnSection(reporter, sizes, runtime) }
        try await section("idle", "8 idle process memory") { try await idleSection(reporter, sizes, runtime) }
        try await section("extra", "extra: DynamicSupervisor.stop cost") { try await shutdownSection(reporter, sizes, runtime) }
        try await section("messages", "messages: casts, ping-pong, skynet, and the Swift floor") { try await messagesSection(reporter, sizes, runtime) }
        try await section("soak", "soak: start/kill cycles") { try await soakSection(reporter, sizes, runtime) }
        try await section("inspector", "inspector and an attached dashboard at scale") { try await inspectorSection(reporter, sizes, runtime) }
        try await section("fairness", "fairness: a ping beside busy processes, with the budget and without") { try await fairnessSection(reporter, sizes, logger) }
        try await section("cluster", "cluster: registration on etcd") { try await clusterSection(reporter, sizes, logger) }
        try await section("torture", "torture: promises checked under concurrent kills, exits, crashes, stops, monitors, links") {
            try await tortureSection(reporter, seconds: seconds, seed: seed, logger: logger)
        }
        reporter.info("total wall time \(String(format3: Double(now() - started) / 1e9)) s")
        if !reporter.failed.isEmpty {
            reporter.info("FAILED checks: \(reporter.failed.count)")
            throw ExitCode(1)
        }
    }
}
