import ServiceLifecycle

/// An ``Inspector`` as a swift-service-lifecycle `Service`, beside the supervision tree it
/// watches in a `ServiceGroup`.
///
/// `run()` starts serving, serves until the group shuts down gracefully (or the service is
/// cancelled), then stops: clients are closed and the socket is removed before `run()`
/// returns. An inspector that cannot start (a bad name, a folder it may not use) ends
/// `run()` with its ``InspectorError``, which the group acts on like any service's error.
///
/// ```swift
/// let group = ServiceGroup(configuration: .init(
///     services: [tree, InspectorLifecycleService(inspector)], gracefulShutdownSignals: [.sigterm], logger: logger))
/// ```
public struct InspectorLifecycleService: Service, CustomStringConvertible {
    /// The inspector it runs. Watch the pools and registries before the group runs.
    public let inspector: Inspector
    private let onServing: @Sendable (String) -> Void

    /// A service that runs `inspector`.
    ///
    /// - Parameters:
    ///   - inspector: the inspector, its pools and registries already watched.
    ///   - onServing: called with the socket's path once it serves (to print it, or for
    ///     a test to wait on).
    public init(_ inspector: Inspector, onServing: @escaping @Sendable (String) -> Void = { _ in }) {
        self.inspector = inspector
        self.onServing = onServing
    }

    /// `inspector NAME`.
    public var description: String { "inspector \(inspector.name)" }

    /// Serves until a graceful shutdown or cancellation, then stops serving.
    ///
    /// - Throws: the ``InspectorError`` of ``Inspector/start()``.
    public func run() async throws {
        let path = try await inspector.start()
        onServing(path)
        // Returns at a graceful shutdown; throws at cancellation. Either way: stop.
        try? await gracefulShutdown()
        await inspector.stop()
    }
}
