#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Plain OS threads, for work that must never hold one of Swift's cooperative threads:
/// the system clock's timer thread, a lockstep driver, a cluster registry's fence deadline,
/// the terminal loop (ncurses blocks and is not thread-safe).
///
/// The package's one copy of the `pthread_create` boilerplate: the body travels to the
/// new thread in a retained box that the thread takes over, and a thread that cannot be
/// created releases the box and stops the program with the error (the system is out of
/// threads or memory; no caller has anything better to do).
package enum OSThread {
    private final class Box: Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    /// Starts `body` on a new, detached OS thread.
    ///
    /// - Parameter purpose: names the thread in the message if it cannot be created.
    package static func detach(_ purpose: String, _ body: @escaping @Sendable () -> Void) {
        pthread_detach(create(purpose, body))
    }

    /// A thread started by ``start(_:_:)``, to be joined once.
    package struct Joinable: @unchecked Sendable {
        // @unchecked: a pthread_t is an opaque handle; joining it is thread-safe, and
        // callers join it once.
        fileprivate let thread: pthread_t

        /// Waits for the thread's body to return.
        package func join() {
            pthread_join(thread, nil)
        }
    }

    /// Starts `body` on a new OS thread that the caller joins.
    package static func start(_ purpose: String, _ body: @escaping @Sendable () -> Void) -> Joinable {
        Joinable(thread: create(purpose, body))
    }

    /// Runs `body` on a new OS thread and waits for it, blocking the caller: for what
    /// must be seen from outside any task (a task-local's default value).
    package static func join(_ purpose: String, _ body: @escaping @Sendable () -> Void) {
        start(purpose, body).join()
    }

    private static func create(_ purpose: String, _ body: @escaping @Sendable () -> Void) -> pthread_t {
        let box = Unmanaged.passRetained(Box(body))
        #if canImport(Darwin)
        var thread: pthread_t?
        let result = pthread_create(&thread, nil, { context in
            Unmanaged<Box>.fromOpaque(context).takeRetainedValue().body()
            return nil
        }, box.toOpaque())
        #else
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { context in
            // `context` is the box passed below, never nil.
            Unmanaged<Box>.fromOpaque(context!).takeRetainedValue().body()
            return nil
        }, box.toOpaque())
        #endif
        guard result == 0 else {
            box.release()
            fatalError("cannot start \(purpose): pthread_create failed, \(String(cString: strerror(result)))")
        }
        #if canImport(Darwin)
        return thread!
        #else
        return thread
        #endif
    }

    /// Runs `body` on a new OS thread and returns its result; the caller suspends
    /// meanwhile, holding no thread.
    package static func run<Result: Sendable>(
        _ purpose: String, _ body: @escaping @Sendable () -> Result
    ) async -> Result {
        await withCheckedContinuation { (continuation: CheckedContinuation<Result, Never>) in
            detach(purpose) { continuation.resume(returning: body()) }
        }
    }
}
