// What an etcd member (or something posing as one) sends, under libFuzzer: each input is
// read every way the client reads a response — each reply type with what the client
// makes of it (base64 keys and values, proto3 integers as strings, the holder of a
// failed claim) and each line as a line of a watch stream. A trap is a crash the fuzzer
// reports.
//
// Built with `Scripts/fuzz.sh etcd SECONDS` (`-sanitize=fuzzer,address`, `FUZZING`
// defined). Built plainly, it replays the files or folders named on its command line
// (the seed corpus in Fuzz/corpus/etcd, or a crash the fuzzer wrote) once each.
import EtcdClient
import FuzzSupport

#if FUZZING
/// libFuzzer's entry point: one input, read as described at the top of this file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    EtcdResponseReader.readEveryWay(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
#else
@main
struct Replay {
    static func main() {
        FuzzInputs.replayCommandLine { EtcdResponseReader.readEveryWay($0) }
    }
}
#endif
