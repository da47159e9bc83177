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
/// The counters live inline in the lock (no object per stripe), so taking the read lock
/// costs no reference counting.
///
/// - Complexity: read lock and unlock, O(1) with two atomic operations on a line that
///   only the current CPU writes. Write lock, O(stripes in use).
public final class ReadMostlyLock: Sendable {
    /// One reader counter on its own cache line (128 bytes, so that adjacent-line
    /// prefetching does not couple neighbours either).
    @usableFromInline
    struct Stripe: ~Copyable, Sendable {
        @usableFromInline
        let readers = Atomic<Int>(0)
        private let padding: (Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

        @usableFromInline
        init() {}
    }

    /// The most stripes; a machine with more CPUs shares stripes between CPUs.
    @usableFromInline
    static let capacity = 16

    @usableFromInline
    let stripes: InlineArray<16, Stripe>
    /// Stripes in use minus one (a power of two minus one, at least 3).
    @usableFromInline
    let mask: Int
    @usableFromInline
    let writerActive = Atomic<Bool>(false)
    @usableFromInline
    let writers = Lock<Void>(())

    /// Creates an unlocked lock.
    public init() {
        #if canImport(Glibc)
        let cpus = Int(sysconf(Int32(_SC_NPROCESSORS_CONF)))
        #else
        let cpus = 8
        #endif
        var count = 4
        while count < cpus && count < Self.capacity { count *= 2 }
        stripes = InlineArray { _ in Stripe() }
        mask = count - 1
    }

    /// Enters as a reader; returns the stripe to pass to ``readUnlock(_:)``.
    @inlinable @inline(__always)
    public func readLock() -> Int {
        let stripe = Int(cplatform_current_cpu()) & mask
        while true {
            stripes[stripe].readers.wrappingAdd(1, ordering: .sequentiallyConsistent)
            if !writerActive.load(ordering: .sequentiallyConsistent) { return stripe }
            stripes[stripe].readers.wrappingSubtract(1, ordering: .releasing)
            waitForWriter()
        }
    }

    /// Leaves as a reader.
    @inlinable @inline(__always)
    public func readUnlock(_ stripe: Int) {
        stripes[stripe].readers.wrappingSubtract(1, ordering: .releasing)
    }

    /// Runs `body` as a reader.
    @inlinable @inline(__always)
    public func withReadLock<Result>(_ body: () -> Result) -> Result {
        let stripe = readLock()
        defer { readUnlock(stripe) }
        return body()
    }

    /// Runs `body` as the only writer, with no reader inside.
    @inlinable
    public func withWriteLock<Result>(_ body: () -> Result) -> Result {
        writers.withLock { _ -> Result in
            writerActive.store(true, ordering: .sequentiallyConsistent)
            waitForReaders()
            defer { writerActive.store(false, ordering: .releasing) }
            return body()
        }
    }

    @usableFromInline @inline(never)
    func waitForWriter() {
        Self.wait { !writerActive.load(ordering: .relaxed) }
    }

    @usableFromInline
    func waitForReaders() {
        for stripe in 0...mask {
            if stripes[stripe].readers.load(ordering: .sequentiallyConsistent) != 0 {
                Self.wait { stripes[stripe].readers.load(ordering: .sequentiallyConsistent) == 0 }
            }
        }
    }

    /// Spins briefly, then yields the CPU, until `done`.
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
