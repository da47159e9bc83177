import Supervision
import Testing
import TestSupport

@Suite("Processes: pids, mailboxes, exit signals, links, monitors", .timeLimit(.minutes(Slowdown.scaled(2))))
struct ProcessTests {
    let runtime = quietRuntime()

    @Test("pids are unique, ordered by creation, and print like Erlang's")
    func pidIdentity() async throws {
        let a = Process.spawn(runtime: runtime) { _ in }
        let b = Process.spawn(runtime: runtime) { _ in }
        #expect(a != b)
        #expect(a < b)
        #expect(a.description == "<0.\(a.serial).0>")
        #expect(Set([a, b, a]).count == 2)
    }

    @Test("a spawned process receives messages in the order one sender sent them")
    func orderedDelivery() async throws {
        let received = Recorder<Int>()
        let done = Latch()
        let pid = Process.spawn(runtime: runtime) { inbox in
            for _ in 0..<1000 {
                received.record(try await inbox.receive(Int.self)!)
            }
            done.fire()
        }
        for i in 0..<1000 { Process.send(pid, i) }
        await done.wait()
        #expect(received.all == Array(0..<1000))
    }

    @Test("selective receive takes the first match and leaves the rest in order")
    func selectiveReceive() async throws {
        let result = Recorder<String>()
        let done = Latch()
        let ready = Latch()
        let pid = Process.spawn(runtime: runtime) { inbox in
            await ready.wait()
            result.record(try await inbox.receive(String.self)!)
            result.record("\(try await inbox.receive(Int.self)!)")
            result.record("\(try await inbox.receive(Int.self)!)")
            done.fire()
        }
        Process.send(pid, 1)
        Process.send(pid, "text")
        Process.send(pid, 2)
        ready.fire()
        await done.wait()
        #expect(result.all == ["text", "1", "2"])
    }

    @Test("Process.current is the calling process inside it and nil outside")
    func currentProcess() async throws {
        #expect(Process.current == nil)
        let seen = Recorder<PID?>()
        let done = Latch()
        let pid = Process.spawn(runtime: runtime) { _ in
            seen.record(Process.current)
            done.fire()
        }
        await done.wait()
        #expect(seen.all == [pid])
    }

    @Test("a process exits normal when its body returns and error when it throws")
    func exitReasonsOfSpawn() async throws {
        var events = EventLog(runtime)
        let fine = Process.spawn(runtime: runtime) { _ in }
        #expect(await events.exit(of: fine) == .normal)
        let broken = Process.spawn(runtime: runtime) { _ in throw TestFailure("bad") }
        #expect(await events.exit(of: broken) == .error(TestFailure("bad")))
    }

    // MARK: kill

    @Test("once exit(pid, .kill) returns, the process is dead, accepts nothing and its watchers know")
    func killIsSynchronous() async throws {
        let pid = Process.spawn(runtime: runtime) { inbox in
            _ = try await inbox.receive()
        }
        let watch = Process.watch(pid)
        Process.exit(pid, .kill)
        #expect(!pid.isAlive)
        #expect(watch.exitReason == .killed)
        #expect(Process.info(pid) == nil, "a dead process has no info, as in OTP")
        Process.send(pid, "ignored")
    }

    @Test("kill cannot be trapped")
    func killUntrappable() async throws {
        let trapping = Latch()
        let pid = Process.spawn(runtime: runtime) { inbox in
            try Process.flag(trapExit: true)
            trapping.fire()
            _ = try await inbox.receive()
        }
        await trapping.wait()
        let watch = Process.watch(pid)
        Process.exit(pid, .kill)
        #expect(!pid.isAlive)
        #expect(watch.exitReason == .killed)
    }

    @Test("awaiting a watch ends when the waiting task is cancelled; the watch still fires later")
    func watchReasonEndsOnCancellation() async throws {
        let pid = Process.spawn(runtime: runtime) { _ in await suspendUntilCancelled() }
        let watch = Process.watch(pid)
        let waiter = Task { try await watch.reason }
        // Cancelled while it waits (not before it began).
        while watch.waiting == 0 { await Task.yield() }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        Process.exit(pid, .kill)
        #expect(try await watch.reason == .killed)
    }

