// A minimal reproducer: Swift 6.3.1's swift-frontend crashes (signal 11 in
// MandatoryAllocBoxToStack / StackNesting::fixNesting; the issue report saw "Found outside
// of lifetime use?!" in SILGenCleanup) compiling a `catch let error where …` clause that
// matches a typed-thrown error with a non-trivial payload, in an async function, when the
// clause mutates a local variable. This is the README's old error-matching pattern
// (`catch let error where error.code == .noProcess`) inside a retry loop around
// `ServerRef.call`. The docs now use the pattern in `catch-guard-typed-throws.swift`,
// which compiles everywhere.
//
// Scripts/compiler-bugs/check.sh compiles both and says whether the crash is still there.
struct CallError: Error, Equatable {
    struct Code: Hashable {
        let raw: Int
        static let noProcess = Code(raw: 1)
    }
    private enum Storage: Equatable { case noProcess(target: String), other(String) }
    private let storage: Storage
    static func noProcess(target: String) -> CallError { CallError(storage: .noProcess(target: target)) }
    var code: Code {
        if case .noProcess = storage { return .noProcess }
        return Code(raw: 2)
    }
}

struct Ref: Sendable {
    nonisolated(nonsending) func call(_ x: Int) async throws(CallError) -> Int {
        if x > 2 { throw .noProcess(target: "x") }
        return x
    }
}

func retry(_ ref: Ref) async throws -> Int {
    var attempt = 0
    while attempt < 10 {
        do {
            return try await ref.call(attempt)
        } catch let error where error.code == .noProcess {
            attempt += 1
        }
    }
    return -1
}
