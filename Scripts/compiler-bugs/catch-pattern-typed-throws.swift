// A minimal reproducer: Swift 6.3.1's swift-frontend hangs (no progress after minutes)
// compiling `catch .ignored` — a pattern on a typed-thrown error with a non-trivial
// payload — inside a loop in an async closure; without the loop it crashes (signal 11).
// The docs compare with `guard error == .ignored else { throw error }` in a plain
// `catch` instead. Scripts/compiler-bugs/check.sh compiles it with a time limit.
struct StartError: Error, Equatable {
    struct Code: Hashable { let raw: Int; static let ignored = Code(raw: 1) }
    private enum Storage: Equatable { case ignored, other(String) }
    private let storage: Storage
    static let ignored = StartError(storage: .ignored)
    var code: Code { Code(raw: 1) }
}
func start() async throws(StartError) -> Int { throw .ignored }
func run<T>(_ body: () async throws -> T) async rethrows -> T { try await body() }
func f() async throws -> Int {
    try await run {
        var ignored = 0
        for _ in 0..<2 {
            do throws(StartError) {
                _ = try await start()
            } catch .ignored {
                ignored += 1
            }
        }
        return ignored
    }
}
