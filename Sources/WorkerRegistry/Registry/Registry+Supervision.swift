import Supervision

/// The process that hosts a registry in a supervision tree: while it runs the registry
/// is open; when it stops, the registry is closed (emptied, refusing registrations);
/// a restart opens it again.
struct RegistryHost: GenServer {
    struct Arguments: Sendable {
        var open: @Sendable () -> Void
        var close: @Sendable () -> Void
    }

    let arguments: Arguments

    static func initialize(_ arguments: Arguments) async throws -> InitResult<RegistryHost> {
        try Process.flag(trapExit: true)
        arguments.open()
        return .ok(RegistryHost(arguments: arguments))
    }

    mutating func terminate(_ reason: ExitReason) async {
        arguments.close()
    }
}

extension Registry {
    /// A child spec that ties the registry's lifetime to a supervised process: OTP's
    /// `{Registry, keys: …, name: …}` child. When the host stops (its supervisor shuts
    /// down) the registry is closed; when it is restarted, it opens again.
    ///
    /// Processes registered in the registry are not linked to the host: a registry that
    /// closes drops their entries (listeners hear ``UnregisterCause/registryClosed``) but
    /// does not take them down.
    public func childSpec(id: String? = nil) -> ChildSpec {
        let arguments = RegistryHost.Arguments(
            open: { [self] in reopen() },
            close: { [self] in close() })
        return .worker(RegistryHost.self, arguments: arguments, id: id ?? "registry \(name)", shutdown: .timeout(.seconds(5)))
    }
}
