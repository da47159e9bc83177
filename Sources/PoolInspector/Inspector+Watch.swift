import InspectorProtocol
import Supervision
import WorkerRegistry

extension Inspector {
    /// Watches a pool: its workers, its supervisor's counts and restart intensity, and
    /// the commands the inspector allows on them. `lookupOrStart` is not offered (the
    /// inspector does not know how to make a new worker's arguments; use
    /// ``watch(_:as:newWorker:)``).
    ///
    /// - Parameters:
    ///   - pool: the pool to watch.
    ///   - name: the name clients see (default: the pool's).
    /// - Throws: ``InspectorError/Code/duplicateName`` if that name is watched already.
    /// - Complexity: O(1) for the caller; the first look at the n workers it holds now,
    ///   O(n log n), runs on a thread of its own (``waitUntilIndexed()``).
    public func watch<Worker, Adapter>(_ pool: RegistrationPool<Worker, Adapter>, as name: String? = nil) throws(InspectorError) {
        try watch(pool, as: name, start: nil)
    }

    /// Watches a pool and lets clients `lookupOrStart` an id they type (if
    /// ``Options/commands`` allows it): the id is parsed with `ID(text)` and started
    /// with the arguments `newWorker` makes.
    public func watch<Worker, Adapter>(
        _ pool: RegistrationPool<Worker, Adapter>, as name: String? = nil,
        newWorker: @escaping @Sendable (Adapter.Name) -> Worker.Arguments
    ) throws(InspectorError) where Adapter.Name: LosslessStringConvertible {
        try watch(pool, as: name, parseID: { Adapter.Name($0) }, newWorker: newWorker)
    }

    /// Watches a pool and lets clients `lookupOrStart` an id they type, parsed by
    /// `parseID` (`nil`: not an id) and started with the arguments `newWorker` makes.
    public func watch<Worker, Adapter>(
        _ pool: RegistrationPool<Worker, Adapter>, as name: String? = nil,
        parseID: @escaping @Sendable (String) -> Adapter.Name?,
        newWorker: @escaping @Sendable (Adapter.Name) -> Worker.Arguments
    ) throws(InspectorError) {
        let shown = name ?? pool.name
        try watch(pool, as: name) { text throws(ProtocolError) in
            guard let id = parseID(text) else {
                throw ProtocolError(.invalid, "\"\(text)\" is not an id of \(shown) (\(Adapter.Name.self))")
            }
            do {
                let placement = try await pool.lookupOrStart(id, arguments: newWorker(id))
                return (String(describing: placement), placement.localPID)
            } catch {
                throw ProtocolError(.commandFailed, "lookupOrStart \(text) failed: \(error)")
            }
        }
    }

    private func watch<Worker, Adapter>(
        _ pool: RegistrationPool<Worker, Adapter>, as name: String?,
        start: (@Sendable (String) async throws(ProtocolError) -> (placement: String, pid: PID?))?
    ) throws(InspectorError) {
        let hooks = RegistryWatch<Adapter.Name, Adapter.HolderValue>.PoolHooks(
            supervisor: { pool.supervisor }, start: start, worker: String(describing: Worker.self))
        try add(RegistryWatch(
            name: name ?? pool.name, registry: pool.registry, pool: hooks, allowed: options.commands.kinds,
            readOnlyReason: nil, clock: runtime.clock, tombstoneTime: options.tombstoneTime, log: service.log,
            wake: service.wake))
    }

    /// Watches a registry: its entries (a duplicate registry: one row per key and
    /// process), its meta, and the commands the inspector allows (kill, crash, put
    /// meta; stop and `lookupOrStart` need a pool).
    ///
    /// - Complexity: O(1) for the caller; the first look at the n entries it holds now,
    ///   O(n log n), runs on a thread of its own (``waitUntilIndexed()``).
    public func watch<Key, Value>(_ registry: Registry<Key, Value>, as name: String? = nil) throws(InspectorError) {
        try add(RegistryWatch<Key, Value>(
            name: name ?? registry.name, registry: registry, pool: nil, allowed: options.commands.kinds,
            readOnlyReason: nil, clock: runtime.clock, tombstoneTime: options.tombstoneTime, log: service.log,
            wake: service.wake))
    }

    private func add(_ watch: any Watch) throws(InspectorError) {
        do {
            try service.add(watch)
        } catch {
            watch.close()
            throw error
        }
    }
}
