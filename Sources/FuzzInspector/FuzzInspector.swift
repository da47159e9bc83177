// The inspector's boundary under libFuzzer: each input is what a client writes after its
// hello — bytes split into lines by the framer, decoded as requests, handled by a
// session against a small live pool (twenty workers that describe their state; kill and
// crash allowed, restarted by their supervisor). A trap anywhere on that path is a
// crash the fuzzer reports; an input that is not answered hangs and is reported as a
// timeout.
//
// Built with `Scripts/fuzz.sh inspector SECONDS` (`-sanitize=fuzzer,address`, `FUZZING`
// defined). Built plainly, it replays the files or folders named on its command line
// (the seed corpus in Fuzz/corpus/inspector, or a crash the fuzzer wrote) once each.
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import FuzzSupport
import InspectorProtocol
import Logging
import PoolInspector
import Supervision
import WorkerRegistry
import ScalableLocks

/// A worker with a state to describe, as the dashboard asks.
struct Teller: GenServer, StateDescribing {
    enum Request: Sendable { case ping }
    typealias Reply = Int
    typealias Arguments = Int
    let id: Int
    static func initialize(_ id: Int) async throws -> InitResult<Teller> { .ok(Teller(id: id)) }
    mutating func handleCall(_ request: Request, from caller: Caller<Int>) async throws -> CallResult<Int> { .reply(id) }
    func describeState() -> String { "teller \(id)\u{1B}[31m\u{0}" }
}

/// The app under test, made once per fuzzing process.
final class FuzzApp: Sendable {
    let inspector: Inspector
    let pool: WorkerPool<Teller, Int, String>
    let root: Supervisor

    static let shared: FuzzApp = blocking { await FuzzApp.start() }

    static func start() async -> FuzzApp {
        let quiet = Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() })
        let runtime = Runtime(logger: quiet, label: "fuzz")
        let pool = WorkerPool(Teller.self, id: Int.self, name: "workers",
                              options: .init(restart: .permanent, maxRestarts: 1_000_000, period: .seconds(1))) { id, _ in "v-\(id)" }
        let root: Supervisor
        do {
            root = try await Supervisor.start(children: [pool.registry.childSpec(), pool.childSpec()], runtime: runtime)
        } catch {
            // Setup, not input: with no app there is nothing to fuzz.
            print("fuzz: the app did not start: \(error)")
            exit(2)
        }
        for id in 1...20 { _ = try? await runtime.run { try await pool.lookupOrStart(id, arguments: id) } }
        let inspector = Inspector(name: "fuzz", runtime: runtime,
                                  options: .init(commands: [.kill, .crash], tombstoneTime: .milliseconds(100), logger: quiet))
        try? inspector.watch(pool)
        return FuzzApp(inspector: inspector, pool: pool, root: root)
    }

    init(inspector: Inspector, pool: WorkerPool<Teller, Int, String>, root: Supervisor) {
        self.inspector = inspector
        self.pool = pool
        self.root = root
    }

    /// The session inputs are written to, opened on first use and again after an input
    /// closed it; the sentinel the last input waits for, and its semaphore.
    private struct Session {
        var connection: InMemoryConnection?
        var waitingFor: [UInt8] = []
        var finished: DispatchSemaphore?
        var next: Int64 = 1 << 40
    }
    private let session = Lock(Session())

    static let hello = Array(#"{"id":1,"op":"hello","protocol":1,"client":"fuzz"}"#.utf8) + [UInt8(ascii: "\n")]

    /// Runs one input through the session, followed by a cheap request whose answer means
    /// every line before it was handled (a session answers in order), and waits for that.
    ///
    /// The framer and the decoder run here first, on every input; an input none of whose
    /// lines is a request goes no further (the session would only answer each line with
    /// the decoder's error), which keeps the fuzzer fast on the many inputs that are not
    /// JSON at all.
    func run(_ input: [UInt8]) {
        var framer = LineFramer()
        var requests = 0
        framer.append(input + [UInt8(ascii: "\n")]) { frame in
            if case .line(let line) = frame, case .success = WireCodec.request(line) { requests += 1 }
        }
        guard requests > 0 else { return }
        let finished = DispatchSemaphore(value: 0)
        let (connection, sentinel) = session.withLock { session -> (InMemoryConnection?, [UInt8]) in
            session.next += 1
            session.waitingFor = Array(#""re":\#(session.next)"#.utf8)
            session.finished = finished
            return (session.connection, Array(#"{"id":\#(session.next),"op":"events","since":18446744073709551615,"limit":0}"#.utf8) + [10])
        }
        let open = connection ?? reconnect()
        guard let open else { return }
        Task {
            await open.send(input + [UInt8(ascii: "\n")])
            await open.send(sentinel)
        }
        finished.wait()
    }

    /// A new session, hello said (its answer is not awaited: lines are handled in order).
    private func reconnect() -> InMemoryConnection? {
        let connection = inspector.connectInMemory(receive: { [self] line in
            let done = session.withLock { session -> DispatchSemaphore? in
                guard contains(line, session.waitingFor) else { return nil }
                defer { session.finished = nil }
                return session.finished
            }
            done?.signal()
        }, onClose: { [self] in
            let done = session.withLock { session -> DispatchSemaphore? in
                session.connection = nil
                defer { session.finished = nil }
                return session.finished
            }
            done?.signal()
        })
        guard let connection else { return nil }
        session.withLock { $0.connection = connection }
        blocking { await connection.send(Self.hello) }
        return connection
    }
}

/// Whether `mark` occurs in `line`.
func contains(_ line: [UInt8], _ mark: [UInt8]) -> Bool {
    guard line.count >= mark.count else { return false }
    for start in 0...(line.count - mark.count) where line[start] == mark[0] {
        if Array(line[start..<start + mark.count]) == mark { return true }
    }
    return false
}

/// Runs async setup from plain synchronous code (the fuzzer's thread), blocking it.
func blocking<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
    let box = Lock<T?>(nil)
    let done = DispatchSemaphore(value: 0)
    Task {
        let value = await body()
        box.withLock { $0 = value }
        done.signal()
    }
    done.wait()
    guard let value = box.withLock({ $0 }) else {
        print("fuzz: setup returned nothing")  // unreachable: the task stores before it signals
        exit(2)
    }
    return value
}

#if FUZZING
/// libFuzzer's entry point: one input, read as described at the top of this file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzApp.shared.run(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
#else
@main
struct Replay {
    static func main() {
        FuzzInputs.replayCommandLine { FuzzApp.shared.run($0) }
    }
}
#endif
