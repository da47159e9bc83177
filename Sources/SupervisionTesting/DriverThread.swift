#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a lockstep driver on a thread of its own, so that an `async` caller suspends
/// instead of holding one of Swift's few cooperative threads for the whole run (a test
/// run of many seeds would otherwise starve every other test of the process).
enum DriverThread {
    private final class Work: @unchecked Sendable {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    /// Runs `body` on a new thread and returns its result.
    static func run<Result: Sendable>(_ body: @escaping @Sendable () -> Result) async -> Result {
        await withCheckedContinuation { (continuation: CheckedContinuation<Result, Never>) in
            let work = Unmanaged.passRetained(Work { continuation.resume(returning: body()) })
            #if canImport(Darwin)
            var thread: pthread_t?
            #else
            var thread = pthread_t()
            #endif
            let status = pthread_create(&thread, nil, { argument in
                Unmanaged<Work>.fromOpaque(argument!).takeRetainedValue().body()
                return nil
            }, work.toOpaque())
            guard status == 0 else {
                work.release()
                fatalError("Lockstep: cannot create the driver thread (pthread_create: \(status))")
            }
            #if canImport(Darwin)
            if let thread { pthread_detach(thread) }
            #else
            pthread_detach(thread)
            #endif
        }
    }
}
