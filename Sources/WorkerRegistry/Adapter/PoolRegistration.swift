import Supervision

/// How a ``RegistrationPool`` registers its workers: the local ``RegistryAdapter``
/// (``WorkerPool``), or a cluster adapter whose names are held at most once across nodes
/// (`EtcdRegistration`, `ClusterPool`).
///
/// A pool needs of its adapter what every ``RegistrationAdapter`` offers — a child to
/// supervise, names to start and reach workers under — and three things more: the
/// registry of the holders on *this* node (its counts, rows, listeners and the
/// inspector's view), a placement read that never waits (the pool's hit path), and a start
/// that says whether it started a worker or found one. An adapter that is both (the
/// cluster's) implements the shared requirements once: same names, same types.
public protocol PoolRegistration: Sendable {
    /// What workers are registered under: the pool's ids.
    associatedtype Name: Hashable & Sendable
    /// What the adapter needs at run time (its registry, a cluster membership).
    associatedtype Meta: Sendable
    /// Where a name's holder lives: `PID`, or a type that can also name another node.
    associatedtype Placement: RegistrationPlacement
    /// Why a start failed.
    associatedtype Failure: RegistrationFailure
    /// What each holder on this node registers with in ``holders(meta:)``: the value a
    /// local pool computes for it, or a cluster claim's fencing token.
    associatedtype HolderValue: Sendable
    /// What the pool hands the adapter for each start: the value a local pool registers,
    /// or nothing (`Void`) for an adapter that makes its own (a token from its store).
    associatedtype Registered: Sendable

    /// The child to supervise for the adapter to work (before the pool's supervisor,
    /// under `rest_for_one`), and the adapter's metadata. A pool calls it once.
    func childSpec() -> (spec: ChildSpec, meta: Meta)

    /// A name that reaches the holder of `name` on this node (calls, casts, sends).
    func via(meta: Meta, name: Name) -> any ProcessName

    /// The registry of this node's holders: what the pool counts, lists and shows.
    func holders(meta: Meta) -> Registry<Name, HolderValue>

    /// Where `name`'s holder lives, as this node knows it: here, or (for a distributed
    /// adapter) on the node its view last saw holding it. A memory read that never waits
    /// and never throws: the pool's hit path.
    func placement(meta: Meta, name: Name) -> Placement?

    /// Starts a worker of `name` under `supervisor` unless a process already holds it —
    /// here or on another node — and says which it was.
    ///
    /// Concurrent calls for one name, from any node, start at most one process, and all
    /// answer where it lives. A holder found here counts only once it has finished
    /// starting: one that fails frees the name, and this call starts its own.
    ///
    /// - Parameters:
    ///   - meta: what ``RegistrationAdapter/childSpec()`` returned with the adapter's spec.
    ///   - name: the name to start the worker under.
    ///   - registering: what the worker registers with, if the adapter takes it.
    ///   - supervisor: the dynamic supervisor to start the worker under.
    ///   - checkingStore: whether to skip this node's view of the other nodes and ask the
    ///     adapter's store who holds `name` (a distributed adapter; a local one ignores it).
    ///   - spec: builds the worker's spec from the name it must register under.
    /// - Throws: `Failure` when the start fails; nothing is registered then.
    nonisolated(nonsending)
    func startWorker(
        meta: Meta, name: Name, registering: Registered, supervisor: DynamicSupervisor, checkingStore: Bool,
        spec: @escaping @Sendable (any ProcessName) -> ChildSpec
    ) async throws(Failure) -> PoolStart<Placement>

    /// The error a pool's `start` throws when `name` is held already, by `holder`.
    func alreadyStarted(_ name: Name, holder: Placement) -> Failure

    /// The error a pool's start throws when its supervisor is not running.
    func supervisorNotRunning(_ name: Name) -> Failure

    /// Whether `error` is the one ``alreadyStarted(_:holder:)`` makes: a refusal, not a
    /// failed start (the pool's metrics do not count it as one).
    func isAlreadyStarted(_ error: Failure) -> Bool
}

/// What ``PoolRegistration/startWorker(meta:name:registering:supervisor:checkingStore:spec:)`` did.
public enum PoolStart<Placement: RegistrationPlacement>: Sendable, Hashable {
    /// It started a worker, which lives there.
    case started(Placement)
    /// A worker held the name already, there: nothing was started.
    case found(Placement)

    /// Where the worker lives, started or found.
    public var placement: Placement {
        switch self {
        case .started(let placement), .found(let placement): placement
        }
    }
}
