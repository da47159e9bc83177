import InspectorProtocol
import PoolInspector
import ScalableLocks

/// The link of `pooltui attach`: a socket to the app's inspector. When the app goes, it
/// says so and keeps looking for an app of the same name in the user's folder, and
/// attaches to it when it is back.
final class RemoteLink: DashboardLink {
    /// The connection now, shared with the task that makes it again.
    private final class Current: Sendable {
        let client = Lock<InspectorClient?>(nil)
        let reconnector = Lock<Task<Void, Never>?>(nil)
    }

    private let current = Current()

    /// How often it looks for the app again once it has gone.
    static let retryInterval = Duration.milliseconds(300)

    /// Starts with a connection made already (the first attach, whose errors the
    /// command reports before any screen opens).
    init(first: InspectorClient, directory: SocketDirectory, mailbox: Mailbox, clientName: String) {
        let name = first.hello.app
        let shared = current
        let task = Task {
            var next: InspectorClient? = first
            while !Task.isCancelled {
                if let connected = next {
                    shared.client.withLock { $0 = connected }
                    mailbox.post(.connected(connected.hello))
                    await connected.waitUntilClosed()
                    shared.client.withLock { $0 = nil }
                    next = nil
                }
                try? await Task.sleep(for: Self.retryInterval)
                guard let entry = AppFinder.current(named: name, in: directory) else { continue }
                next = try? await InspectorClient.connect(
                    path: entry.path, client: clientName,
                    onMessage: { mailbox.post(.message($0)) },
                    onClose: { mailbox.post(.disconnected($0)) })
            }
        }
        current.reconnector.withLock { $0 = task }
    }

    /// The handlers a first connection needs so that its lines reach `mailbox`.
    static func handlers(_ mailbox: Mailbox) -> (onMessage: @Sendable (ServerMessage) -> Void, onClose: @Sendable (String) -> Void) {
        ({ mailbox.post(.message($0)) }, { mailbox.post(.disconnected($0)) })
    }

    func send(_ requests: [RequestEnvelope]) {
        guard let client = current.client.withLock({ $0 }) else { return }
        for request in requests { client.send(request) }
    }

    func close() {
        current.reconnector.withLock { $0?.cancel() }
        current.client.withLock { $0?.close() }
    }
}
