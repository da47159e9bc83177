/// A name a process can be started under, called, cast to and sent to: OTP's
/// `{via, Module, Name}`.
///
/// `Supervision` only defines the protocol; registries implement it (`WorkerRegistry`'s
/// `Registry` does). A name must be released when its holder exits: implementations
/// attach a ``ProcessExitHook`` in ``register(_:)`` so that the release is part of the
/// exit, and ``whereis()`` never returns a dead process.
public protocol ProcessName: Sendable, CustomStringConvertible {
    /// The live process holding the name, if any.
    func whereis() -> PID?

    /// Registers `pid` under the name, atomically: either the name is now `pid`'s, or it
    /// was held by another live process, which is returned.
    func register(_ pid: PID) -> NameRegistration
}

/// The outcome of ``ProcessName/register(_:)``.
public enum NameRegistration: Sendable, Equatable {
    /// The name now belongs to the process.
    case registered
    /// The name is held by this live process.
    case taken(by: PID)
    /// The process to register is not alive (it is exiting or dead).
    case notAlive
}
