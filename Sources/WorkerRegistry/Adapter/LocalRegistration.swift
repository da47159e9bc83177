import Supervision

/// The local ``RegistrationAdapter``: a unique ``Registry`` for names and the caller's
/// `DynamicSupervisor` for processes.
public struct LocalRegistration<Name: Hashable & Sendable>: RegistrationAdapter {
    /// The adapter's metadata: its registry.
    public struct Meta: Sendable {
        /// The unique registry names are held in.
        public let registry: Registry<Name, Void>
    }

    /// A name for the registry, for diagnostics.
    public let label: String

    /// A local adapter whose registry is named `label`.
    public init(label: String = "local registration") {
        self.label = label
    }

    /// A registry host to supervise, and the registry as metadata.
    public func childSpec() -> (spec: ChildSpec, meta: Meta) {
        let registry = Registry<Name, Void>(keys: .unique, name: label)
        return (registry.childSpec(id: label), Meta(registry: registry))
    }

    /// Starts the child under the registry's via name; a name already held by a started process answers that process. Throws `StartError/contended(attempts:)` when every try found a holder that then failed.
    nonisolated(nonsending) public func startChild(
        meta: Meta, name: Name, supervisor: DynamicSupervisor,
        spec: @escaping @Sendable (any ProcessName) -> ChildSpec
    ) async throws(StartError) -> PID {
        let child = spec(meta.registry.via(name))
        let attempts = 8
        for _ in 0..<attempts {
            do throws(StartError) {
                switch try await supervisor.startChild(child) {
                case .started(let pid): return pid
                case .ignored: throw StartError.ignored
                }
            } catch let error where error.code == .alreadyStarted {
                // Only a holder that finished starting counts; one that failed frees the
                // name, and this start is tried again.
                if let holder = error.holder, await Process.awaitStarted(holder) { return holder }
            }
        }
        throw .contended(attempts: attempts)
    }

    /// The registry's via name for `name`.
    public func via(meta: Meta, name: Name) -> any ProcessName {
        meta.registry.via(name)
    }

    /// The live holder of `name`: a memory read, O(1).
    public func whereis(meta: Meta, name: Name) -> PID? {
        meta.registry.whereis(name)
    }
}
