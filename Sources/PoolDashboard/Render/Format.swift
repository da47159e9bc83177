import InspectorProtocol

/// How the dashboard writes durations, rates and intensities.
enum Format {
    /// `1h02m`, `4m05s`, `12s` — or with tenths of a second, `12.3s`, `4m05.1s`.
    static func clock(_ duration: Duration, fraction: Bool = false) -> String {
        clock(nanoseconds: duration.nanoseconds, fraction: fraction)
    }

    static func clock(nanoseconds: Int64, fraction: Bool = false) -> String {
        let total = max(0, nanoseconds)
        let seconds = total / 1_000_000_000
        let tenths = (total / 100_000_000) % 10
        let (hours, minutes, secs) = (seconds / 3600, (seconds / 60) % 60, seconds % 60)
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let tail = fraction ? ".\(tenths)" : ""
        if hours > 0 { return "\(hours)h\(two(minutes))m" }
        if minutes > 0 { return "\(minutes)m\(two(secs))\(tail)s" }
        return "\(secs)\(tail)s"
    }

    /// `2s`, `0.5s`.
    static func seconds(_ duration: Duration) -> String {
        let seconds = Double(duration.nanoseconds) / 1e9
        return seconds == seconds.rounded() ? "\(Int(seconds))s" : "\(seconds)s"
    }

    /// `12`, `3.4k`, `1.2M`, and tenths below ten.
    static func rate(_ value: Double) -> String {
        if value >= 1_000_000 { return "\(Double(Int(value / 100_000)) / 10)M" }
        if value >= 1_000 { return "\(Double(Int(value / 100)) / 10)k" }
        if value > 0 && value < 10 { return "\(Double(Int(value * 10)) / 10)" }
        return "\(Int(value.rounded()))"
    }

    /// Restart-intensity use: `2/3 in 5s`.
    static func intensity(_ use: WireIntensity) -> String {
        "\(use.restarts)/\(use.maxRestarts) in \(seconds(.milliseconds(use.periodMilliseconds)))"
    }
}
