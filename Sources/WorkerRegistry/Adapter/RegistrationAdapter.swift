import Supervision

/// How processes are registered by name and started at most once per name: the
/// registration adapter of WorkflowMetal and Commanded.
///
/// An application puts ``childSpec()``'s spec in its supervision tree and keeps the
/// returned metadata; every other call takes that metadata. ``LocalRegistration`` is
/// the implementation on one node (a ``Registry`` and a `DynamicSupervisor`); a
/// distributed adapter (`WorkerRegistryEtcd.EtcdRegistration`) implements the same
/// protocol and passes the same conformance suite (`WorkerRegistryTesting`), extended
/// for holders on other nodes.
///
/// Two kinds of lookup: ``whereis(meta:name:)`` answers for this runtime only and is a
/// synchronous memory read in every adapter; ``lookup(meta:name:)`` answers for wherever
/// the adapter's names live, and may be remote (``RegistrationPlacement/localPID`` is
/// then `nil`: route the request to the holder with the app's own RPC).
public protocol RegistrationAdapter: Sendable {
    /// What processes are registered under.
    associatedtype Name: Hashable & Sendable
    /// What the adapter needs at run time (the registry of a local adapter).
    associatedtype Meta: Sendable
    /// Where a name's holder lives: ``Supervision/PID`` for an adapter whose holders are
    /// all local, a type that can also name another node for a distributed one.
    associatedtype Placement: RegistrationPlacement = PID
    /// Why a start failed: ``Supervision/StartError`` for a local adapter, a type that can
    /// also say why the adapter's store did not answer for a distributed one.
    associatedtype Failure: RegistrationFailure = StartError

    /// The child to supervise for the adapter to work, and the adapter's metadata.
    func childSpec() -> (spec: ChildSpec, meta: Meta)

    /// Starts a child under `supervisor`, registered as `name`, unless a process already
    /// holds `name` — here or, for a distributed adapter, on another node: returns where
    /// that holder lives instead, and starts nothing.
    ///
    /// Concurrent calls for one name, from any node, start at most one process.
    ///
    /// - Parameters:
    ///   - meta: what ``childSpec()`` returned with the adapter's spec.
    ///   - name: the name to start the child under.
    ///   - supervisor: the dynamic supervisor to start the child under.
    ///   - spec: builds the child spec from the name the child must register under
    ///     (pass it as the `name:` of `startLink`).
    /// - Throws: `Failure` when the start fails (nothing is then registered; its
    ///   ``RegistrationFailure/startError`` says why the child did not start, if it was
    ///   tried).
    nonisolated(nonsending)
    func startChild(
        meta: Meta, name: Name, supervisor: DynamicSupervisor,
        spec: @escaping @Sendable (any ProcessName) -> ChildSpec
    ) async throws(Failure) -> Placement

    /// A name that calls, casts and sends can use to reach the process holding `name`
    /// in this runtime.
    func via(meta: Meta, name: Name) -> any ProcessName

    /// The live process holding `name` in this runtime, or `nil`: a memory read, and
    /// never a dead process.
    func whereis(meta: Meta, name: Name) -> PID?

    /// Where the holder of `name` lives, wherever that is, or `nil` if nobody holds it.
    ///
    /// A local adapter answers from memory (``whereis(meta:name:)``); a distributed one
    /// may answer from a view of the other nodes kept current in the background, or ask
    /// its store.
    nonisolated(nonsending)
    func lookup(meta: Meta, name: Name) async throws(Failure) -> Placement?
}

/// Where a registered name's holder lives, as a ``RegistrationAdapter`` reports it.
public protocol RegistrationPlacement: Sendable, Hashable {
    /// The holder's pid when it runs in this runtime; `nil` when it runs elsewhere.
    var localPID: PID? { get }
}

/// A failure of a ``RegistrationAdapter``.
public protocol RegistrationFailure: Error {
    /// Why the child itself did not start, when the adapter got as far as starting it
    /// (`nil` when it failed before: the store did not answer, the node is fenced …).
    var startError: StartError? { get }
}

extension PID: RegistrationPlacement {
    /// The pid itself: a local adapter's holders are all in this runtime.
    public var localPID: PID? { self }
}

extension StartError: RegistrationFailure {
    /// The error itself.
    public var startError: StartError? { self }
}

extension RegistrationAdapter where Placement == PID {
    /// The local holder: ``whereis(meta:name:)``, a memory read.
    nonisolated(nonsending) public func lookup(meta: Meta, name: Name) async throws(Failure) -> PID? {
        whereis(meta: meta, name: name)
    }
}
