import Foundation
import Logging
import PoolInspector
import ServiceLifecycle
import Supervision
import Testing
import TestSupport
import ScalableLocks

/// The inspector in a ServiceGroup: serving while the group runs, gone after a graceful
/// shutdown, and a start that fails ending the group with the inspector's error.
@Suite("InspectorLifecycleService: the inspector in a ServiceGroup", .timeLimit(.minutes(Slowdown.scaled(1))))
struct InspectorLifecycleServiceTests {
    let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    @Test("it serves while the group runs; a graceful shutdown closes clients and removes the socket")
    func servesUntilShutdown() async throws {
        let folder = TemporaryFolder()
        let inspector = Inspector(name: "lifecycle", runtime: quietRuntime(), options: .init(directory: folder.path))
        let served = Lock<String?>(nil)
        let serving = Latch()
        let service = InspectorLifecycleService(inspector) { path in
            served.withLock { $0 = path }
            serving.fire()
        }
        let group = ServiceGroup(configuration: .init(services: [service], logger: quiet))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            await serving.wait()
            let path = try #require(served.withLock { $0 })
            #expect(FileManager.default.fileExists(atPath: path))
            let client = try await InspectorClient.connect(path: path, client: "test")
            #expect(client.hello.app == "lifecycle")
            client.close()
            await group.triggerGracefulShutdown()
            try await tasks.next()
            #expect(!FileManager.default.fileExists(atPath: path), "the socket is removed before run() returns")
        }
    }

    @Test("an inspector that cannot start ends the group with its error")
    func startFailure() async throws {
        let inspector = Inspector(name: "no spaces allowed", runtime: quietRuntime())
        let group = ServiceGroup(configuration: .init(services: [InspectorLifecycleService(inspector)], logger: quiet))
        let error = await #expect(throws: InspectorError.self) { try await group.run() }
        #expect(error?.code == .invalidName)
    }
}
