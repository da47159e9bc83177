import Synchronization
import ScalableLocks

/// Fans lifecycle events out to subscribers without ever making the runtime wait.
///
/// Each subscriber has its own bounded buffer that keeps the newest events: a slow or
/// absent reader loses its oldest events (counted in ``droppedCount``), never slows a
/// publisher. With no subscribers, publishing costs one atomic load.
public final class EventBus: Sendable {
    private typealias Continuation = AsyncStream<SupervisionEvent>.Continuation

    private let clock: any SupervisionClock
    private let subscribers = Lock<[(id: UInt64, continuation: Continuation)]>([])
    @usableFromInline
    let subscriberCount = Atomic<Int>(0)
    private let nextID = Atomic<UInt64>(0)
    private let dropped = Atomic<Int>(0)
    private let observers = Lock<[@Sendable (SupervisionEvent) -> Void]>([])
    private let observerCount = Atomic<Int>(0)

    init(clock: any SupervisionClock) {
        self.clock = clock
    }

    /// A stream of every event published from now on.
    ///
    /// - Parameter capacity: how many unread events to keep; older ones are dropped.
    public func subscribe(capacity: Int = 16_384) -> AsyncStream<SupervisionEvent> {
        let id = nextID.add(1, ordering: .relaxed).oldValue
        let (stream, continuation) = AsyncStream<SupervisionEvent>.makeStream(bufferingPolicy: .bufferingNewest(capacity))
        continuation.onTermination = { [weak self] _ in
            self?.unsubscribe(id)
        }
        subscribers.withLock { $0.append((id, continuation)) }
        subscriberCount.add(1, ordering: .releasing)
        return stream
    }

    private func unsubscribe(_ id: UInt64) {
        let removed = subscribers.withLock { subscribers -> Bool in
            guard let index = subscribers.firstIndex(where: { $0.id == id }) else { return false }
            subscribers.remove(at: index)
            return true
        }
        if removed { subscriberCount.subtract(1, ordering: .releasing) }
    }

    /// Calls `observer` with every event published from now on, synchronously, on the
    /// publishing thread and inside the operation that publishes it — for deterministic
    /// tools such as a lockstep scheduler's trace. The observer must be quick and must not
    /// block or call back into the runtime. It stays for the life of the bus.
    public func observe(_ observer: @escaping @Sendable (SupervisionEvent) -> Void) {
        observers.withLock { $0.append(observer) }
        observerCount.add(1, ordering: .releasing)
        subscriberCount.add(1, ordering: .releasing)
    }

    /// Events dropped because a subscriber's buffer was full.
    public var droppedCount: Int { dropped.load(ordering: .relaxed) }

    /// Whether anyone is subscribed.
    @inlinable
    public var hasSubscribers: Bool { subscriberCount.load(ordering: .acquiring) > 0 }

    @usableFromInline
    func publish(_ kind: SupervisionEvent.Kind) {
        guard subscriberCount.load(ordering: .acquiring) > 0 else { return }
        let event = SupervisionEvent(time: clock.now(), kind: kind)
        if observerCount.load(ordering: .acquiring) > 0 {
            for observer in observers.withLock({ $0 }) { observer(event) }
        }
        let current = subscribers.withLock { $0 }
        for subscriber in current {
            if case .dropped = subscriber.continuation.yield(event) {
                dropped.add(1, ordering: .relaxed)
            }
        }
    }
}
