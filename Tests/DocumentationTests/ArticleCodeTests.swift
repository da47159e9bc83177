import Foundation
import Testing

/// The DocC articles' code is compiled and run: every line of every Swift block of an
/// article `Sources/M/M.docc/NAME.md` appears, in order, in `NAMETests.swift` beside this
/// file, whose tests run it with checks in between. An article whose code drifts from the
/// API fails the build of those tests; one whose code drifts from its test fails here.
@Suite("Articles: the catalogues' code is the tests' code")
struct ArticleCodeTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Every article of every catalogue (landing pages hold no Swift blocks).
    static func articles() throws -> [URL] {
        let sources = root.appendingPathComponent("Sources")
        var found: [URL] = []
        for module in try FileManager.default.contentsOfDirectory(atPath: sources.path).sorted() {
            let catalogue = sources.appendingPathComponent(module).appendingPathComponent("\(module).docc")
            guard let files = try? FileManager.default.contentsOfDirectory(atPath: catalogue.path) else { continue }
            for file in files.sorted() where file.hasSuffix(".md") {
                found.append(catalogue.appendingPathComponent(file))
            }
        }
        return found
    }

    static func swiftBlocks(of text: String) -> [[String]] {
        var blocks: [[String]] = []
        var current: [String]?
        for line in text.components(separatedBy: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if current == nil, trimmed == "```swift" {
                current = []
            } else if current != nil, trimmed == "```" {
                blocks.append(current!)
                current = nil
            } else if current != nil {
                current!.append(trimmed)
            }
        }
        return blocks
    }

    @Test("there are the six articles, each with a test file")
    func articlesExist() throws {
        let names = Set(try Self.articles().map { $0.deletingPathExtension().lastPathComponent })
        for article in ["GettingStarted", "ComingFromElixir", "SupervisionTrees", "RegistriesAndPools", "WatchingYourApp", "TestingWithLockstep"] {
            #expect(names.contains(article), "no article \(article)")
        }
    }

    @Test("each article's Swift lines are in its test file, in order")
    func blocksAreTested() throws {
        let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        for article in try Self.articles() {
            let name = article.deletingPathExtension().lastPathComponent
            let blocks = Self.swiftBlocks(of: try String(contentsOf: article, encoding: .utf8))
            let isLanding = name == article.deletingLastPathComponent().deletingPathExtension().lastPathComponent
            if isLanding {
                #expect(blocks.isEmpty, "the landing page \(name) has Swift code no test runs")
                continue
            }
            let testFile = here.appendingPathComponent("\(name)Tests.swift")
            guard let source = try? String(contentsOf: testFile, encoding: .utf8) else {
                Issue.record("\(name).md has no \(name)Tests.swift")
                continue
            }
            var remaining = source.components(separatedBy: "\n").map { $0.trimmingCharacters(in: .whitespaces) }[...]
            for line in blocks.joined() where !line.isEmpty && !line.hasPrefix("import ") {
                guard let found = remaining.firstIndex(of: line) else {
                    Issue.record("\(name).md: this line is not in \(name)Tests.swift, in order: \(line)")
                    break
                }
                remaining = remaining[(found + 1)...]
            }
        }
    }
}
