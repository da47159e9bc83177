import PoolInspector
import Supervision
import WorkerRegistry

/// The built-in demo, written as any app would be on the package API: a supervision tree
/// with two pools and a registry, traffic, and an inspector that serves them.
///
/// ```
/// root (Supervisor, one_for_one)
/// ├─ registry phones     (Registry host)          ids: phone numbers (String)
/// ├─ pool phones         (DynamicSupervisor of PhoneLine workers)
/// ├─ registry rooms
/// ├─ pool rooms          (DynamicSupervisor of ConferenceRoom workers)  ids: Int
/// ├─ registry topics     (duplicate: each line subscribes to its region)
/// └─ loadgen             (LoadGenerator: lookupOrStart traffic and crashes)
/// ```
package final class DemoApp: Sendable {
    /// The runtime the demo's processes run on.
    package let runtime: Runtime
    /// The `phones` pool: `PhoneLine` workers by phone number, each registered with its plan.
    package let phones: WorkerPool<PhoneLine, String, String>
    /// The `rooms` pool: `ConferenceRoom` workers by room number, each registered with its capacity.
    package let rooms: WorkerPool<ConferenceRoom, Int, String>
    /// The `topics` registry (duplicate keys): each phone line subscribes to its region.
    package let topics: Registry<String, String>
    /// The root supervisor (one for one) of the registries, the pools and the load generator.
    package let root: Supervisor
    /// The inspector that watches `phones`, `rooms` and `topics`.
    package let inspector: Inspector
    /// The options the demo was started with.
    package let options: DemoOptions

    private init(runtime: Runtime, phones: WorkerPool<PhoneLine, String, String>, rooms: WorkerPool<ConferenceRoom, Int, String>,
                 topics: Registry<String, String>, root: Supervisor, inspector: Inspector, options: DemoOptions) {
        self.runtime = runtime
        self.phones = phones
        self.rooms = rooms
        self.topics = topics
        self.root = root
        self.inspector = inspector
        self.options = options
    }

    /// Starts the demo tree and its inspector (not yet serving a socket: call
    /// `inspector.start()` for that).
    package static func start(options: DemoOptions, name: String = "demo", runtime: Runtime,
                             inspector inspectorOptions: Inspector.Options = Inspector.Options(commands: .all)) async throws -> DemoApp {
        let poolOptions = WorkerPool<PhoneLine, String, String>.Options(
            restart: options.restart, shutdown: .timeout(.seconds(2)), maxRestarts: options.maxRestarts, period: options.period)
        let phones = WorkerPool(PhoneLine.self, id: String.self, name: "phones", options: poolOptions) { _, arguments in arguments.plan }
        phones.registry.putMeta("owner", "ops")
        phones.registry.putMeta("region", "eu-west")
        let rooms = WorkerPool(ConferenceRoom.self, id: Int.self, name: "rooms",
                               options: .init(restart: .transient, maxRestarts: 5, period: .seconds(10))) { room, _ in
            "capacity \(4 + room % 3 * 4)"
        }
        let topics = Registry<String, String>(keys: .duplicate, partitions: 2, name: "topics")
        let inspector = Inspector(name: name, runtime: runtime, options: inspectorOptions)
        try inspector.watch(phones) { number in PhoneLine.Arguments(number: number, plan: "manual · region eu", topics: topics) }
        try inspector.watch(rooms) { room in room }
        try inspector.watch(topics)
        let root = try await Supervisor.start(children: [
            phones.registry.childSpec(id: "registry phones"),
            phones.childSpec(id: "pool phones"),
            rooms.registry.childSpec(id: "registry rooms"),
            rooms.childSpec(id: "pool rooms"),
            topics.childSpec(id: "registry topics"),
            .worker(LoadGenerator.self, arguments: .init(phones: phones, rooms: rooms, topics: topics, options: options), id: "loadgen"),
        ], options: .init(strategy: .oneForOne, maxRestarts: 10, period: .seconds(30), metricsName: "demo"), runtime: runtime)
        return DemoApp(runtime: runtime, phones: phones, rooms: rooms, topics: topics, root: root, inspector: inspector, options: options)
    }

    /// Stops the inspector, then the tree, and waits for both.
    package func stop() async {
        await inspector.stop()
        try? await root.stop(.shutdown)
    }
}
