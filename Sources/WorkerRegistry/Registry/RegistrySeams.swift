#if FAULTS
/// Test seams inside the registry's operations, for tests that must stop an operation
/// at one exact point to race something against it. Compiled into debug builds only
/// (the `FAULTS` condition): a release build has neither the seams nor their calls.
@usableFromInline
package enum RegistrySeams {
    /// Runs in ``Registry/register(_:value:for:)`` after its first look at whether the
    /// registry is closed, before the entry goes in.
    @TaskLocal package static var beforeInsert: (@Sendable () -> Void)?

    @usableFromInline
    package static func runBeforeInsert() { beforeInsert?() }
}
#endif
