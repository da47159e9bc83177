import Dispatch
@testable import EtcdClient
import Foundation
import Synchronization
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// The client keeps connections to a member open between requests. A member may close one
/// of them at any moment (etcd's server drops idle keep-alive connections); a request sent
/// as it does must not fail for it when a new connection would be answered.
@Suite("Keep-alive connections a member drops", .timeLimit(.minutes(Slowdown.scaled(1))))
struct KeepAliveTests {
    @Test("a request on a kept connection the member closes unanswered is sent again on a new connection, once")
    func droppedConnectionIsReplaced() async throws {
        // The member answers the first request on its first connection, then reads the
        // second and closes that connection without a word; it answers on the next one.
        let member = try ScriptedMember(script: [[.answer, .dropUnanswered], [.answer]])
        let client = EtcdClient(endpoints: [EtcdEndpoint(host: "127.0.0.1", port: member.port)])
        defer { client.close() }
        var failures: [EtcdError] = []
        for key in ["a", "b"] {
            do { _ = try await client.get(key) } catch { failures.append(error) }
        }
        let connections = member.finish()
        #expect(failures.isEmpty)
        #expect(connections == 2, "the dropped connection replaced by one new one")
    }

    @Test("a member that drops a new connection unanswered is not tried again: the request fails as unavailable")
    func droppedNewConnectionFails() async throws {
        // A second connection would be answered: a client that retried would succeed.
        let member = try ScriptedMember(script: [[.dropUnanswered], [.answer]])
        let client = EtcdClient(endpoints: [EtcdEndpoint(host: "127.0.0.1", port: member.port)])
        defer { client.close() }
        var failure: EtcdError?
        do { _ = try await client.get("a") } catch { failure = error }
        #expect(member.finish() == 1)
        #expect(failure?.code == .unavailable)
    }
}

/// A fake member on a loopback port that plays a script: for each connection it accepts, in
/// order, what to do with each request that arrives on it. It reads every request in full
/// before acting, so "dropped unanswered" means the request was sent.
private final class ScriptedMember: Sendable {
    enum Step: Sendable { case answer, dropUnanswered }

    let port: Int
    private let listener: Int32
    private let done = DispatchSemaphore(value: 0)
    private let accepted = Atomic<Int>(0)

    init(script: [[Step]]) throws {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bind(socket, address, length) == 0 && listen(socket, 8) == 0
                    && getsockname(socket, address, &length) == 0
            }
        }
        guard socket >= 0, bound else { throw EtcdError(.unavailable, "the scripted member cannot listen") }
        listener = socket
        port = Int(UInt16(bigEndian: address.sin_port))
        // A thread of its own: blocked in accept or recv, it must not hold one of
        // Dispatch's threads, which the cooperative pool (the client's tasks) runs on.
        let thread = Thread { [self] in
            defer { done.signal() }
            for steps in script {
                let connection = accept(socket, nil, nil)
                guard connection >= 0 else { return }
                accepted.add(1, ordering: .relaxed)
                // A last guard: a client that never sends ends the script instead of
                // holding it forever.
                var limit = timeval(tv_sec: 30, tv_usec: 0)
                setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
                defer { close(connection) }
                for step in steps {
                    guard Self.readRequest(connection) else { break }
                    if step == .dropUnanswered { break }
                    let body = #"{"header":{"revision":"5"}}"#
                    let reply = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
                    _ = reply.withCString { send(connection, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
                }
            }
        }
        thread.start()
    }

    /// Stops listening, waits for the script to end, and returns how many connections
    /// were accepted.
    func finish() -> Int {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        done.wait()
        return accepted.load(ordering: .relaxed)
    }

    /// Reads one request (head, then a body of its Content-Length); false at end of stream.
    private static func readRequest(_ connection: Int32) -> Bool {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        func receive() -> Bool {
            let count = recv(connection, &buffer, buffer.count, 0)
            guard count > 0 else { return false }
            bytes += buffer[..<count]
            return true
        }
        let separator = Array("\r\n\r\n".utf8)
        var headEnd: Int?
        while headEnd == nil {
            guard receive() else { return false }
            headEnd = bytes.indices.dropLast(3).first { Array(bytes[$0..<$0 + 4]) == separator }
        }
        let head = String(decoding: bytes[..<(headEnd ?? 0)], as: UTF8.self).lowercased()
        let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
            .flatMap { Int($0.dropFirst("content-length:".count).drop { $0 == " " }) } ?? 0
        while bytes.count < (headEnd ?? 0) + 4 + length {
            guard receive() else { return false }
        }
        return true
    }
}
