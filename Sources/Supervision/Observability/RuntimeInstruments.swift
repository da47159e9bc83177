import CoreMetrics

/// A runtime's metrics, made once from its factory (see ``SupervisionMetrics``).
///
/// A runtime whose factory records nothing has none: its processes then pay one
/// `nil` check per start and exit.
final class RuntimeInstruments: Sendable {
    let factory: any MetricsFactory
    let started: Counter
    /// One counter per ``ExitReasonKind``, in `allCases` order.
    private let exited: [Counter]

    init(factory: any MetricsFactory) {
        self.factory = factory
        started = Counter(label: SupervisionMetrics.processesStarted, factory: factory)
        exited = ExitReasonKind.allCases.map {
            Counter(label: SupervisionMetrics.processesExited,
                    dimensions: [(SupervisionMetrics.reasonDimension, $0.rawValue)], factory: factory)
        }
    }

    func exited(_ reason: ExitReason) {
        let counter: Counter
        switch ExitReasonKind(reason) {
        case .normal: counter = exited[0]
        case .shutdown: counter = exited[1]
        case .killed: counter = exited[2]
        case .noproc: counter = exited[3]
        case .error: counter = exited[4]
        }
        counter.increment()
    }

    /// The metrics of one supervisor, by its metrics name.
    func supervisor(named name: String?) -> SupervisorInstruments {
        SupervisorInstruments(name: name ?? SupervisionMetrics.unnamed, factory: factory)
    }
}

/// One supervisor's metrics: its restarts, its escalation, its running children.
final class SupervisorInstruments: Sendable {
    let restarts: Counter
    let escalations: Counter
    let activeChildren: Meter

    init(name: String, factory: any MetricsFactory) {
        let dimensions = [(SupervisionMetrics.supervisorDimension, name)]
        restarts = Counter(label: SupervisionMetrics.restarts, dimensions: dimensions, factory: factory)
        escalations = Counter(label: SupervisionMetrics.escalations, dimensions: dimensions, factory: factory)
        activeChildren = Meter(label: SupervisionMetrics.activeChildren, dimensions: dimensions, factory: factory)
    }

    /// Moves the running-children meter by `delta` (nothing for zero).
    func childrenChanged(by delta: Int) {
        if delta > 0 {
            activeChildren.increment(by: Double(delta))
        } else if delta < 0 {
            activeChildren.decrement(by: Double(-delta))
        }
    }
}
