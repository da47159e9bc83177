import Supervision

/// How processes are registered by name and started at most once per name: the
/// registration adapter of WorkflowMetal and Commanded.
///
/// An application puts ``childSpec()``'s spec in its supervision tree and keeps the
/// returned metadata; every other call takes that metadata. ``LocalRegistration`` is
/// the implementation on one node (a ``Registry`` and a ``DynamicSupervisor``); a
/// distributed adapter implements the same protocol and must pass the same conformance
/// suite (`WorkerRegistryTesting`).
public protocol RegistrationAdapter: Sendable {
    /// What processes are registered under.
    associatedtype Name: Hashable & Sendable
    /// What the adapter needs at run time (the registry of a local adapter).
    associatedtype Meta: Sendable

    /// The child to supervise for the adapter to work, and the adapter's metadata.
    func childSpec() -> (spec: ChildSpec, meta: Meta)

    /// Starts a child under `supervisor`, registered as `name`. If a process already
    /// holds `name`, returns that process instead of starting another one.
    ///
    /// - Parameter spec: builds the child spec from the name the child must register
    ///   under (pass it as the `name:` of `startLink`).
    /// - Throws: ``StartError`` when the start fails (nothing is then registered).
    nonisolated(nonsending)
    func startChild(
        meta: Meta, name: Name, supervisor: DynamicSupervisor,
        spec: @Sendable (any ProcessName) -> ChildSpec
    ) async throws(StartError) -> PID

    /// A name that calls, casts and sends can use to reach the process holding `name`.
    func via(meta: Meta, name: Name) -> any ProcessName

    /// The live process holding `name`, or `nil`.
    func whereis(meta: Meta, name: Name) -> PID?
}