    @Test("killed code can no longer send")
    func killedCodeCannotSend() async throws {
        let sink = Process.spawn(runtime: runtime) { inbox in _ = try await inbox.receive(timeout: .infinity) }
        let entered = Latch()
        let release = Latch()
        let sent = Latch()
        let victim = Process.spawn(runtime: runtime) { _ in
            entered.fire()
            await release.wait()  // not a cancellation point: the code keeps running after kill
            Process.send(sink, "from the dead")
            sent.fire()
        }
        await entered.wait()
        Process.exit(victim, .kill)
        release.fire()
        await sent.wait()
        #expect(Process.info(sink)?.mailboxLength == 0)
        Process.exit(sink, .kill)
    }

    // MARK: exit signals

    @Test("exit(pid, .normal) is ignored by a process that does not trap exits")
    func normalSignalIgnored() async throws {
        let pid = Process.spawn(runtime: runtime) { inbox in _ = try await inbox.receive() }
        Process.exit(pid, .normal)
        #expect(pid.isAlive)
        Process.exit(pid, .kill)
    }

    @Test("exit(pid, reason) ends a process that does not trap exits, with that reason")
    func abnormalSignalKills() async throws {
        let pid = Process.spawn(runtime: runtime) { inbox in _ = try await inbox.receive() }
        let watch = Process.watch(pid)
        Process.exit(pid, .shutdownWith("maintenance"))
        #expect(!pid.isAlive)
        #expect(try await watch.reason == .shutdownWith("maintenance"))
    }

    @Test("a process that traps exits receives exit signals as messages")
    func trappedSignal() async throws {
        let got = Recorder<String>()
        let ready = Latch()
        let done = Latch()
        let pid = Process.spawn(runtime: runtime) { inbox in
            try Process.flag(trapExit: true)
            ready.fire()
            let message = try await inbox.receive()
            if case .exit(let from, let reason) = message {
                got.record("EXIT from \(from == nil ? "outside" : "a process") \(reason)")
            }
            done.fire()
        }
        await ready.wait()
        Process.exit(pid, .shutdown)
        await done.wait()
        #expect(got.all == ["EXIT from outside shutdown"])
    }

    // MARK: links

    @Test("links: an abnormal exit takes down a linked process that does not trap exits")
    func linkPropagates() async throws {
        let linked = Latch()
        let b = Process.spawn(runtime: runtime) { inbox in _ = try await inbox.receive() }
        let a = Process.spawn(runtime: runtime) { inbox in
            try Process.link(b)
            linked.fire()
            _ = try await inbox.receive()
        }
        await linked.wait()
        let watchB = Process.watch(b)
        Process.exit(a, .kill)
        // Both are dead when kill returns: b died of the link signal `killed`.
        #expect(!a.isAlive)
        #expect(!b.isAlive)
        #expect(watchB.exitReason == .killed)
    }

    @Test("links: a normal exit does not affect the linked process")
    func linkNormalExit() async throws {
        let linked = Latch()
        let finish = Latch()
        let b = Process.spawn(runtime: runtime) { inbox in _ = try await inbox.receive() }
        let a = Process.spawn(runtime: runtime) { _ in
            try Process.link(b)
            linked.fire()
            await finish.wait()
        }
        await linked.wait()
        let watchA = Process.watch(a)
        finish.fire()
        #expect(try await watchA.reason == .normal)
        #expect(b.isAlive)
        Process.exit(b, .kill)
    }

    @Test("links: shutdown propagates to a non-trapping linked process")
    func linkShutdownPropagates() async throws {
        let linked = Latch()
        let b = Process.spawn(runtime: runtime) { inbox in _ = try await inbox.receive() }
        let a = Process.spawn(runtime: runtime) { inbox in
            try Process.link(b)
            linked.fire()
            _ = try await inbox.receive()
        }
        await linked.wait()
        let watchB = Process.watch(b)
        Process.exit(a, .shutdown)
        #expect(watchB.exitReason == .shutdown)
    }

