import CPlatform
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A reader–writer lock for read-mostly data, whose readers do not contend with each
/// other.
///
/// Readers announce themselves on a counter *striped by CPU*: two readers on different
/// CPUs touch different cache lines, so concurrent lookups scale with cores instead of
/// bouncing one lock word between them. A writer takes a mutex, raises a flag and waits
/// for the (short) readers already inside to leave; readers arriving meanwhile step back
/// until it is done. Critical sections must be short and must not suspend.
///
/// - Complexity: read lock and unlock, O(1) with two atomic operations on a line that
///   only the current CPU writes. Write lock, O(stripes).
final class ReadMostlyLock: Sendable {
    /// One reader counter, padded so that neighbouring stripes do not share a cache line.
    private final class Stripe: Sendable {
        let readers = Atomic<Int>(0)
        private let padding: (Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    }

    private let stripes: [Stripe]
    private let mask: Int
    private let writerActive = Atomic<Bool>(false)
    private let writers = Mutex<Void>(())

    init() {
        #if canImport(Glibc)
        let cpus = Int(sysconf(Int32(_SC_NPROCESSORS_CONF)))
        #else
        let cpus = 8
        #endif
        var count = 4
        while count < cpus && count < 64 { count *= 2 }
        stripes = (0..<count).map { _ in Stripe() }
        mask = count - 1
    }

    /// Runs `body` as a reader.
    @inline(__always)
    func withReadLock<Result>(_ body: () -> Result) -> Result {
        let stripe = stripes[Int(cplatform_current_cpu()) & mask]
        while true {
            stripe.readers.add(1, ordering: .sequentiallyConsistent)
            if !writerActive.load(ordering: .sequentiallyConsistent) { break }
            stripe.readers.subtract(1, ordering: .releasing)
            Self.wait { !self.writerActive.load(ordering: .relaxed) }
        }
        defer { stripe.readers.subtract(1, ordering: .releasing) }
        return body()
    }

    /// Runs `body` as the only writer, with no reader inside.
    func withWriteLock<Result>(_ body: () -> Result) -> Result {
        writers.withLock { _ -> Result in
            writerActive.store(true, ordering: .sequentiallyConsistent)
            for stripe in stripes {
                Self.wait { stripe.readers.load(ordering: .sequentiallyConsistent) == 0 }
            }
            defer { writerActive.store(false, ordering: .releasing) }
            return body()
        }
    }

    /// Spins briefly, then yields the CPU, until `done`.
    @inline(never)
    private static func wait(until done: () -> Bool) {
        var spins = 0
        while !done() {
            spins += 1
            if spins < 128 {
                cplatform_spin_pause()
            } else {
                sched_yield()
            }
        }
    }
}
