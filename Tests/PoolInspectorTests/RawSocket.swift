import Foundation
import InspectorProtocol

#if canImport(Glibc)
import Glibc
#endif

/// A Unix socket driven by hand, to be the kind of client (or server) a well-behaved one
/// never is: one that never reads, one that vanishes mid-reply, one that speaks another
/// version.
final class RawSocket: @unchecked Sendable {
    // Unchecked: used by one test task at a time; the descriptor is closed once.
    let descriptor: Int32

    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    static func address(_ path: String) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return address
    }

    /// Connects to `path`, blocking.
    static func connect(_ path: String) throws -> RawSocket {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = address(path)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard result == 0 else {
            Glibc.close(descriptor)
            throw ProtocolError(.malformed, "connect: \(String(cString: strerror(errno)))")
        }
        return RawSocket(descriptor: descriptor)
    }

    /// Listens on `path` (which must not exist).
    static func listen(_ path: String) throws -> RawSocket {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = address(path)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, Glibc.listen(descriptor, 8) == 0 else {
            Glibc.close(descriptor)
            throw ProtocolError(.malformed, "listen: \(String(cString: strerror(errno)))")
        }
        return RawSocket(descriptor: descriptor)
    }

    /// Accepts one connection, blocking.
    func accept() -> RawSocket {
        RawSocket(descriptor: Glibc.accept(descriptor, nil, nil))
    }

    /// Writes all of `bytes`, blocking.
    func write(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { return }
            offset += written
        }
    }

    /// Writes what the kernel takes without blocking; returns how much it took.
    func writeWithoutBlocking(_ bytes: [UInt8]) -> Int {
        bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) }
    }

    /// Reads one line, blocking.
    func readLine() -> [UInt8]? {
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while Glibc.read(descriptor, &byte, 1) == 1 {
            if byte == UInt8(ascii: "\n") { return line }
            line.append(byte)
        }
        return line.isEmpty ? nil : line
    }

    func close() {
        Glibc.close(descriptor)
    }
}

extension FileManager {
    /// The permission bits of `path` (without following a link).
    func mode(of path: String) -> Int {
        var info = stat()
        guard lstat(path, &info) == 0 else { return -1 }
        return Int(info.st_mode & 0o777)
    }
}

/// Runs blocking work (a socket read, waiting for a child process) on a thread of its
/// own, so that it never holds one of the few threads Swift concurrency runs on.
func blocking<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread { continuation.resume(returning: body()) }
    }
}