    @Test("links with trapExit: the exit arrives as EXIT(from, reason) and the process lives")
    func linkTrapped() async throws {
        let got = Recorder<String>()
        let ready = Latch()
        let done = Latch()
        let b = Process.spawn(runtime: runtime) { inbox in _ = try await inbox.receive() }
        let a = Process.spawn(runtime: runtime) { inbox in
            try Process.flag(trapExit: true)
            try Process.link(b)
            ready.fire()
            if case .exit(let from, let reason) = try await inbox.receive() {
                got.record("\(from == b) \(reason)")
            }
            done.fire()
        }
        await ready.wait()
        let watchA = Process.watch(a)
        Process.exit(b, .kill)
        await done.wait()
        #expect(got.all == ["true killed"])
        // It survived the signal and finished its body normally.
        #expect(try await watchA.reason == .normal)
    }

    @Test("linking to a dead process throws noProcess, or delivers EXIT noproc when trapping")
    func linkToDead() async throws {
        let dead = Process.spawn(runtime: runtime) { _ in }
        _ = try await Process.watch(dead).reason
        let outcomes = Recorder<String>()
        let done = Latch()
        Process.spawn(runtime: runtime) { inbox in
            do { try Process.link(dead) } catch { outcomes.record("\(error)") }
            try Process.flag(trapExit: true)
            try Process.link(dead)
            if case .exit(_, let reason) = try await inbox.receive() { outcomes.record("EXIT \(reason)") }
            done.fire()
        }
        await done.wait()
        #expect(outcomes.all == [ProcessError.noProcess(dead).description, "EXIT noproc"])
    }

    @Test("unlink: no signal arrives after unlink returns")
    func unlinkStopsSignals() async throws {
        let unlinked = Latch()
        let b = Process.spawn(runtime: runtime) { inbox in _ = try await inbox.receive() }
        let a = Process.spawn(runtime: runtime) { inbox in
            try Process.link(b)
            Process.unlink(b)
            unlinked.fire()
            _ = try await inbox.receive()
        }
        await unlinked.wait()
        Process.exit(b, .kill)
        #expect(a.isAlive)
        #expect(Process.info(a)?.links.isEmpty == true)
        Process.exit(a, .kill)
    }

    @Test("link from plain code throws notInProcess")
    func linkOutsideProcess() async throws {
        let pid = Process.spawn(runtime: runtime) { inbox in _ = try await inbox.receive() }
        #expect(throws: ProcessError.notInProcess(operation: "link")) { try Process.link(pid) }
        Process.exit(pid, .kill)
    }

    // MARK: monitors

    @Test("a monitor delivers exactly one DOWN with the exit reason")
    func monitorLive() async throws {
        let target = Process.spawn(runtime: runtime) { inbox in _ = try await inbox.receive() }
        let downs = Recorder<String>()
        let ready = Latch()
        let exitsSent = Latch()
        let done = Latch()
        Process.spawn(runtime: runtime) { inbox in
            let ref = try Process.monitor(target)
            ready.fire()
            if case .down(let got, let reason) = try await inbox.receive() {
                downs.record("\(got == ref) \(got.target == target) \(reason)")
            }
            // Signals are delivered synchronously: once both exits were sent, any second
            // DOWN would already be in the mailbox.
            await exitsSent.wait()
            downs.record("left \(inbox.count)")
            done.fire()
        }
        await ready.wait()
        Process.exit(target, .shutdownWith("bye"))
        Process.exit(target, .kill)
        exitsSent.fire()
        await done.wait()
        #expect(downs.all == ["true true shutdown(bye)", "left 0"])
    }

    @Test("monitoring a dead pid delivers DOWN noproc at once")
    func monitorDead() async throws {
        let dead = Process.spawn(runtime: runtime) { _ in }
        _ = try await Process.watch(dead).reason
        let watch = Process.watch(dead)
        #expect(watch.exitReason == .noproc)
        let got = Recorder<ExitReason>()
        let done = Latch()
        Process.spawn(runtime: runtime) { inbox in
            try Process.monitor(dead)
            if case .down(_, let reason) = try await inbox.receive() { got.record(reason) }
            done.fire()
        }
        await done.wait()
        #expect(got.all == [.noproc])
    }

    @Test("demonitor before exit: no DOWN ever arrives")
    func demonitor() async throws {
        let target = Process.spawn(runtime: runtime) { inbox in _ = try await inbox.receive() }
        let watch = Process.watch(target)
        #expect(watch.cancel())
        Process.exit(target, .kill)
        #expect(watch.exitReason == nil)
        #expect(!watch.cancel())
    }

