import Foundation
import InspectorProtocol
import Logging
import ScalableLocks
@testable import PoolInspector
import Supervision
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

@Suite("The Unix socket: a private folder, stale sockets, other users, hostile clients", .timeLimit(.minutes(Slowdown.scaled(3))))
struct SocketTests {
    @Test("an inspector serves on NAME.PID.sock in a folder only its user can enter; the socket is 0600; stop removes it")
    func privateSocket() async throws {
        let folder = TemporaryFolder()
        let app = try await TestApp.start(Talker.self, ids: [1, 2], directory: folder.path)
        let path = try await app.inspector.start()
        #expect(path == "\(folder.path)/test.\(getpid()).sock")
        #expect(FileManager.default.mode(of: folder.path) == 0o700)
        #expect(FileManager.default.mode(of: path) == 0o600)
        let client = try await InspectorClient.connect(path: path, client: "socket test")
        #expect(client.hello.app == "test" && client.hello.pid == getpid())
        guard case .rows(let rows) = try await client.request(.rows(RowsQuery(pool: "workers"))) else { return }
        #expect(rows.total == 2)
        client.close()
        await app.stop()
        #expect(!FileManager.default.fileExists(atPath: path))
        await #expect(throws: InspectorError.self) { try await app.inspector.start() }
    }

    @Test("stop() while start() is binding: start throws stopped, and stop returns once no socket is left")
    func stopWaitsForStart() async throws {
        let folder = TemporaryFolder()
        let app = try await TestApp.start(Talker.self, ids: [1], directory: folder.path)
        let path = "\(folder.path)/test.\(getpid()).sock"
        let inspector = app.inspector
        let stopWaits = Latch()
        let afterStop = Recorder<Bool>()
        let stopper = Lock<Task<Void, Never>?>(nil)
        // The seam runs once the socket is bound, before start publishes it: a stop begun
        // there must wait for this start, which then stops what it began.
        let failure = await Inspector.$boundSeam.withValue({
            stopper.withLock {
                $0 = Task {
                    await Inspector.$stopWaitsSeam.withValue({ stopWaits.fire() }) { await inspector.stop() }
                    afterStop.record(FileManager.default.fileExists(atPath: path))
                }
            }
            await stopWaits.wait()
        }) { () async -> InspectorError? in
            do {
                try await inspector.start()
                return nil
            } catch {
                return error as? InspectorError
            }
        }
        await stopper.withLock { $0 }?.value
        #expect(failure?.code == .stopped)
        #expect(afterStop.all == [false], "when stop() returned, the socket was gone")
        #expect(inspector.socketPath == nil)
        #expect(throws: (any Error).self) { try RawSocket.connect(path) }
        await #expect(throws: InspectorError.self) { try await inspector.start() }
        await app.stop()
    }

    @Test("stops made at once all return after the socket is gone; a start after a stop is refused as stopped")
    func concurrentStops() async throws {
        let folder = TemporaryFolder()
        let app = try await TestApp.start(Talker.self, ids: [1], directory: folder.path)
        let path = try await app.inspector.start()
        let socketAtReturn = Recorder<Bool>()
        // The stop that does the work is held before it closes anything until the three
        // others wait for it (or, were one to return early, until it returns): each of
        // them must return only once the socket is gone.
        let waiting = Recorder<Void>(), proceed = Latch(), release = Latch()
        let socketWhileHeld = Recorder<Bool>()
        await Inspector.$finishStopSeam.withValue({ await release.wait() }) {
            await Inspector.$stopWaitsSeam.withValue({
                waiting.record(())
                if waiting.all.count == 3 { proceed.fire() }
            }) {
                await withTaskGroup(of: Void.self) { group in
                    for _ in 0..<4 {
                        group.addTask {
                            await app.inspector.stop()
                            socketAtReturn.record(FileManager.default.fileExists(atPath: path))
                            proceed.fire()
                        }
                    }
                    group.addTask {
                        await proceed.wait()
                        socketWhileHeld.record(FileManager.default.fileExists(atPath: path))
                        release.fire()
                    }
                }
            }
        }
        #expect(socketWhileHeld.all == [true], "no stop returned, nor removed the socket, while the first was held")
        #expect(waiting.all.count == 3)
        #expect(socketAtReturn.all == [false, false, false, false])
        let refused = await #expect(throws: InspectorError.self) { try await app.inspector.start() }
        #expect(refused?.code == .stopped)
        await app.stop()
    }

