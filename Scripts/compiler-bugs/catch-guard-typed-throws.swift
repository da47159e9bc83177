// The same retry loop as catch-where-typed-throws.swift, matching the error's code with a
// `guard` inside a plain `catch`: the pattern the docs use, which Swift 6.3.1 compiles.
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
        } catch {
            guard error.code == .noProcess else { throw error }
            attempt += 1
        }
    }
    return -1
}
