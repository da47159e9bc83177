import Supervision
import WorkerRegistry

/// The worker of every workload: OTP reference's `Bench.Worker`, an idle GenServer that
/// answers `ping`.
struct BenchWorker: GenServer {
    typealias Arguments = Int
    enum Request: Sendable { case ping }
    enum Reply: Sendable, Equatable { case pong }

    let id: Int

    static func initialize(_ id: Int) async throws -> InitResult<BenchWorker> {
        .ok(BenchWorker(id: id))
    }

    mutating func handleCall(_ request: Request, from caller: Caller<Reply>) async throws -> CallResult<Reply> {
        .reply(.pong)
    }
}

typealias BenchRegistry = Registry<Int, Void>

/// The spec the reference's `DynamicSupervisor.start_child(sup, {W, id})` starts: a
/// worker registered under `id` by a via name.
func workerSpec(_ id: Int, registry: BenchRegistry, restart: RestartPolicy = .temporary) -> ChildSpec {
    .worker(BenchWorker.self, arguments: id, id: "worker", name: registry.via(id), restart: restart)
}
