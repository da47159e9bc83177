import Supervision

/// The one OS thread (a ``SingleThreadExecutor``) every inspector of the process does its work on: each session's
/// requests (scans of a million-row index, a worker's state), its replies, the event
/// listener and the background drain of registry changes.
///
/// Without it that work ran on Swift's cooperative pool, beside the app's own tasks: 16
/// clients asking for rows under filters nobody used before kept every cooperative thread
/// scanning, and a request of the app waited behind them (`pool-bench inspector` at a
/// million workers: `inspector_hostile_los_hit_p99` 122 ms, 8,274 times its idle figure).
/// On its own thread the inspector takes at most that one thread from the app, whatever its
/// clients do; they wait for one another instead. (It keeps the default priority: at nice
/// 10 it starved behind a busy process, and a dashboard's hello timed out.)
///
/// Started on first use and never stopped (as swift-nio's singleton event loops): work that
/// outlives an inspector (a session ending after `stop()`) always has a thread to finish
/// on. An idle executor sleeps and costs no CPU.
enum InspectorExecutor {
    /// The process's inspector thread.
    static let shared = SingleThreadExecutor("the inspector thread")
}
