import InspectorProtocol

/// How a dashboard reaches its app: requests go out through ``send(_:)``; the hello,
/// replies, pushes and disconnections arrive in the ``Mailbox`` given at creation.
protocol DashboardLink: Sendable {
    func send(_ requests: [RequestEnvelope])
    func close()
}