    @Test("monitors from plain code throw notInProcess; watch works anywhere")
    func monitorOutsideProcess() async throws {
        let pid = Process.spawn(runtime: runtime) { inbox in _ = try await inbox.receive() }
        #expect(throws: ProcessError.notInProcess(operation: "monitor")) { try Process.monitor(pid) }
        let watch = Process.watch(pid)
        Process.exit(pid, .kill)
        #expect(try await watch.reason == .killed)
    }

    // MARK: timers and inspection

    @Test("sendAfter delivers on the runtime's clock, and cancel prevents it")
    func sendAfter() async throws {
        let clock = ManualClock()
        let runtime = quietRuntime(clock: clock)
        let got = Recorder<String>()
        let done = Latch()
        let pid = Process.spawn(runtime: runtime) { inbox in
            got.record(try await inbox.receive(String.self)!)
            done.fire()
        }
        let cancelled = Process.sendAfter(pid, "cancelled", after: .seconds(1))
        Process.sendAfter(pid, "tick", after: .seconds(2))
        #expect(cancelled.cancel())
        clock.advance(by: .seconds(1))
        #expect(Process.info(pid)?.mailboxLength == 0)
        clock.advance(by: .seconds(1))
        await done.wait()
        #expect(got.all == ["tick"])
    }

    @Test("receive with a timeout returns nil when the clock passes the deadline")
    func receiveTimeout() async throws {
        let clock = ManualClock()
        let runtime = quietRuntime(clock: clock)
        let got = Recorder<String>()
        let done = Latch()
        Process.spawn(runtime: runtime) { inbox in
            let message = try await inbox.receive(timeout: .seconds(5))
            got.record(message == nil ? "timeout" : "message")
            done.fire()
        }
        await clock.waitForTimers(atLeast: 1)
        clock.advance(by: .seconds(5))
        await done.wait()
        #expect(got.all == ["timeout"])
    }

    @Test("info reports links, monitors, mailbox, trapExit and names")
    func processInfo() async throws {
        let names = NameTable()
        let ready = Latch()
        let other = Process.spawn(runtime: runtime) { inbox in _ = try await inbox.receive(Int.self) }
        let pid = Process.spawn(runtime: runtime) { inbox in
            try Process.flag(trapExit: true)
            try Process.link(other)
            ready.fire()
            _ = try await inbox.receive(Int.self)
        }
        await ready.wait()
        _ = names.name("main").register(pid)
        let watch = Process.watch(pid)
        Process.send(pid, "queued")
        let info = try #require(Process.info(pid))
        #expect(info.links == [other])
        #expect(info.monitorCount == 1)
        #expect(info.trapsExits)
        #expect(info.names == ["main"])
        #expect(info.mailboxLength == 1)
        #expect(info.behaviour == "spawn")
        Process.exit(pid, .kill)
        #expect(watch.exitReason == .killed)
        #expect(names.name("main").whereis() == nil)
        Process.exit(other, .kill)
    }

    @Test("names are released before the process counts as dead and before DOWN")
    func namesReleasedBeforeDown() async throws {
        let names = NameTable()
        for _ in 0..<200 {
            let pid = Process.spawn(runtime: runtime) { inbox in _ = try await inbox.receive() }
            #expect(names.name("worker").register(pid) == .registered)
            let sawName = Recorder<Bool>()
            let done = Latch()
            Process.spawn(runtime: runtime) { inbox in
                try Process.monitor(pid)
                _ = try await inbox.receive()
                sawName.record(names.name("worker").whereis() != nil)
                done.fire()
            }
            Process.exit(pid, .kill)
            #expect(names.name("worker").whereis() == nil)
            await done.wait()
            #expect(sawName.all == [false])
        }
    }

    @Test("the runtime counts live processes")
    func liveCount() async throws {
        let runtime = quietRuntime()
        #expect(runtime.liveProcessCount == 0)
        let pids = (0..<10).map { _ in Process.spawn(runtime: runtime) { inbox in _ = try await inbox.receive() } }
        #expect(runtime.liveProcessCount == 10)
        for pid in pids { Process.exit(pid, .kill) }
        #expect(runtime.liveProcessCount == 0)
    }
}