    @Test("sockets left by apps that are gone are recognised and removed; a live app's are left alone")
    func staleSockets() async throws {
        let folder = TemporaryFolder()
        mkdir(folder.path, 0o700)
        // A socket whose app died: its file is there, nothing listens, its pid does not run.
        let ghost = try RawSocket.listen("\(folder.path)/ghost.999999.sock")
        ghost.close()
        let live = try await TestApp.start(Talker.self, ids: [1], directory: folder.path)
        let livePath = try await live.inspector.start()
        #expect(!FileManager.default.fileExists(atPath: "\(folder.path)/ghost.999999.sock"), "removed at start")
        let ghost2 = try RawSocket.listen("\(folder.path)/ghost2.999998.sock")
        ghost2.close()
        let apps = await AppFinder.list(in: SocketDirectory(path: folder.path), timeout: Slowdown.scaled(.seconds(2)))
        #expect(apps.map(\.name) == ["test"] && apps[0].path == livePath && apps[0].hello?.pools.map(\.name) == ["workers"])
        #expect(!FileManager.default.fileExists(atPath: "\(folder.path)/ghost2.999998.sock"), "removed by the listing")
        await live.stop()
    }

    @Test("attach targets: the only app, an app by name, by pid, by path; none or several give a clear answer")
    func targets() async throws {
        let folder = TemporaryFolder()
        let directory = SocketDirectory(path: folder.path)
        mkdir(folder.path, 0o700)
        #expect(throws: InspectorClient.ConnectionError.self) { try AppFinder.resolve(nil, in: directory) }
        let first = try await TestApp.start(Talker.self, ids: [1], directory: folder.path)
        let path = try await first.inspector.start()
        #expect(try AppFinder.resolve(nil, in: directory).path == path)
        #expect(try AppFinder.resolve("test", in: directory).path == path)
        #expect(try AppFinder.resolve("\(getpid())", in: directory).path == path)
        #expect(try AppFinder.resolve(path, in: directory).path == path)
        do {
            _ = try AppFinder.resolve("billing", in: directory)
            Issue.record("an app that does not run was found")
        } catch {
            #expect(error.message.contains("no app named billing") && error.message.contains("test (pid \(getpid()))"))
        }
        // A second app in the same folder (another name): now a target is needed.
        let second = Inspector(name: "other", runtime: first.runtime, options: .init(directory: folder.path, logger: quiet))
        try await second.start()
        do {
            _ = try AppFinder.resolve(nil, in: directory)
            Issue.record("two apps, and no question asked")
        } catch {
            #expect(error.message.contains("several apps") && error.message.contains("other") && error.message.contains("test"))
        }
        await second.stop()
        await first.stop()
    }

    @Test("a folder that is a link, or belongs to another user, is never used", .enabled(if: getuid() == 0))
    func foreignFolder() throws {
        let folder = TemporaryFolder()
        mkdir(folder.path, 0o755)
        let target = folder.path + "/real"
        mkdir(target, 0o700)
        symlink(target, folder.path + "/link")
        #expect(throws: DirectoryError.self) { try SocketDirectory(path: folder.path + "/link").prepare() }
        let foreign = folder.path + "/foreign"
        mkdir(foreign, 0o700)
        chown(foreign, 65534, 65534)
        do {
            try SocketDirectory(path: foreign).prepare()
            Issue.record("a folder of uid 65534 was accepted")
        } catch {
            #expect(error.message.contains("belongs to uid 65534"))
        }
        let wide = folder.path + "/wide"
        mkdir(wide, 0o777)
        chmod(wide, 0o777)
        try SocketDirectory(path: wide).prepare()
        #expect(FileManager.default.mode(of: wide) == 0o700, "a folder of ours that was too open is closed")
    }

