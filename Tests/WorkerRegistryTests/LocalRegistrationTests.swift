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
}
