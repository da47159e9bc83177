import InspectorProtocol
import Logging
import ScalableLocks
import Supervision

#if canImport(Glibc)
import Glibc
#endif

/// What a service embeds so that `pooltui attach` can watch it: its runtime's
/// supervision tree plus the pools and registries it names, served on a Unix domain
/// socket only its own user (and root) can reach.
///
/// ```swift
/// let inspector = Inspector(name: "billing", runtime: runtime)
/// try inspector.watch(sessions)                    // a WorkerPool
/// try inspector.watch(tenants)                     // a Registry
/// try await inspector.start()                      // $XDG_RUNTIME_DIR/pooltui/billing.<pid>.sock
/// // … the app runs …
/// await inspector.stop()
/// ```
///
/// Read-only unless the app opts in (``Options/commands``): a client can then stop,
/// kill or crash a worker, `lookupOrStart` an id or set registry meta — each command
/// naming the pid the person saw, and refused if the id is held by another by then.
///
/// What it costs the app: a registry listener that queues each registration and exit
/// (no work on lookups), a subscription to the runtime's lifecycle events, and an index
/// of every watched worker kept by a background drain — about a few hundred bytes per
/// worker; and one OS thread, started when the inspector is made and ended by ``stop()``
/// (or when it is dropped), on which it does all its work, so that its clients never take
/// a thread of Swift's cooperative pool from the app. With no client attached that thread
/// sleeps; a slow or stalled client never slows, blocks or grows the app (its queue is
/// bounded; past the bound it is told to resync).
public final class Inspector: Sendable {
    /// The app's name, as `pooltui ls` shows it and `pooltui attach NAME` takes it.
    public let name: String
    /// The runtime whose supervision tree is served.
    public let runtime: Runtime
    /// How it serves: the commands clients may send, the socket's folder, its limits.
    public let options: Options
    let service: InspectorService

    private enum Serving {
        case idle
        case starting
        /// ``stop()`` came while ``start()`` was binding: `start()` stops what it began,
        /// then resumes these stops.
        case stopRequested([CheckedContinuation<Bool, Never>])
        case serving(UnixSocketServer)
        /// One stop is closing the server and the service; these stops wait for it.
        case stopping([CheckedContinuation<Bool, Never>])
        case stopped
    }

    private let serving = Lock(Serving.idle)

    /// Creates an inspector; it serves nothing until ``start()``.
    ///
    /// - Parameters:
    ///   - name: the app's name: 1 to 48 of `A-Z a-z 0-9 . _ -` (checked by ``start()``).
    ///   - runtime: the runtime whose supervisors make the tree; the pools watched
    ///     should run in it.
    ///   - options: which commands clients may send, where the socket goes, the logger.
    public init(name: String, runtime: Runtime = .shared, options: Options = Options()) {
        self.name = name
        self.runtime = runtime
        self.options = options
        self.service = InspectorService(app: name, runtime: runtime, options: options)
    }

    /// The socket it serves on, while it does.
    public var socketPath: String? {
        if case .serving(let server) = serving.withLock({ $0 }) { return server.path }
        return nil
    }

    /// The folder its socket goes in.
    public var directory: SocketDirectory {
        options.directory.map(SocketDirectory.init(path:)) ?? SocketDirectory.forCurrentUser()
    }

    /// Starts serving: makes sure the per-user folder is private, removes sockets left by
    /// apps that are gone, and listens on `NAME.PID.sock` there.
    ///
    /// - Returns: the socket's path.
    /// - Throws: ``InspectorError`` with ``InspectorError/Code/invalidName``,
    ///   ``InspectorError/Code/directory``, ``InspectorError/Code/bind``,
    ///   ``InspectorError/Code/alreadyStarted``, or ``InspectorError/Code/stopped`` when
    ///   ``stop()`` ran meanwhile (nothing is left serving).
    @discardableResult
    public func start() async throws(InspectorError) -> String {
        do {
            try SocketDirectory.validate(appName: name)
        } catch {
            throw InspectorError(.invalidName, error.message)
        }
        try serving.withLock { state throws(InspectorError) in
            switch state {
            case .idle:
                state = .starting
            case .starting, .serving:
                throw InspectorError(.alreadyStarted, "the inspector \(name) has been started already")
            case .stopRequested, .stopping, .stopped:
                throw InspectorError(.stopped, "the inspector \(name) has been stopped; an inspector is not started again")
            }
        }
        let directory = self.directory
        let path = directory.socketPath(app: name, pid: getpid())
        do throws(InspectorError) {
            do {
                try directory.prepare()
            } catch {
                throw InspectorError(.directory, error.message)
            }
            guard path.utf8.count <= SocketDirectory.maxSocketPathBytes else {
                throw InspectorError(.directory, "the socket path \(path) is longer than the \(SocketDirectory.maxSocketPathBytes) bytes a Unix socket allows: use a shorter name or folder")
            }
            for stale in directory.removeStale() { service.logger.info("inspector: removed \(stale), left by an app that is gone") }
            // Our own pid's file can only be a dead process's that had our pid.
            if SocketDirectory.probe(path) != .missing { unlink(path) }
            let server = try await UnixSocketServer.start(path: path, service: service)
            await Self.boundSeam?()
            let published = serving.withLock { state -> Bool in
                switch state {
                case .starting:
                    state = .serving(server)
                    return true
                case .stopRequested(let stops):
                    state = .stopping(stops)
                    return false
                case .idle, .serving, .stopping, .stopped:
                    return false  // not reached: only this start leaves .starting, or a stop asks it to
                }
            }
            guard published else {
                // stop() ran meanwhile: this start stops what it began; the stops waiting
                // for it return once nothing is left serving.
                await finishStop(server)
                throw InspectorError(.stopped, "the inspector \(name) was stopped while it started")
            }
            service.logger.info("inspector: \(name) serving \(service.watched.count) pools on \(path)",
                                metadata: ["inspector.socket": "\(path)", "inspector.commands": "\(options.commands.kinds.map(\.rawValue).sorted())"])
            return path
        } catch {
            // One that failed to start may try again, unless a stop came meanwhile: then it
            // finishes that stop.
            let stopAsked = serving.withLock { state -> Bool in
                switch state {
                case .starting:
                    state = .idle
                    return false
                case .stopRequested(let stops):
                    state = .stopping(stops)
                    return true
                case .idle, .serving, .stopping, .stopped:
                    return false  // .stopping: this start's own finishStop, above
                }
            }
            if stopAsked { await finishStop(nil) }
            throw error
        }
    }