    @Test("a client of another user is refused with a message, and the app logs it",
          .enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/runuser")
                   && FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")))
    func otherUser() async throws {
        let folder = TemporaryFolder()
        mkdir(folder.path, 0o755)
        chmod(folder.path, 0o755)
        let capture = LogCapture()
        let app = try await TestApp.start(Talker.self, ids: [1], directory: folder.path + "/sockets")
        let inspector = Inspector(name: "guarded", runtime: app.runtime,
                                  options: .init(directory: folder.path + "/sockets", logger: capture.logger(label: "t")))
        let path = try await inspector.start()
        // Opened on purpose, so that the kernel lets the other user reach the server's own check.
        chmod(folder.path + "/sockets", 0o755)
        chmod(path, 0o666)
        let script = """
            import socket, sys
            s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
            s.sendall(b'{"id":1,"op":"hello","protocol":1,"client":"intruder"}\\n')
            print(s.makefile().readline().strip())
            """
        let child = Foundation.Process()
        child.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
        child.arguments = ["-u", "nobody", "--", "/usr/bin/python3", "-c", script, path]
        let output = Pipe()
        child.standardOutput = output
        child.standardError = output  // a traceback says why no answer came
        try child.run()
        let answer = await blocking {
            let data = output.fileHandleForReading.readDataToEndOfFile()
            child.waitUntilExit()
            return String(decoding: data, as: UTF8.self)
        }
        #expect(answer.contains("\"refused\"") && answer.contains("you are uid 65534"), "\(answer)")
        #expect(capture.lines.contains { $0.hasPrefix("warning") && $0.contains("refused a client of another user") && $0.contains("uid 65534") })
        #expect(inspector.clientCount == 0)
        await inspector.stop()
        await app.stop()
    }

    @Test("100 clients at once are all served; one more than the app allows is turned away with a message")
    func manyClients() async throws {
        let folder = TemporaryFolder()
        let runtime = quietRuntime()
        let inspector = Inspector(name: "busy", runtime: runtime, options: .init(directory: folder.path, maxClients: 100, logger: quiet))
        let path = try await inspector.start()
        let clients = try await withThrowingTaskGroup(of: InspectorClient.self) { group in
            for index in 0..<100 { group.addTask { try await InspectorClient.connect(path: path, client: "client \(index)") } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(clients.count == 100)
        for client in clients {
            guard case .summary(let summary) = try await client.request(.summary) else { Issue.record("not served"); continue }
            #expect(summary.clients == 100)
        }
        do {
            _ = try await InspectorClient.connect(path: path, client: "one too many")
            Issue.record("client 101 was served")
        } catch {
            #expect(error.protocolError?.code == .tooManyClients && error.message.contains("at most 100"))
        }
        for client in clients { client.close() }
        await inspector.stop()
    }

    @Test("a client that never reads does not hold up the app or other clients; what waits for it stays bounded")
    func stalledClient() async throws {
        let folder = TemporaryFolder()
        let app = try await TestApp.start(Talker.self, ids: Array(1...500), directory: folder.path)
        let path = try await app.inspector.start()
        let stalled = try RawSocket.connect(path)
        stalled.write(WireCodec.line(RequestEnvelope(id: 0, .hello(ClientHello(client: "stalled")))))
        let request = WireCodec.line(RequestEnvelope(id: 1, .rows(RowsQuery(pool: "workers", after: 499))))
        var pushed = 0
        for _ in 0..<2_000 {
            let taken = stalled.writeWithoutBlocking(request)
            if taken <= 0 { break }  // the app stopped reading it: its queue is full
            pushed += taken
        }
        #expect(pushed < 2_000 * request.count, "the app stops reading a client whose replies pile up")
        // Everyone else is served as before.
        let other = try await InspectorClient.connect(path: path, client: "other", timeout: Slowdown.scaled(.seconds(5)))
        for _ in 0..<20 {
            guard case .rows(let rows) = try await other.request(.rows(RowsQuery(pool: "workers", after: 10))) else { return }
            #expect(rows.total == 500)
        }
        // Bounded by the reply limit, plus the replies to the requests in flight when it was reached.
        guard case .rows(let big) = try await other.request(.rows(RowsQuery(pool: "workers", after: 499))) else { return }
        let reply = WireCodec.line(ServerMessage.reply(id: 1, .rows(big))).count
        let queued = app.inspector.service.sessionsForTesting.map { $0.outbox.queuedBytes.replies }.max() ?? 0
        #expect(queued <= app.inspector.options.clientReplyBytes + InspectorSession.maxInFlight * reply + reply, "queued \(queued) bytes")
        #expect(app.pool.count() == 500)
        stalled.close()
        other.close()
        await app.inspector.service.waitForClients(atMost: 0)
        await app.stop()
    }

    @Test("a client that vanishes mid-reply ends its session only")
    func vanishingClient() async throws {
        let folder = TemporaryFolder()
        let app = try await TestApp.start(Talker.self, ids: Array(1...2_000), directory: folder.path)
        let path = try await app.inspector.start()
        for _ in 0..<10 {
            let client = try RawSocket.connect(path)
            client.write(WireCodec.line(RequestEnvelope(id: 0, .hello(ClientHello(client: "vanishing")))))
            client.write(WireCodec.line(RequestEnvelope(id: 1, .rows(RowsQuery(pool: "workers", after: 1_999)))))
            _ = await blocking { client.readLine() }  // the hello; the rows are being written when it goes
            client.close()
        }
        let other = try await InspectorClient.connect(path: path, client: "other")
        guard case .summary(let summary) = try await other.request(.summary) else { return }
        #expect(summary.pools[0].workers == 2_000)
        other.close()
        await app.inspector.service.waitForClients(atMost: 0)
        await app.stop()
    }

    @Test("a server of another protocol version: the client says so clearly")
    func clientSideVersion() async throws {
        let folder = TemporaryFolder()
        mkdir(folder.path, 0o700)
        let path = folder.path + "/future.1.sock"
        let server = try RawSocket.listen(path)
        let thread = Task {
            await blocking {
                // The client first checks that something listens (a connection it closes at once).
                var connection = server.accept()
                while connection.readLine() == nil {
                    connection.close()
                    connection = server.accept()
                }
                connection.write(Array(#"{"re":0,"op":"hello","ok":{"protocol":2,"app":"future","pid":1,"startedAtUnixMs":0,"now":0,"startedAt":0,"server":"x","readOnly":true,"pools":[]}}"#.utf8) + [10])
                _ = connection.readLine()
                connection.close()
            }
        }
        do {
            _ = try await InspectorClient.connect(path: path, timeout: Slowdown.scaled(.seconds(5)))
            Issue.record("a version-2 server was accepted")
        } catch {
            #expect(error.message.contains("speaks pooltui protocol 2") && error.message.contains("this pooltui speaks 1"), "\(error.message)")
        }
        await thread.value
        server.close()
    }

    @Test("a refusal the app wrote before closing is what the client is told, even when the hello could not be written and the connection ended before the client looked")
    func refusalOutlivesTheConnection() async throws {
        let folder = TemporaryFolder()
        mkdir(folder.path, 0o700)
        let path = folder.path + "/full.1.sock"
        let server = try RawSocket.listen(path)
        let channelClosed = Latch()
        let ended = Latch()
        let app = Task {
            await blocking {
                // Refuses and closes without waiting for the hello, as the app does once a
                // refused client has been silent for its grace (a client starved that long).
                let connection = server.accept()
                connection.write(WireCodec.line(ServerMessage.failure(id: nil, ProtocolError(.tooManyClients, "this app serves at most 100 clients at once; try again later"))))
                connection.close()
            }
        }
        do {
            _ = try await InspectorClient.$helloSeam.withValue({ step in
                switch step {
                // The hello goes to a connection the client has seen end, with the
                // refusal read: writing it fails.
                case .beforeWriting: await channelClosed.wait()
                case .closed: channelClosed.fire()
                // The caller looks for the answer only once the connection has ended
                // and said so (a caller starved meanwhile).
                case .beforeAwaitingHello: await ended.wait()
                case .ended: ended.fire()
                }
            }) {
                try await InspectorClient.connect(path: path, client: "one too many", timeout: Slowdown.scaled(.seconds(5)))
            }
            Issue.record("a refused client was served")
        } catch let error as InspectorClient.ConnectionError {
            #expect(error.protocolError?.code == .tooManyClients && error.message.contains("at most 100"), "\(error.message)")
        }
        await app.value
        server.close()
    }

    @Test("when the app stops, attached clients see the connection end")
    func appStops() async throws {
        let folder = TemporaryFolder()
        let app = try await TestApp.start(Talker.self, ids: [1], directory: folder.path)
        let path = try await app.inspector.start()
        let closed = Latch()
        let client = try await InspectorClient.connect(path: path, onClose: { _ in closed.fire() })
        await app.stop()
        await closed.wait()
        client.close()
        #expect(SocketDirectory.probe(path) == .missing)
    }
}
