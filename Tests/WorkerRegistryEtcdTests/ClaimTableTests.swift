import Supervision
import Testing
@testable import WorkerRegistryEtcd
import ScalableLocks

@Suite("ClaimTable: a node's claims, from granted to released, and the callers waiting on them", .timeLimit(.minutes(2)))
struct ClaimTableTests {
    let worker = Process.spawn { _ in }
    let other = Process.spawn { _ in }

    @Test("a claim goes starting → running → releasing → gone, and only its own worker's end releases it")
    func lifecycle() {
        var table = ClaimTable()
        #expect(table.local("x") == .free)
        table.beginRequest("x")
        #expect(table.local("x") == .busy, "a request in flight")
        #expect(table.claimed("x", token: 7, lease: 1).recorded)
        #expect(table.local("x") == .busy, "starting")
        #expect(table.token(of: "x") == 7)
        #expect(table.started("x", token: 7, pid: worker).standing)
        #expect(table.local("x") == .holder(worker, token: 7))
        #expect(table.running("x")?.pid == worker && table.pids == [worker])
        #expect(table.ended("x", pid: other).token == nil, "another process's end releases nothing")
        #expect(table.ended("x", pid: worker).token == 7)
        #expect(table.local("x") == .busy, "releasing")
        #expect(table.token(of: "x") == nil)
        _ = table.released("x", token: 7)
        #expect(table.local("x") == .free)
    }

    @Test("a second grant while a claim stands is refused; one while the old claim releases replaces it, and the old release leaves it alone")
    func secondGrant() {
        var table = ClaimTable()
        table.beginRequest("x")
        #expect(table.claimed("x", token: 7, lease: 1).recorded)
        table.beginRequest("x")
        #expect(!table.claimed("x", token: 9, lease: 1).recorded)
        _ = table.started("x", token: 7, pid: worker)
        _ = table.ended("x", pid: worker)
        table.beginRequest("x")
        #expect(table.claimed("x", token: 11, lease: 1).recorded)
        _ = table.released("x", token: 7)
        #expect(table.token(of: "x") == 11, "the old release did not drop the new claim")
        #expect(!table.beginRelease("x", token: 7).ours)
    }

    @Test("a start of a claim that was dropped meanwhile does not stand")
    func startAfterDrop() {
        var table = ClaimTable()
        table.beginRequest("x")
        _ = table.claimed("x", token: 7, lease: 1)
        _ = table.removeAll()
        #expect(!table.started("x", token: 7, pid: worker).standing)
        #expect(table.local("x") == .free)
    }

    @Test("a key under this node's lease is stale only if no claim here has its token and no other request for the name is out")
    func staleness() {
        var table = ClaimTable()
        table.beginRequest("x")
        #expect(table.isStale("x", token: 5), "only the asking request, and no claim")
        table.beginRequest("x")
        #expect(!table.isStale("x", token: 5), "another request may be about to record it")
        _ = table.endRequest("x")
        _ = table.claimed("x", token: 5, lease: 1)
        table.beginRequest("x")
        #expect(!table.isStale("x", token: 5), "a claim here has that token")
        #expect(table.isStale("x", token: 4), "an older key no claim knows")
    }

    @Test("a caller parked on a busy name is woken by the name's next change; a free name parks nobody")
    func wakeups() async {
        let table = Lock(ClaimTable())
        let parkedWhileFree = Lock(true)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let parked = table.withLock { $0.wait("x", continuation) }
            parkedWhileFree.withLock { $0 = parked }
            if !parked { continuation.resume() }
        }
        #expect(!parkedWhileFree.withLock { $0 })

        table.withLock { $0.beginRequest("x") }
        let (entered, enteredContinuation) = AsyncStream<Bool>.makeStream()
        let waiter = Task {
            await withCheckedContinuation { continuation in
                enteredContinuation.yield(table.withLock { $0.wait("x", continuation) })
            }
        }
        var iterator = entered.makeAsyncIterator()
        #expect(await iterator.next() == true, "a request in flight: the caller parks")
        #expect(table.withLock { $0.local("y") } == .free, "another name is not busy")
        let wakeups = table.withLock { $0.claimed("x", token: 3, lease: 1).wakeups }
        #expect(wakeups.count == 1)
        wakeups.resumeAll()
        await waiter.value
        #expect(table.withLock { $0.started("x", token: 3, pid: worker).wakeups }.isEmpty, "woken callers are gone")
    }
}
