import CoreMetrics

/// The labels and dimensions of the metrics registries and pools report through
/// swift-metrics.
///
/// A ``Registry`` and a ``WorkerPool`` make their metrics when they are created, from the
/// `MetricsFactory` they are given — by default the one `MetricsSystem.bootstrap`
/// installed, or the task-local one of `withMetricsFactory`. They never bootstrap a
/// backend themselves; with none, nothing is recorded and a lookup pays one `nil` check.
///
/// The dimensions are the registry's and the pool's names, which the application gives
/// (one per registry or pool, never a key or a pid), and a lookup's outcome.
///
/// | Label | Kind | Dimensions | Counts |
/// |---|---|---|---|
/// | `registry_entries` | meter | `registry` | entries in the registry |
/// | `pool_lookup_or_start_total` | counter | `pool`, `result` (`hit`, `miss`) | `lookupOrStart` calls that found a worker, or did not |
/// | `pool_start_failures_total` | counter | `pool` | worker starts that failed (`lookupOrStart` and `start`) |
/// | `pool_start_duration_seconds` | timer | `pool` | how long a worker's start took, from the miss to its pid |
public enum WorkerRegistryMetrics {
    /// Entries in a registry, with the `registry` dimension: a meter that moves as keys
    /// are registered and removed (also when their process exits).
    public static let entries = "registry_entries"
    /// `lookupOrStart` calls, with the `pool` and `result` dimensions.
    public static let lookupOrStart = "pool_lookup_or_start_total"
    /// Worker starts that failed, with the `pool` dimension. A `start` that finds the id
    /// taken (`StartError/alreadyStarted(_:)`) is not a failure.
    public static let startFailures = "pool_start_failures_total"
    /// How long worker starts took, with the `pool` dimension; recorded for starts that
    /// returned a pid.
    public static let startDuration = "pool_start_duration_seconds"

    /// The dimension naming a registry (its ``Registry/name``).
    public static let registryDimension = "registry"
    /// The dimension naming a pool (its ``RegistrationPool/name``).
    public static let poolDimension = "pool"
    /// The dimension telling a hit from a miss.
    public static let resultDimension = "result"
}

/// A pool's metrics, made once when the pool is created.
@usableFromInline
final class PoolInstruments: Sendable {
    @usableFromInline let hits: Counter
    @usableFromInline let misses: Counter
    @usableFromInline let startFailures: Counter
    @usableFromInline let startDuration: Timer

    init(pool: String, factory: any MetricsFactory) {
        let pool = (WorkerRegistryMetrics.poolDimension, pool)
        hits = Counter(label: WorkerRegistryMetrics.lookupOrStart,
                       dimensions: [pool, (WorkerRegistryMetrics.resultDimension, "hit")], factory: factory)
        misses = Counter(label: WorkerRegistryMetrics.lookupOrStart,
                         dimensions: [pool, (WorkerRegistryMetrics.resultDimension, "miss")], factory: factory)
        startFailures = Counter(label: WorkerRegistryMetrics.startFailures, dimensions: [pool], factory: factory)
        startDuration = Timer(label: WorkerRegistryMetrics.startDuration, dimensions: [pool], factory: factory)
    }

    /// The pool's instruments, or `nil` when `factory` records nothing.
    @usableFromInline
    static func make(pool: String, factory: any MetricsFactory) -> PoolInstruments? {
        factory.recordsNothing ? nil : PoolInstruments(pool: pool, factory: factory)
    }

    /// Records a start that began at `start` and returned a pid.
    @usableFromInline
    func started(since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let (seconds, attoseconds) = elapsed.components
        startDuration.recordNanoseconds(seconds &* 1_000_000_000 &+ attoseconds / 1_000_000_000)
    }
}
