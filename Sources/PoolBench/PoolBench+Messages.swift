import Supervision

/// Message passing, beside the Swift floor measured in the same run:
///
/// - `baseline_actor_call`: a call to a plain Swift `actor` from a task (a hop there and
///   back).
/// - `baseline_task_spawn_await`: a task created and awaited.
/// - `baseline_async_stream_value`: a value passed from one task to another through an
///   `AsyncStream`.
/// - `cast_throughput_1to1`: casts from one sender process to one server, until the
///   server has handled them all (the sender calls it once at the end).
/// - `cast_throughput_8to8`: the same from 8 senders, each to its own server, at once.
/// - `pingpong_roundtrip`: two processes exchanging plain messages (`send` / `receive`).
/// - `skynet_1m`: a tree of 1,111,111 processes, each spawning ten children and summing
///   their replies (OTP's skynet).
func messagesSection(_ reporter: Reporter, _ sizes: Sizes, _ runtime: Runtime) async throws {
    let operations = sizes.messages

    // The Swift floor.
    let counter = BaselineCounter()
    await reporter.run("baseline_actor_call", "ns/op") { _ in
        let start = now()
        var total = 0
        for _ in 0..<operations { total &+= await counter.ping() }
        let elapsed = now() - start
        reporter.check(total != 0, "baseline_actor_call: counted")
        return Double(elapsed) / Double(operations)
    }
    let spawns = operations / 10
    await reporter.run("baseline_task_spawn_await", "ns/op") { _ in
        let start = now()
        var total = 0
        for i in 0..<spawns { total &+= await Task { i }.value }
        let elapsed = now() - start
        reporter.check(total == spawns * (spawns - 1) / 2, "baseline_task_spawn_await: every task's value")
        return Double(elapsed) / Double(spawns)
    }
    await reporter.run("baseline_async_stream_value", "ns/op") { _ in
        let (values, input) = AsyncStream<Int>.makeStream(bufferingPolicy: .unbounded)
        let start = now()
        let producer = Task {
            for i in 0..<operations { input.yield(i) }
            input.finish()
        }
        var total = 0
        for await value in values { total &+= value }
        await producer.value
        let elapsed = now() - start
        reporter.check(total == operations * (operations - 1) / 2, "baseline_async_stream_value: every value")
        return Double(elapsed) / Double(operations)
    }

    // Casts, one to one.
    try await asProcess(runtime) { _ in
        try await reporter.run("cast_throughput_1to1", "msgs/s") { _ in
            let server = try await CastCounter.startLink()
            let start = now()
            for _ in 0..<operations { server.cast(.hit) }
            let handled = try await server.call(.count, timeout: .infinity)
            let elapsed = now() - start
            reporter.check(handled == operations, "cast_throughput_1to1: \(handled) of \(operations) handled")
            try await server.stop()
            return Double(operations) / (Double(elapsed) / 1e9)
        }
    }

    // Casts, 8 senders to 8 servers at once.
    let pairs = 8
    let each = operations / pairs
    try await asProcess(runtime) { _ in
        try await reporter.run("cast_throughput_\(pairs)to\(pairs)", "msgs/s") { _ in
            var servers: [ServerRef<CastCounter>] = []
            for _ in 0..<pairs { servers.append(try await CastCounter.startLink()) }
            let (done, finished) = AsyncStream<Int>.makeStream()
            let start = now()
            for server in servers {
                Process.spawn(link: true) { _ in
                    for _ in 0..<each { server.cast(.hit) }
                    finished.yield(try await server.call(.count, timeout: .infinity))
                }
            }
            var handled = 0
            var senders = 0
            for await count in done {
                handled += count
                senders += 1
                if senders == pairs { break }
            }
            let elapsed = now() - start
            reporter.check(handled == pairs * each, "cast_throughput_\(pairs)to\(pairs): \(handled) of \(pairs * each) handled")
            for server in servers { try await server.stop() }
            return Double(pairs * each) / (Double(elapsed) / 1e9)
        }
    }

    // Ping-pong of plain messages.
    let rounds = operations / 2
    try await asProcess(runtime) { inbox in
        try await reporter.run("pingpong_roundtrip", "ns/op") { _ in
            let peer = Process.spawn(link: true) { peerInbox in
                while let ping = try await peerInbox.receive(Ping.self) {
                    guard let from = ping.from else { return }
                    Process.send(from, Pong())
                }
            }
            let me = Process.current!
            let start = now()
            for _ in 0..<rounds {
                Process.send(peer, Ping(from: me))
                _ = try await inbox.receive(Pong.self)
            }
            let elapsed = now() - start
            Process.send(peer, Ping(from: nil))
            return Double(elapsed) / Double(rounds)
        }
    }

    // Skynet.
    let leaves = sizes.skynetLeaves
    let expected = leaves * (leaves - 1) / 2
    try await asProcess(runtime) { inbox in
        try await reporter.run(leaves == 1_000_000 ? "skynet_1m" : "skynet_\(leaves)", "ms") { _ in
            let me = Process.current!
            let start = now()
            skynet(parent: me, number: 0, size: leaves)
            let sum = try await inbox.receive(Int.self)
            let elapsed = now() - start
            reporter.check(sum == expected, "skynet: sum \(sum ?? -1), expected \(expected)")
            return Double(elapsed) / 1e6
        }
        reporter.check(runtime.liveProcessCount == 1, "skynet: every process exited (live \(runtime.liveProcessCount))")
    }
    reporter.info("messages: \(operations) casts per rep (\(pairs) pairs of \(each) for N to N, each sender calling its server once at the end); \(rounds) ping-pong round trips; skynet over \(leaves) leaves; baseline task spawns \(spawns)")
}

/// The actor of `baseline_actor_call`.
actor BaselineCounter {
    var count = 0
    func ping() -> Int {
        count &+= 1
        return count
    }
}

/// Counts casts; answers the count.
struct CastCounter: GenServer {
    enum Cast: Sendable { case hit }
    enum Request: Sendable { case count }
    typealias Reply = Int
    var seen = 0

    static func initialize(_ arguments: Void) async throws -> InitResult<CastCounter> { .ok(CastCounter()) }

    mutating func handleCast(_ message: Cast) async throws -> HandleResult {
        seen &+= 1
        return .noreply
    }

    mutating func handleCall(_ request: Request, from caller: Caller<Int>) async throws -> CallResult<Int> {
        .reply(seen)
    }
}

struct Ping: Sendable { var from: PID? }
struct Pong: Sendable {}

/// One node of the skynet tree: a leaf sends its number, an inner node spawns ten
/// children and sends the sum of their replies.
func skynet(parent: PID, number: Int, size: Int) {
    Process.spawn { inbox in
        guard size > 1 else {
            Process.send(parent, number)
            return
        }
        let child = size / 10
        let me = Process.current!
        for i in 0..<10 { skynet(parent: me, number: number + i * child, size: child) }
        var sum = 0
        for _ in 0..<10 { sum += try await inbox.receive(Int.self) ?? 0 }
        Process.send(parent, sum)
    }
}
