import CBenchProbes
import PoolDemo
import ScalableLocks
import Supervision

#if canImport(Glibc)
import Glibc
#endif

/// Prints figures as `name value unit` and context as `# …`, and tracks failed checks.
final class Reporter: Sendable {
    private let failures = Lock<[String]>([])
    let repetitions: Int
    /// Only figures whose names start with one of these run (all when empty): for
    /// profiling one workload.
    let only: [String]

    init(repetitions: Int, only: [String] = []) {
        self.repetitions = repetitions
        self.only = only
    }

    private func chosen(_ names: [String]) -> Bool {
        only.isEmpty || names.contains { name in only.contains { name.hasPrefix($0) } }
    }

    func info(_ line: String) {
        print("# " + line)
    }

    func emit(_ name: String, _ value: Double, _ unit: String) {
        print("\(name) \(format(value)) \(unit)")
    }

    func emit(_ name: String, _ value: Bool) {
        print("\(name) \(value) bool")
    }

    /// Records a correctness check; a failed one makes the run fail.
    func check(_ condition: Bool, _ description: @autoclosure () -> String) {
        let text = description()
        info("check \(condition ? "ok" : "FAILED"): \(text)")
        if !condition { failures.withLock { $0.append(text) } }
    }

    var failed: [String] { failures.withLock { $0 } }

    /// Runs `measure` once to warm up, then `repetitions` times, and emits the median.
    func run(_ name: String, _ unit: String, _ measure: (Int) async throws -> Double) async rethrows {
        guard chosen([name]) else { return }
        _ = try await measure(0)
        var values: [Double] = []
        for rep in 1...repetitions { values.append(try await measure(rep)) }
        report(name, unit, values)
    }

    /// Like ``run(_:_:_:)`` for workloads that produce several figures at once.
    func runMulti(_ specs: [(String, String)], _ measure: (Int) async throws -> [String: Double]) async rethrows {
        guard chosen(specs.map(\.0)) else { return }
        _ = try await measure(0)
        var results: [[String: Double]] = []
        for rep in 1...repetitions { results.append(try await measure(rep)) }
        for (name, unit) in specs { report(name, unit, results.map { $0[name] ?? .nan }) }
    }

    func report(_ name: String, _ unit: String, _ values: [Double]) {
        info("\(name) reps=[\(values.map(format).joined(separator: ", "))]")
        emit(name, median(values), unit)
    }

    private func format(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if abs(value) >= 100 { return String(format1: value) }
        return String(format3: value)
    }
}

extension String {
    init(format1 value: Double) { self = Self.fixed(value, digits: 1) }
    init(format3 value: Double) { self = Self.fixed(value, digits: 3) }

    static func fixed(_ value: Double, digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        var text = String(rounded)
        if let dot = text.firstIndex(of: ".") {
            let decimals = text.distance(from: dot, to: text.endIndex) - 1
            if decimals < digits { text += String(repeating: "0", count: digits - decimals) }
        } else {
            text += "." + String(repeating: "0", count: digits)
        }
        return text
    }
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/// Nearest-rank percentile, as the OTP reference computes it.
func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    let rank = Int((p * Double(sorted.count)).rounded(.up)) - 1
    return sorted[max(0, min(rank, sorted.count - 1))]
}

/// Monotonic nanoseconds.
@inline(__always)
func now() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
}

/// Heap bytes in use and resident bytes.
struct MemoryReading {
    var heap: Double
    var resident: Double

    static func now() -> MemoryReading {
        MemoryReading(heap: Double(cplatform_heap_in_use()), resident: Double(cplatform_resident_bytes()))
    }
}

func randomKeys(_ count: Int, base: Int, space: Int, seed: UInt64) -> [Int] {
    var generator = SplitMix64(seed: seed)
    return (0..<count).map { _ in base + Int.random(in: 0..<space, using: &generator) }
}

/// Runs `body` as a process — the bench process of the OTP reference — and returns its
/// result once the process has exited.
func asProcess<T: Sendable>(_ runtime: Runtime, _ body: @escaping @Sendable (Inbox) async throws -> T) async throws -> T {
    let box = Lock<Result<T, any Error>?>(nil)
    let (finished, finishing) = AsyncStream<Void>.makeStream()
    let pid = Process.spawn(runtime: runtime) { inbox in
        let result: Result<T, any Error>
        do { result = .success(try await body(inbox)) } catch { result = .failure(error) }
        box.withLock { $0 = result }
        finishing.finish()
    }
    // The body may outlive its process (a pool it started and linked to stops with
    // `shutdown` and takes it along; the body still runs to its end), and the process
    // may outlive its body (it exits after the body returns). Wait for both, so that
    // checks of live process counts that follow never see it still exiting.
    let exited = Process.watch(pid)
    for await _ in finished {}
    _ = await exited.reasonIgnoringCancellation
    return try box.withLock { $0! }.get()
}

/// A start barrier for concurrent callers.
final class Barrier: Sendable {
    private let state: Lock<(waiting: Int, continuations: [CheckedContinuation<Void, Never>])>
    init(parties: Int) { state = Lock((parties, [])) }

    func arriveAndWait() async {
        await withCheckedContinuation { continuation in
            let release = state.withLock { state -> [CheckedContinuation<Void, Never>] in
                state.waiting -= 1
                state.continuations.append(continuation)
                guard state.waiting == 0 else { return [] }
                defer { state.continuations = [] }
                return state.continuations
            }
            for waiting in release { waiting.resume() }
        }
    }
}
