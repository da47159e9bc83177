import Testing
import WorkerRegistry
import WorkerRegistryTesting
import TestSupport

@Suite("LocalRegistration passes the registration adapter conformance suite", .timeLimit(.minutes(Slowdown.scaled(2))))
struct LocalRegistrationTests {
    @Test(arguments: RegistrationAdapterConformance.checks(for: { LocalRegistration<String>() }))
    func conformance(_ check: RegistrationAdapterConformance.Check) async throws {
        try await check.run()
    }

    @Test("a WorkerPool over it passes the same checks", arguments: RegistrationAdapterConformance.checks(forPools: { LocalRegistration<String>() }))
    func poolConformance(_ check: RegistrationAdapterConformance.Check) async throws {
        try await check.run()
    }
}
