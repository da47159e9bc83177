import Testing
@testable import Supervision
import TestSupport

/// A hook that only has an identity.
final class NamedHook: ProcessExitHook {
    let name: String
    init(_ name: String) { self.name = name }
    func processExiting(_ pid: PID, reason: ExitReason) {}
    func names(of pid: PID) -> [String] { [name] }
}

@Suite("ExitHooks: the hooks of a process, the first inline", .timeLimit(.minutes(Slowdown.scaled(2))))
struct ExitHooksTests {
    let a = NamedHook("a")
    let b = NamedHook("b")
    let c = NamedHook("c")

    func names(_ hooks: ExitHooks) -> [String] { hooks.map { ($0 as! NamedHook).name } }

    @Test("hooks are kept and walked in the order they were attached")
    func order() {
        var hooks = ExitHooks()
        #expect(hooks.count == 0 && names(hooks).isEmpty)
        hooks.append(a)
        hooks.append(b)
        hooks.append(c)
        #expect(hooks.count == 3 && names(hooks) == ["a", "b", "c"])
    }

    @Test("removing the first hook moves the next one inline; removing one of the others keeps the order")
    func removal() {
        var hooks = ExitHooks()
        for hook in [a, b, c] { hooks.append(hook) }
        hooks.removeAll(a)
        #expect(names(hooks) == ["b", "c"])
        hooks.append(a)
        hooks.removeAll(c)
        #expect(names(hooks) == ["b", "a"])
        hooks.removeAll(b)
        hooks.removeAll(a)
        #expect(hooks.count == 0 && names(hooks).isEmpty)
        hooks.append(c)
        #expect(names(hooks) == ["c"])
    }

    @Test("a hook attached twice is removed with both attachments")
    func twice() {
        var hooks = ExitHooks()
        hooks.append(a)
        hooks.append(b)
        hooks.append(a)
        hooks.removeAll(a)
        #expect(names(hooks) == ["b"])
    }
}
