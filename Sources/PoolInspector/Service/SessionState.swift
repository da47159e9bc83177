/// Where one client's session is: it must say hello first, then it is served, until it
/// or the app ends it.
enum SessionState: Sendable, Equatable {
    /// Connected; only a hello is accepted.
    case awaitingHello
    /// The hello was accepted: requests are served. `client` names it in the app's log.
    case ready(client: String)
    /// The session is ending: nothing more is read; what is queued still goes out.
    case closing

    /// What a request line does in this state.
    enum Admission: Sendable, Equatable {
        /// Serve it.
        case serve
        /// Answer ``InspectorProtocol/ProtocolError/Code/helloRequired``.
        case helloFirst
        /// Ignore it (the session is closing).
        case ignore
    }

    /// Whether a request with this op is served now.
    func admit(op: String) -> Admission {
        switch self {
        case .awaitingHello: return op == "hello" ? .serve : .helloFirst
        case .ready: return .serve
        case .closing: return .ignore
        }
    }

    /// The state after a hello: `accepted` moves a waiting session to ready; a refused
    /// hello closes it. A second hello changes nothing.
    func afterHello(accepted: Bool, client: String) -> SessionState {
        switch self {
        case .awaitingHello: return accepted ? .ready(client: client) : .closing
        case .ready, .closing: return self
        }
    }
}
