import InspectorProtocol
import Supervision

/// What the inspector's service needs from one watched pool or registry, whatever its
/// key and value types: the type-erased face of ``RegistryWatch``.
protocol Watch: AnyObject, Sendable {
    /// The name clients use.
    var name: String { get }
    /// What the hello says about it.
    var poolDescription: PoolDescription { get }
    /// Hands a runtime event to the watch (queued; applied by the next drain).
    func post(_ event: SupervisionEvent)
    /// Applies everything queued: the index, counters and log follow it. Returns the
    /// log entries it made, in order.
    func drain(now: Timestamp) -> [EventLog.Entry]
    /// The pool's supervisor now, if it is a pool that runs.
    var supervisorPID: PID? { get }
    /// Whether `supervisor` is (or was) this pool's supervisor: its escalations are
    /// logged by this watch.
    func claims(supervisor: PID) -> Bool
    func summary(now: Timestamp) -> PoolSummary
    func rows(_ query: RowsQuery, now: Timestamp) -> RowsReply
    func worker(ref: UInt64, now: Timestamp) throws(ProtocolError) -> WorkerReply
    func describeState(_ query: StateQuery) async throws(ProtocolError) -> StateReply
    func command(_ action: CommandRequest.Action, by client: String) async throws(ProtocolError) -> CommandReply
    /// Returns once the watch's first look at its registry is done (it runs in the
    /// background: a registry of a million entries takes seconds).
    func ready() async
    /// Stops listening to the registry.
    func close()
}
