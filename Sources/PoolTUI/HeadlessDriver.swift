import InspectorProtocol
import PoolDashboard

/// Drives a dashboard's state against its link without a terminal, for `snapshot` and
/// `attach --once`: the same requests and replies as the screen, waited for.
struct HeadlessDriver {
    var state: DashboardState
    let link: any DashboardLink
    let mailbox: Mailbox
    let clock = ContinuousClock()
    let started: ContinuousClock.Instant

    init(state: DashboardState, link: any DashboardLink, mailbox: Mailbox) {
        self.state = state
        self.link = link
        self.mailbox = mailbox
        started = clock.now
    }

    var now: Duration { clock.now - started }

    /// Applies what arrived and sends what it asks for.
    mutating func step() {
        var requests: [RequestEnvelope] = []
        for event in mailbox.drain() {
            switch event {
            case .connected(let hello): requests += state.connected(hello, at: now)
            case .message(let message): requests += state.receive(message, at: now)
            case .disconnected(let reason): state.disconnected(reason, at: now)
            }
        }
        requests += state.tick(at: now)
        if !requests.isEmpty { link.send(requests) }
    }

    /// Sends `requests` and waits until every request has been answered (or `timeout`).
    mutating func settle(_ requests: [RequestEnvelope] = [], timeout: Duration = .seconds(5)) async {
        if !requests.isEmpty { link.send(requests) }
        let deadline = now + timeout
        repeat {
            step()
            if state.app != nil && !state.isWaiting { return }
            try? await Task.sleep(for: .milliseconds(5))
        } while now < deadline
    }

    /// Runs for `duration`, refreshing as the screen would.
    mutating func run(for duration: Duration) async {
        let deadline = now + duration
        while now < deadline {
            step()
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}
