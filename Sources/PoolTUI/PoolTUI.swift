import ArgumentParser

/// `pooltui`: a live terminal dashboard over supervised worker pools — the built-in demo,
/// or any running app that embeds PoolInspector.
@main
struct PoolTUI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pooltui",
        abstract: "A live dashboard over supervised pools of workers: watch the registry clean up and the supervisor restart them.",
        discussion: """
            With no subcommand, runs the built-in demo app — a root supervisor with two pools of \
            workers, a registry and a load generator — and shows it live. `pooltui attach` shows \
            the same dashboard over your own running app; `pooltui ls` lists those you can attach to. \
            Press ? in the dashboard for its keys.
            """,
        subcommands: [Dashboard.self, DemoCommand.self, List.self, Attach.self, Cluster.self, Snapshot.self, Simulate.self],
        defaultSubcommand: Dashboard.self)
}