    /// Test seam: runs once ``start()`` has bound its socket, before it publishes it.
    @TaskLocal package static var boundSeam: (@Sendable () async -> Void)?

    /// Test seam: runs when ``stop()`` waits for a ``start()`` in progress, or for another
    /// stop, to finish.
    @TaskLocal package static var stopWaitsSeam: (@Sendable () -> Void)?

    /// Test seam: runs when the stop that does the work begins it, before the socket is
    /// closed.
    @TaskLocal package static var finishStopSeam: (@Sendable () async -> Void)?

    /// Stops serving: closes every client, removes the socket, stops listening to the
    /// registries. An inspector is not started again.
    ///
    /// A ``start()`` in progress is let finish first (it then throws
    /// ``InspectorError/Code/stopped``), and stops made at once all wait for the one that
    /// does the work: when any of them returns, no socket of this inspector exists.
    public func stop() async {
        enum Step { case stop(UnixSocketServer?), wait, done }
        while true {
            let step = serving.withLock { state -> Step in
                switch state {
                case .idle:
                    state = .stopping([])
                    return .stop(nil)
                case .serving(let server):
                    state = .stopping([])
                    return .stop(server)
                case .starting, .stopRequested, .stopping:
                    return .wait
                case .stopped:
                    return .done
                }
            }
            switch step {
            case .stop(let server):
                await finishStop(server)
                return
            case .done:
                return
            case .wait:
                // Resumed with true by whoever finishes the stop; false at once if the
                // state moved on before this stop could wait (then it looks again).
                let stopped = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                    let waits = serving.withLock { state -> Bool in
                        switch state {
                        case .starting:
                            state = .stopRequested([continuation])
                        case .stopRequested(let stops):
                            state = .stopRequested(stops + [continuation])
                        case .stopping(let stops):
                            state = .stopping(stops + [continuation])
                        case .idle, .serving, .stopped:
                            return false
                        }
                        return true
                    }
                    if waits {
                        Self.stopWaitsSeam?()
                    } else {
                        continuation.resume(returning: false)
                    }
                }
                if stopped { return }
            }
        }
    }

    /// Closes `server` (if any) and the service, then marks the inspector stopped and
    /// resumes every stop waiting. Called once, by whoever moved the state to `.stopping`
    /// (a stop, or a start a stop interrupted).
    private func finishStop(_ server: UnixSocketServer?) async {
        await Self.finishStopSeam?()
        if let server { await server.stop(closeSessions: service.closeSessions) }
        service.shutdown()
        let stops = serving.withLock { state -> [CheckedContinuation<Bool, Never>] in
            guard case .stopping(let stops) = state else { return [] }
            state = .stopped
            return stops
        }
        for stop in stops { stop.resume(returning: true) }
    }

    /// Serves until the calling task is cancelled, then stops: for a task group or a
    /// service's `run()`.
    public func run() async throws(InspectorError) {
        try await start()
        let (stream, continuation) = AsyncStream<Void>.makeStream()
        await withTaskCancellationHandler {
            for await _ in stream {}
        } onCancel: {
            continuation.finish()
        }
        await stop()
    }

    /// Returns once every pool and registry watched so far has been indexed. The first
    /// look at one that already holds many entries runs in the background (about a few
    /// seconds per million); requests for it wait meanwhile.
    public func waitUntilIndexed() async {
        for watch in service.watched { await watch.ready() }
    }

    /// Clients attached now.
    public var clientCount: Int { service.clientCount }
}
