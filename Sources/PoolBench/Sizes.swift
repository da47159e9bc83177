/// Workload sizes: the OTP reference's, or small ones for `--quick`.
struct Sizes: Sendable {
    var registryKeys: Int
    var lookups: Int
    var registerPairs: Int
    var poolWorkers: Int
    var hitLookups: Int
    var calls: Int
    var raceIDs: Int
    var killSamples: Int
    var restartSamples: Int
    var churnCycles: Int
    var idleWorkers: Int
    var stopChildren: [Int]
    var soakCycles: Int
    var soakIDs: Int
    var dashboardWorkers: Int
    /// Casts per rep (and the baselines' operations); ping-pong rounds are half of it.
    var messages: Int
    /// Leaves of the skynet tree (a power of ten).
    var skynetLeaves: Int

    static let full = Sizes(
        registryKeys: 100_000, lookups: 1_000_000, registerPairs: 1_000_000,
        poolWorkers: 100_000, hitLookups: 1_000_000, calls: 500_000, raceIDs: 10_000,
        killSamples: 10_000, restartSamples: 1_000, churnCycles: 100_000,
        idleWorkers: 1_000_000, stopChildren: [5_000, 10_000, 20_000],
        soakCycles: 10_000_000, soakIDs: 10_000, dashboardWorkers: 1_000_000,
        messages: 1_000_000, skynetLeaves: 1_000_000)

    static let quick = Sizes(
        registryKeys: 2_000, lookups: 20_000, registerPairs: 20_000,
        poolWorkers: 2_000, hitLookups: 20_000, calls: 10_000, raceIDs: 500,
        killSamples: 300, restartSamples: 50, churnCycles: 2_000,
        idleWorkers: 5_000, stopChildren: [500, 1_000, 2_000],
        soakCycles: 20_000, soakIDs: 500, dashboardWorkers: 10_000,
        messages: 20_000, skynetLeaves: 10_000)
}
