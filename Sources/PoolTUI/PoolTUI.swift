import ArgumentParser

/// `pooltui`: a live terminal dashboard over a supervised worker pool.
@main
struct PoolTUI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pooltui",
        abstract: "A live dashboard over a supervised pool of workers: watch the registry clean up and the supervisor restart them.",
        discussion: """
            With no subcommand, runs the built-in demo — a root supervisor with a registry, a
            dynamic supervisor of phone-line workers and a load generator — and shows it live.
            Press ? in the dashboard for its keys.
            """,
        subcommands: [Dashboard.self, Snapshot.self, Simulate.self],
        defaultSubcommand: Dashboard.self)
}
