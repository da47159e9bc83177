/// A fixed schedule: which runnable job each step picks, written as the steps where it
/// does not pick the oldest one.
///
/// Every other step runs the job that has waited longest (FIFO), so a schedule reads as
/// the preemptions a run needs: `"17:2,40:1"` is "at step 17 run the third runnable job,
/// at step 40 the second, otherwise the oldest". Shrinking a failing run leaves the few
/// preemptions that still make it fail.
public struct Schedule: Sendable, Hashable, CustomStringConvertible {
    /// Step → index among the runnable jobs (in the order they were queued); steps not
    /// listed pick index 0. An index past the last runnable job picks the last one.
    public var choices: [Int: Int]

    /// A schedule from its choices (index 0 entries are dropped: they are the default).
    public init(_ choices: [Int: Int] = [:]) {
        self.choices = choices.filter { $0.value != 0 }
    }

    /// A schedule from the index picked at each step.
    init(decisions: some Sequence<Int>) {
        var choices: [Int: Int] = [:]
        for (step, index) in decisions.enumerated() where index != 0 { choices[step] = index }
        self.choices = choices
    }

    /// Parses the ``description`` form: `step:index` pairs separated by commas, or
    /// nothing for "always the oldest".
    public init?(_ text: String) {
        var choices: [Int: Int] = [:]
        for pair in text.split(separator: ",", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: ":")
            guard parts.count == 2, let step = Int(parts[0]), let index = Int(parts[1]),
                  step >= 0, index >= 0, choices[step] == nil else { return nil }
            choices[step] = index
        }
        self.init(choices)
    }

    /// The preemptions: steps that do not run the oldest job.
    public var count: Int { choices.count }

    /// `step:index` pairs in step order, comma-separated.
    ///
    /// - Complexity: O(n log n) for n preemptions.
    public var description: String {
        choices.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ",")
    }
}
