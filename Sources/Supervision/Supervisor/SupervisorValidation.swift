/// Checks of the options and child specs a supervisor is given, where they enter: OTP
/// refuses a bad value with `invalid_max_children`, `invalid_intensity`, `invalid_period`
/// or `invalid_shutdown` instead of running with it.
extension RestartIntensity {
    /// The first field out of range, if any.
    func problem() -> StartError? {
        if maxRestarts < 0 {
            return .invalidOption(field: "maxRestarts", problem: "\(maxRestarts) is below zero")
        }
        if period <= .zero {
            return .invalidOption(field: "period", problem: "\(period) is not positive")
        }
        return nil
    }
}

extension DynamicSupervisor.Options {
    /// The first field out of range, if any.
    func problem() -> StartError? {
        if let maxChildren, maxChildren < 0 {
            return .invalidOption(field: "maxChildren", problem: "\(maxChildren) is below zero (nil for no limit)")
        }
        return intensity.problem()
    }
}

extension Supervisor.Options {
    /// The first field out of range, if any.
    func problem() -> StartError? { intensity.problem() }
}

extension ChildSpec {
    /// The first field out of range, if any.
    func problem() -> StartError? {
        if case .timeout(let timeout) = shutdown, timeout < .zero {
            return .invalidOption(field: "shutdown", problem: "\(timeout) is below zero (.brutalKill kills at once)")
        }
        return nil
    }
}
