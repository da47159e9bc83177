import Supervision
import Testing
import TestSupport

@Suite("Bad supervisor options and child specs are refused where they enter, naming the field")
struct OptionValidationTests {
    let runtime = quietRuntime(label: "validation")

    func counter(shutdown: ShutdownPolicy) -> ChildSpec {
        ChildSpec(id: "counter", shutdown: shutdown) { try await Counter.startLink(0).pid! }
    }

    @Test("a dynamic supervisor with maxChildren below zero is not started (OTP: invalid_max_children)")
    func negativeMaxChildren() async throws {
        let before = runtime.liveProcessCount
        await #expect(throws: StartError.invalidOption(field: "maxChildren", problem: "-1 is below zero (nil for no limit)")) {
            try await DynamicSupervisor.start(options: .init(maxChildren: -1), runtime: runtime)
        }
        #expect(runtime.liveProcessCount == before)
        // Zero is a limit like any other: every start is refused with maxChildren.
        let none = try await DynamicSupervisor.start(options: .init(maxChildren: 0), runtime: runtime)
        await #expect(throws: StartError.maxChildren) { try await none.startChild(counter(shutdown: .brutalKill)) }
        try await none.stop()
    }

    @Test("a negative maxRestarts or a period that is not positive is refused (OTP: invalid_intensity, invalid_period)")
    func badIntensity() async throws {
        await #expect(throws: StartError.invalidOption(field: "maxRestarts", problem: "-1 is below zero")) {
            try await DynamicSupervisor.start(options: .init(maxRestarts: -1), runtime: runtime)
        }
        await #expect(throws: StartError.invalidOption(field: "period", problem: "0.0 seconds is not positive")) {
            try await Supervisor.start(children: [], options: .init(period: .zero), runtime: runtime)
        }
    }

    @Test("a child spec with a negative shutdown timeout is refused and nothing is started (OTP: invalid_shutdown)")
    func negativeShutdown() async throws {
        let supervisor = try await DynamicSupervisor.start(runtime: runtime)
        let before = runtime.liveProcessCount
        await #expect(throws: StartError.invalidOption(field: "shutdown", problem: "-1.0 seconds is below zero (.brutalKill kills at once)")) {
            try await supervisor.startChild(counter(shutdown: .timeout(.seconds(-1))))
        }
        #expect(runtime.liveProcessCount == before)
        #expect(supervisor.countChildren().active == 0)
        try await supervisor.stop()

        await #expect(throws: StartError.invalidOption(field: "shutdown of child \"counter\"", problem: "-1.0 seconds is below zero (.brutalKill kills at once)")) {
            try await Supervisor.start(children: [counter(shutdown: .timeout(.seconds(-1)))], runtime: runtime)
        }
        let root = try await Supervisor.start(children: [], runtime: runtime)
        await #expect(throws: SupervisorError.startFailed(id: "counter", .invalidOption(field: "shutdown", problem: "-1.0 seconds is below zero (.brutalKill kills at once)"))) {
            try await root.startChild(counter(shutdown: .timeout(.seconds(-1))))
        }
        #expect(try await root.whichChildren().isEmpty)
        try await root.stop()
    }
}
