import InspectorProtocol
import PoolDashboard
import Supervision
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Set by SIGTERM and SIGHUP (and SIGINT outside the dashboard); loops check it on every
/// turn and end, restoring the terminal.
let terminationRequested = Atomic<Bool>(false)
/// The pipe a termination signal writes to, so a waiting loop wakes at once.
let terminationWake = Atomic<Int32>(-1)

/// Installs handlers for `signals` that set ``terminationRequested`` and wake the loop.
func handleTermination(_ signals: [Int32], wake: WakePipe?) {
    if let wake { terminationWake.store(wake.writeEnd, ordering: .releasing) }
    for signal in signals {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in
            terminationRequested.store(true, ordering: .relaxed)
            let descriptor = terminationWake.load(ordering: .relaxed)
            if descriptor >= 0 {
                var byte: UInt8 = 1
                _ = write(descriptor, &byte, 1)  // async-signal-safe
            }
        }
        sigemptyset(&action.sa_mask)
        sigaction(signal, &action, nil)
    }
}

/// Waits, on a thread of its own (poll blocks), until SIGINT, SIGTERM or SIGHUP: for the
/// headless commands (`demo --serve`, `demo --cluster`).
func waitForTerminationSignal() async {
    let wake = WakePipe()
    handleTermination([SIGINT, SIGTERM, SIGHUP], wake: wake)
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        OSThread.detach("the termination signal thread") {
            var descriptor = pollfd(fd: wake.readEnd, events: Int16(POLLIN), revents: 0)
            while !terminationRequested.load(ordering: .relaxed) { _ = poll(&descriptor, 1, 1_000) }
            continuation.resume()
        }
    }
}

/// The dashboard's terminal thread: waits for a key, a line from the app or the next
/// refresh, applies keys (first: they were typed at the screen as drawn), then what the
/// app said, sends the requests that result, and draws. It never blocks a Swift
/// concurrency thread: it runs on a thread of its own, and the async caller waits for it
/// on a continuation.
enum TerminalLoop {
    enum Outcome: Sendable {
        case quit
        case failure(String)
    }

    /// Runs the dashboard until the person quits (or a termination signal arrives).
    static func run(state: DashboardState, link: any DashboardLink, mailbox: Mailbox) async -> Outcome {
        await withTerminal(wake: mailbox.wake) { terminal in loop(terminal, state: state, link: link, mailbox: mailbox) }
    }

    /// Runs `body` on a thread of its own with the terminal set up, SIGTERM and SIGHUP
    /// waking `wake`, and the terminal restored however `body` ends: what every
    /// full-screen command of pooltui shares.
    static func withTerminal(wake: WakePipe, _ body: @escaping @Sendable (Terminal) -> Outcome) async -> Outcome {
        await withCheckedContinuation { (continuation: CheckedContinuation<Outcome, Never>) in
            OSThread.detach("the terminal thread") {
                handleTermination([SIGTERM, SIGHUP], wake: wake)
                let terminal: Terminal
                do {
                    terminal = try Terminal()
                } catch {
                    continuation.resume(returning: .failure("cannot start the terminal (is TERM right?)"))
                    return
                }
                let outcome = body(terminal)
                terminal.restore()
                continuation.resume(returning: outcome)
            }
        }
    }

    private static func loop(_ terminal: Terminal, state initial: DashboardState, link: any DashboardLink, mailbox: Mailbox) -> Outcome {
        let clock = ContinuousClock()
        let started = clock.now
        func now() -> Duration { clock.now - started }
        let builder = FrameBuilder()
        var state = initial
        var layout = Layout(columns: terminal.size.columns, rows: terminal.size.rows)
        state.setPageSize(layout.tableRows)
        var lastDraw = Duration.seconds(-10)
        var fds = [pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: mailbox.wake.readEnd, events: Int16(POLLIN), revents: 0)]

        while !terminationRequested.load(ordering: .relaxed) {
            // Wake for a key, the app, the next refresh, or at least every 250 ms so the
            // clocks on screen move.
            let untilRefresh = state.nextDue.map { max(.zero, $0 - now()) } ?? .milliseconds(250)
            let timeout = min(untilRefresh, .milliseconds(250))
            _ = poll(&fds, nfds_t(fds.count), Int32(timeout.nanosecondsRounded / 1_000_000))
            mailbox.wake.clear()

            var requests: [RequestEnvelope] = []
            var dirty = false
            while let key = terminal.readKey() {
                if case .resize(let columns, let rows) = key {
                    layout = Layout(columns: columns, rows: rows)
                    state.setPageSize(layout.tableRows)
                }
                requests += state.handle(key, at: now())
                dirty = true
                if state.quitting { return .quit }
            }
            for event in mailbox.drain() {
                switch event {
                case .connected(let hello): requests += state.connected(hello, at: now())
                case .message(let message): requests += state.receive(message, at: now())
                case .disconnected(let reason): state.disconnected(reason, at: now())
                }
                dirty = true
            }
            requests += state.tick(at: now())
            if !requests.isEmpty { link.send(requests) }
            if dirty || now() - lastDraw >= .seconds(1) {
                terminal.draw(builder.build(state, layout: layout, at: now()))
                lastDraw = now()
            }
        }
        return .quit
    }
}

extension Duration {
    /// Whole nanoseconds, rounded down and saturating.
    var nanosecondsRounded: Int64 {
        let (seconds, attoseconds) = components
        return seconds.multipliedReportingOverflow(by: 1_000_000_000).overflow ? .max
            : seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}


