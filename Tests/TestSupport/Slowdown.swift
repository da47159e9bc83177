import CPlatform

/// How much slower this test process runs than a plain build: 1, or more under a
/// sanitizer (ThreadSanitizer 5, AddressSanitizer 3). A test whose deadline is wall-clock
/// (a lease, a fence, a connection or hello timeout, a time limit) scales it by this, so
/// that it tests the same thing under the sanitizer instead of being skipped.
package enum Slowdown {
    /// The factor: 1 in a plain build.
    package static let factor = Int(cplatform_sanitizer_slowdown())

    /// `duration` times the factor.
    package static func scaled(_ duration: Duration) -> Duration { duration * factor }

    /// A count of seconds (a lease's TTL) or minutes (a time limit) times the factor.
    package static func scaled(_ count: Int64) -> Int64 { count * Int64(factor) }
}
