import Supervision
import Testing
import TestSupport

@Suite("GenServer: start, calls, casts, stop", .timeLimit(.minutes(Slowdown.scaled(2))))
struct GenServerTests {
    let runtime = quietRuntime()

    // MARK: start and initialize

    @Test("start waits for initialize and returns a typed reference")
    func startOK() async throws {
        let counter = try await Counter.start(41, runtime: runtime)
        #expect(try await counter.call(.add(1)) == 42)
    }

    @Test("initialize returning ignore: start throws ignored and no process remains")
    func initIgnore() async throws {
        await #expect(throws: StartError.ignored) {
            try await Scripted.start(.init(script: .ignore), runtime: runtime)
        }
        #expect(runtime.liveProcessCount == 0)
    }

    @Test("initialize throwing: start throws initFailed(error) and no process remains")
    func initThrows() async throws {
        await #expect(throws: StartError.initFailed(.error(TestFailure("bad args")))) {
            try await Scripted.start(.init(script: .throwError("bad args")), runtime: runtime)
        }
        #expect(runtime.liveProcessCount == 0)
    }

    @Test("initialize returning stop(reason): start throws initFailed(reason)")
    func initStops() async throws {
        await #expect(throws: StartError.initFailed(.shutdownWith("no config"))) {
            try await Scripted.start(.init(script: .stop(.shutdownWith("no config"))), runtime: runtime)
        }
    }

    @Test("initialize that hangs past the timeout: start throws timeout and the process is killed")
    func initHangs() async throws {
        let clock = ManualClock()
        let runtime = quietRuntime(clock: clock)
        let entered = Latch()
        let start = Task {
            try await Scripted.start(.init(script: .hang(entered)), timeout: .seconds(5), runtime: runtime)
        }
        await entered.wait()
        await clock.waitForTimers(atLeast: 1)
        #expect(runtime.liveProcessCount == 1)
        clock.advance(by: .seconds(5))
        await #expect(throws: StartError.timeout(.seconds(5))) { try await start.value }
        #expect(runtime.liveProcessCount == 0)
    }

    @Test("a failed startLink is reported to the caller only: the caller is not taken down")
    func failedStartLinkDoesNotKillCaller() async throws {
        let outcome = Recorder<String>()
        let done = Latch()
        let caller = Process.spawn(runtime: runtime) { _ in
            do {
                _ = try await Scripted.startLink(.init(script: .throwError("nope")))
            } catch {
                outcome.record("\(error)")
            }
            done.fire()
            await suspendUntilCancelled()
        }
        await done.wait()
        #expect(outcome.all == [StartError.initFailed(.error(TestFailure("nope"))).description])
        #expect(caller.isAlive)
        Process.exit(caller, .kill)
    }

    @Test("a message sent to the name while the server starts waits for initialize, then is handled")
    func messageBeforeInitialize() async throws {
        // The name is registered before `initialize` runs, so it can be reached then: a
        // name that sends the moment it is registered is the earliest such sender.
        struct EagerName: ProcessName {
            let inner: NameTable.Name
            var description: String { inner.description }
            func whereis() -> PID? { inner.whereis() }
            func register(_ pid: PID) -> NameRegistration {
                let outcome = inner.register(pid)
                if outcome == .registered { Process.send(pid, 5) }
                return outcome
            }
        }
        let counter = try await Counter.start(10, name: EagerName(inner: NameTable().name("eager")), runtime: runtime)
        #expect(try await counter.call(.get) == 15)
        #expect(try await counter.call(.add(1)) == 16)
    }

    @Test("a name that is taken: start throws alreadyStarted(holder)")
    func nameTaken() async throws {
        let names = NameTable()
        let first = try await Counter.start(0, name: names.name("c"), runtime: runtime)
        await #expect(throws: StartError.alreadyStarted(first.pid!)) {
            try await Counter.start(1, name: names.name("c"), runtime: runtime)
        }
        #expect(runtime.liveProcessCount == 1)
    }

    @Test("calls through a name reach the holder; a dead holder's name is free again")
    func callViaName() async throws {
        let names = NameTable()
        let ref = ServerRef<Counter>(name: names.name("c"))
        await #expect(throws: CallError.noProcess(target: "name(c)")) { try await ref.call(.get) }
        let first = try await Counter.start(5, name: names.name("c"), runtime: runtime)
        #expect(try await ref.call(.get) == 5)
        ref.cast(.add(1))
        #expect(try await ref.call(.get) == 6)
        Process.exit(first.pid!, .kill)
        #expect(ref.pid == nil)
        _ = try await Counter.start(9, name: names.name("c"), runtime: runtime)
        #expect(try await ref.call(.get) == 9)
    }

    // MARK: calls

    @Test("a cast followed by a call from one sender is handled in that order")
    func castThenCall() async throws {
        let counter = try await Counter.start(0, runtime: runtime)
        for i in 1...500 {
            counter.cast(.add(1))
            #expect(try await counter.call(.get) == i)
        }
    }

    @Test("sends (info) from one sender are handled in order with its casts and calls")
    func infoOrdering() async throws {
        let counter = try await Counter.start(0, runtime: runtime)
        Process.send(counter.pid!, 10)
        counter.cast(.add(1))
        Process.send(counter.pid!, 100)
        #expect(try await counter.call(.get) == 111)
    }

    @Test("a call to a dead pid throws noProcess")
    func callDead() async throws {
        let counter = try await Counter.start(0, runtime: runtime)
        Process.exit(counter.pid!, .kill)
        await #expect(throws: CallError.noProcess(target: counter.description)) { try await counter.call(.get) }
    }

    @Test("a call that crashes the server gives the caller exited(error)")
    func callCrash() async throws {
        let counter = try await Counter.start(0, runtime: runtime)
        await #expect(throws: CallError.exited(.error(TestFailure("boom")))) { try await counter.call(.crash) }
        #expect(!counter.pid!.isAlive)
    }

    @Test("calls queued behind a dying call all get exited(reason)")
    func queuedCallsOnDeath() async throws {
        let entered = Latch()
        let blocker = try await Blocker.start(entered, runtime: runtime)
        let first = Task { try await blocker.call(.block, timeout: .infinity) }
        await entered.wait()
        let queued = (0..<5).map { _ in Task { try await blocker.call(.ping, timeout: .infinity) } }
        while (Process.info(blocker.pid!)?.mailboxLength ?? 0) < 5 { await Task.yield() }
        Process.exit(blocker.pid!, .kill)
        await #expect(throws: CallError.exited(.killed)) { try await first.value }
        for call in queued {
            await #expect(throws: CallError.exited(.killed)) { try await call.value }
        }
    }

    @Test("a call without a reply in time throws timeout (manual clock)")
    func callTimeout() async throws {
        let clock = ManualClock()
        let runtime = quietRuntime(clock: clock)
        let entered = Latch()
        let blocker = try await Blocker.start(entered, runtime: runtime)
        let call = Task { try await blocker.call(.block, timeout: .seconds(5)) }
        await entered.wait()
        await clock.waitForTimers(atLeast: 1)
        clock.advance(by: .seconds(5))
        await #expect(throws: CallError.timeout(.seconds(5))) { try await call.value }
        #expect(blocker.pid!.isAlive)
        Process.exit(blocker.pid!, .kill)
    }

    @Test("a process calling itself gets callingSelf instead of a deadlock")
    func callingSelf() async throws {
        struct SelfCaller: GenServer {
            enum Request: Sendable { case callSelf }
            typealias Reply = String
            static func initialize(_ arguments: Void) async throws -> InitResult<SelfCaller> { .ok(SelfCaller()) }
            mutating func handleCall(_ request: Request, from caller: Caller<String>) async throws -> CallResult<String> {
                do {
                    _ = try await ServerRef<SelfCaller>(pid: Process.current!).call(.callSelf)
                    return .reply("no error")
                } catch {
                    return .reply("\(error)")
                }
            }
        }
        let server = try await SelfCaller.start(runtime: runtime)
        #expect(try await server.call(.callSelf) == CallError.callingSelf.description)
    }

    @Test("a call to a process that runs another server type throws wrongServerType")
    func wrongType() async throws {
        let counter = try await Counter.start(0, runtime: runtime)
        let wrong = ServerRef<Blocker>(pid: counter.pid!)
        await #expect(throws: CallError.wrongServerType(target: counter.description, expected: "Blocker")) {
            try await wrong.call(.ping)
        }
    }

    @Test("a cancelled caller gets cancelled; the server lives on")
    func callerCancelled() async throws {
        let entered = Latch()
        let blocker = try await Blocker.start(entered, runtime: runtime)
        let call = Task { try await blocker.call(.block, timeout: .infinity) }
        await entered.wait()
        call.cancel()
        await #expect(throws: CallError.cancelled) { try await call.value }
        #expect(blocker.pid!.isAlive)
        Process.exit(blocker.pid!, .kill)
    }

    @Test("a calling process that is killed while waiting stops waiting: its call ends cancelled")
    func killedCallerStopsWaiting() async throws {
        let entered = Latch()
        let blocker = try await Blocker.start(entered, runtime: runtime)
        let outcome = Recorder<String>()
        let ended = Latch()
        let caller = Process.spawn(runtime: runtime) { _ in
            do {
                _ = try await blocker.call(.block, timeout: .infinity)
                outcome.record("replied")
            } catch {
                outcome.record("\(error)")
            }
            ended.fire()
        }
        await entered.wait()
        Process.exit(caller, .kill)
        await ended.wait()
        #expect(outcome.all == [CallError.cancelled.description])
        #expect(blocker.pid!.isAlive, "the server is not affected")
        Process.exit(blocker.pid!, .kill)
    }

    @Test("a deferred reply (noreply, then Caller.reply) reaches the caller")
    func deferredReply() async throws {
        let counter = try await Counter.start(7, runtime: runtime)
        #expect(try await counter.call(.deferred) == 70)
    }

    @Test("Process.current inside a handler is the server; its parent is the starter")
    func selfAndParent() async throws {
        let counter = try await Counter.start(0, runtime: runtime)
        #expect(try await counter.call(.whoami) == Int(counter.pid!.serial))
        #expect(try await counter.call(.parent) == 0)
    }

    // MARK: stop and terminate

    @Test("stop runs terminate with the reason and waits for the exit")
    func stop() async throws {
        let terminated = Recorder<ExitReason>()
        let server = try await Scripted.start(.init(script: .ok, terminated: terminated), runtime: runtime)
        try await server.stop(.shutdownWith("done"))
        #expect(terminated.all == [.shutdownWith("done")])
        #expect(!server.pid!.isAlive)
    }

    @Test("a handler returning stop replies first, then terminates")
    func stopFromHandler() async throws {
        let counter = try await Counter.start(3, runtime: runtime)
        let watch = Process.watch(counter.pid!)
        #expect(try await counter.call(.stop(.normal)) == 3)
        #expect(try await watch.reason == .normal)
    }

    @Test("terminate is not called when the server is killed")
    func noTerminateOnKill() async throws {
        let terminated = Recorder<ExitReason>()
        let server = try await Scripted.start(.init(script: .trapExits, terminated: terminated), runtime: runtime)
        Process.exit(server.pid!, .kill)
        #expect(terminated.all.isEmpty)
    }

    @Test("a trapping server runs terminate when its parent sends shutdown")
    func parentShutdownTrapped() async throws {
        let terminated = Recorder<ExitReason>()
        let started = Latch()
        let release = Latch()
        let child = Recorder<PID>()
        let parent = Process.spawn(runtime: runtime) { _ in
            let server = try await Scripted.startLink(.init(script: .trapExits, terminated: terminated))
            child.record(server.pid!)
            started.fire()
            await release.wait()
            Process.exit(server.pid!, .shutdown)
            await suspendUntilCancelled()
        }
        await started.wait()
        let watch = Process.watch(child.all[0])
        release.fire()
        #expect(try await watch.reason == .shutdown)
        #expect(terminated.all == [.shutdown])
        Process.exit(parent, .kill)
    }

    @Test("an unexpected message type is dropped and the server keeps running")
    func unexpectedMessage() async throws {
        let counter = try await Counter.start(1, runtime: runtime)
        Process.send(counter.pid!, "not an Int")
        #expect(try await counter.call(.get) == 1)
    }
}
