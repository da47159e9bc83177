import Foundation

/// The inputs a fuzz target replays when built without the fuzzer: every file named, and
/// every file in every folder named (the seed corpus, or a crash the fuzzer wrote), in
/// path order.
package enum FuzzInputs {
    /// The files under `paths`, with their bytes. An unreadable path is reported on
    /// standard error and skipped.
    package static func read(_ paths: some Sequence<String>) -> [(path: String, bytes: [UInt8])] {
        var inputs: [(path: String, bytes: [UInt8])] = []
        for path in paths {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
                print("fuzz replay: no such file or folder: \(path)")
                continue
            }
            let files = isFolder.boolValue
                ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map { "\(path)/\($0)" }
                : [path]
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else {
                    print("fuzz replay: cannot read \(file)")
                    continue
                }
                inputs.append((file, Array(data)))
            }
        }
        return inputs
    }

    /// Replays every input named on the command line through `run`, once each, and says
    /// how many: what a fuzz target does when built without the fuzzer.
    package static func replayCommandLine(_ run: ([UInt8]) -> Void) {
        let inputs = read(CommandLine.arguments.dropFirst())
        for (_, bytes) in inputs { run(bytes) }
        print("replayed \(inputs.count) inputs")
    }
}
