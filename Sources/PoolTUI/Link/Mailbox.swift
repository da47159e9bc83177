import InspectorProtocol
import ScalableLocks
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// What reaches the dashboard from its link to the app, from any thread, until the
/// terminal thread drains it; each post wakes that thread (``WakePipe``).
final class Mailbox: Sendable {
    enum Event: Sendable {
        case connected(ServerHello)
        case message(ServerMessage)
        case disconnected(String)
    }

    private let queue = Lock<[Event]>([])
    let wake: WakePipe

    init(wake: WakePipe) {
        self.wake = wake
    }

    func post(_ event: Event) {
        queue.withLock { $0.append(event) }
        wake.signal()
    }

    func drain() -> [Event] {
        queue.withLock { queue in
            defer { queue = [] }
            return queue
        }
    }
}

/// A pipe the terminal thread polls beside standard input, so that a reply, a push or a
/// signal wakes it at once instead of at its next timeout.
final class WakePipe: Sendable {
    let readEnd: Int32
    let writeEnd: Int32
    private let armed = Atomic<Bool>(false)

    init() {
        var ends: [Int32] = [0, 0]
        precondition(pipe(&ends) == 0, "cannot create a pipe: \(String(cString: strerror(errno)))")
        readEnd = ends[0]
        writeEnd = ends[1]
        for end in ends { _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK) }
    }

    /// Wakes the poller (once until it clears).
    func signal() {
        guard !armed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    /// Empties the pipe after a wake-up.
    func clear() {
        armed.store(false, ordering: .releasing)
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(readEnd, &buffer, buffer.count) > 0 {}
    }

    deinit {
        close(readEnd)
        close(writeEnd)
    }
}
