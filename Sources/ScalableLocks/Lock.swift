import CPlatform
import Synchronization

/// A `Synchronization.Mutex` that ThreadSanitizer can see: the project's one lock for
/// state shared between threads.
///
/// `Mutex` on Linux locks with a futex inside the standard library, which is not built
/// with ThreadSanitizer: under `swift test --sanitize=thread` every access it guards is
/// reported as a race. `Lock` holds a `Mutex` and, inside each critical section, tells
/// the sanitizer's runtime that the lock was acquired (on entry) and released (on
/// leaving), keyed by the mutex's address. Without the runtime in the process, each of the
/// two annotations is a load and a branch.
///
/// Store it in a `let` of a class or a global, as a `Mutex`: its address is its identity.
/// Critical sections must be short and must not suspend.
@usableFromInline
package struct Lock<Value: ~Copyable>: ~Copyable, Sendable {
    @usableFromInline
    let mutex: Mutex<Value>

    /// Creates an unlocked lock holding `initialValue`.
    @inlinable
    package init(_ initialValue: consuming sending Value) {
        mutex = Mutex(initialValue)
    }

    /// Runs `body` with exclusive access to the value; returns what it returns.
    ///
    /// - Complexity: one uncontended `Mutex` lock and unlock, plus two sanitizer hooks.
    @inlinable @inline(__always)
    package borrowing func withLock<Result: ~Copyable, E: Error>(
        _ body: (inout sending Value) throws(E) -> sending Result
    ) throws(E) -> sending Result {
        // The mutex's address names it to the sanitizer: a name only, never dereferenced.
        // It is the same on every call, as `Mutex` itself needs: it is address-only and
        // lives in a `let`. (Taken inside the critical section, the region checker
        // refuses to send the value through `withUnsafePointer`'s closure.)
        let key = withUnsafePointer(to: mutex) { UnsafeRawPointer($0) }
        return try mutex.withLock { (value: inout sending Value) throws(E) -> sending Result in
            cplatform_tsan_acquire(key)
            defer { cplatform_tsan_release(key) }
            return try body(&value)
        }
    }
}
