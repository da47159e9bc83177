import ScalableLocks

/// A client of etcd's v3 API through its JSON gateway, over HTTP/1.1 on swift-nio: leases,
/// claims (a put only if the key does not exist), ranges and watches — what a cluster-wide
/// registry needs, and nothing more.
///
/// It keeps a few keep-alive connections per member and fails over between the members
/// it is given: a request that cannot reach one (refused, reset, past its timeout) goes to
/// the next, and the one that answered is tried first next time. A request that timed out
/// may still have been applied: ``claim(_:value:lease:)`` is written so that a retry
/// recognises its own earlier success.
public final class EtcdClient: Sendable {
    /// The members, in the order given.
    public let endpoints: [EtcdEndpoint]
    /// How long one request may take on one member before it goes to the next.
    public let requestTimeout: Duration
    /// How often a watch checks that its member still serves (answers a read that needs
    /// a quorum): a watch on a member that was cut off or paused goes silent rather than
    /// failing, and moves to another member within this interval plus ``requestTimeout``.
    public let watchProbeInterval: Duration

    private struct Pool {
        var preferred = 0
        var idle: [Int: [HTTPConnection]] = [:]
    }
    private let pool = Lock(Pool())
    private static let idlePerEndpoint = 16

    /// A client of the members at `endpoints` (at least one).
    public init(endpoints: [EtcdEndpoint], requestTimeout: Duration = .seconds(2), watchProbeInterval: Duration = .seconds(1)) {
        precondition(!endpoints.isEmpty, "an etcd client needs at least one endpoint")
        self.endpoints = endpoints
        self.requestTimeout = requestTimeout
        self.watchProbeInterval = watchProbeInterval
    }

    deinit {
        for connection in pool.withLock({ $0.idle.values.flatMap { $0 } }) { connection.close() }
    }

    /// Closes every idle connection (requests under way finish first).
    public func close() {
        let idle = pool.withLock { pool -> [HTTPConnection] in
            defer { pool.idle = [:] }
            return pool.idle.values.flatMap { $0 }
        }
        for connection in idle { connection.close() }
    }

    // MARK: - Leases

    /// Grants a lease of `ttl` seconds.
    public func grantLease(ttl: Int64) async throws(EtcdError) -> EtcdLease {
        let reply = try await call("/v3/lease/grant", LeaseGrantRequest(TTL: Int64String(ttl)), as: LeaseGrantResponse.self)
        guard let id = reply.ID?.value else { throw EtcdError(.malformed, "a lease grant without an ID") }
        return EtcdLease(id: id, ttl: reply.TTL?.value ?? ttl)
    }

    /// Renews the lease `id` once; returns its new time to live in seconds.
    ///
    /// - Throws: ``EtcdError/Code/leaseNotFound`` once it has expired or was revoked.
    ///
    /// - Parameters:
    ///   - id: the lease.
    ///   - timeout: how long each member may take (``requestTimeout`` if `nil`): a
    ///     renewal that must land before a deadline gives each member a short one.
    public func keepAlive(_ id: Int64, timeout: Duration? = nil) async throws(EtcdError) -> Int64 {
        let reply = try await call("/v3/lease/keepalive", LeaseIDRequest(ID: Int64String(id)), as: LeaseKeepAliveResponse.self,
                                   timeout: timeout)
        guard let ttl = reply.result?.TTL?.value, ttl > 0 else {
            throw EtcdError(.leaseNotFound, "lease \(id) has expired or was revoked")
        }
        return ttl
    }

    /// Revokes the lease `id`: every key under it is deleted now.
    public func revoke(_ id: Int64) async throws(EtcdError) {
        _ = try await call("/v3/lease/revoke", LeaseIDRequest(ID: Int64String(id)), as: ResponseHeaderOnly.self)
    }

    /// The seconds the lease `id` has left, or `nil` once it has expired or was revoked.
    public func timeToLive(_ id: Int64) async throws(EtcdError) -> Int64? {
        let reply = try await call("/v3/lease/timetolive", LeaseIDRequest(ID: Int64String(id)), as: LeaseGrantResponse.self)
        guard let ttl = reply.TTL?.value, ttl >= 0 else { return nil }
        return ttl
    }

    // MARK: - Keys

    /// Puts `key` only if it does not exist, under `lease`: one transaction comparing the
    /// key's create revision with 0.
    ///
    /// Returns ``EtcdClaim/claimed(revision:)`` with the key's create revision (the
    /// fencing token), or ``EtcdClaim/held(_:)`` with the holder. A holder under `lease`
    /// with this very `value` is this claim, applied by an earlier try that timed out: it
    /// is reported as claimed, with its revision (make `value` unique per claim for that
    /// to mean "this claim" and not "an older one").
    public func claim(_ key: String, value: [UInt8], lease: Int64) async throws(EtcdError) -> EtcdClaim {
        let encoded = GatewayJSON.base64(key)
        let request = TxnRequest(
            compare: [Compare(result: "EQUAL", key: encoded, createRevision: Int64String(0))],
            success: [RequestOp(requestPut: .init(key: encoded, value: GatewayJSON.base64(value), lease: Int64String(lease)))],
            failure: [RequestOp(requestRange: RangeRequest(key: encoded))])
        let reply = try await call("/v3/kv/txn", request, as: TxnResponse.self)
        if reply.succeeded == true {
            guard let revision = reply.header?.revision?.value else { throw EtcdError(.malformed, "a transaction without a revision") }
            return .claimed(revision: revision)
        }
        guard let holder = try reply.responses?.first?.response_range?.kvs?.first?.model() else {
            throw EtcdError(.malformed, "a failed claim of \(key) without its holder")
        }
        if holder.lease == lease && holder.value == value { return .claimed(revision: holder.createRevision) }
        return .held(holder)
    }

    /// Deletes `key` if it is still the one created at `revision` (a claim's token): a
    /// holder never deletes a later holder's key. Returns whether it deleted it.
    @discardableResult
    public func release(_ key: String, revision: Int64) async throws(EtcdError) -> Bool {
        let encoded = GatewayJSON.base64(key)
        let request = TxnRequest(
            compare: [Compare(result: "EQUAL", key: encoded, createRevision: Int64String(revision))],
            success: [RequestOp(requestDeleteRange: .init(key: encoded))],
            failure: [])
        return try await call("/v3/kv/txn", request, as: TxnResponse.self).succeeded == true
    }

    /// Puts `key` unconditionally (under `lease`, if not 0). Returns the revision.
    @discardableResult
    public func put(_ key: String, value: [UInt8], lease: Int64 = 0) async throws(EtcdError) -> Int64 {
        let encoded = GatewayJSON.base64(key)
        let request = TxnRequest(
            compare: [],
            success: [RequestOp(requestPut: .init(key: encoded, value: GatewayJSON.base64(value),
                                                  lease: lease == 0 ? nil : Int64String(lease)))],
            failure: [])
        return try await call("/v3/kv/txn", request, as: TxnResponse.self).header?.revision?.value ?? 0
    }

    /// Every key that starts with `prefix`, in key order, and the revision they were read at.
    public func range(prefix: String) async throws(EtcdError) -> (keyValues: [EtcdKeyValue], revision: Int64) {
        let request = RangeRequest(key: GatewayJSON.base64(prefix), rangeEnd: GatewayJSON.base64(GatewayJSON.prefixEnd(prefix)))
        let reply = try await call("/v3/kv/range", request, as: RangeResponse.self)
        var keyValues: [EtcdKeyValue] = []
        for wire in reply.kvs ?? [] { keyValues.append(try wire.model()) }
        return (keyValues, reply.header?.revision?.value ?? 0)
    }

    /// The key, if it exists.
    public func get(_ key: String) async throws(EtcdError) -> EtcdKeyValue? {
        let reply = try await call("/v3/kv/range", RangeRequest(key: GatewayJSON.base64(key)), as: RangeResponse.self)
        return try reply.kvs?.first?.model()
    }

    // MARK: - Transport

    /// POSTs `request` to `path` on the preferred member, failing over to the others.
    func call<Request: Encodable, Reply: Decodable>(
        _ path: String, _ request: Request, as reply: Reply.Type, timeout: Duration? = nil
    ) async throws(EtcdError) -> Reply {
        let body = GatewayJSON.encode(request)
        let start = pool.withLock { $0.preferred }
        let timeout = timeout ?? requestTimeout
        var failures: [String] = []
        for step in 0..<endpoints.count {
            let index = (start + step) % endpoints.count
            switch await post(path, body, to: index, timeout: timeout) {
            case .answered(let response):
                pool.withLock { $0.preferred = index }
                guard response.status == 200 else { throw Self.failure(response, path: path) }
                return try GatewayJSON.decode(Reply.self, from: response.body, what: path)
            case .silent(let failure):
                failures.append(failure.message)
            }
        }
        throw EtcdError(.unavailable, "no etcd member answered \(path): " + failures.joined(separator: "; "))
    }

    /// Whether member `index` is serving: it answers a linearizable read of the one key
    /// `key` (a read that needs a quorum behind it, and costs the same however many keys
    /// the watch covers) within `timeout`. A member cut off from the majority, paused, or
    /// without a leader does not. Any answer below 500 counts: the member serves.
    /// Returns why not, or `nil`.
    func probe(_ index: Int, key: String, timeout: Duration) async -> EtcdError? {
        let request = RangeRequest(key: GatewayJSON.base64(key), countOnly: true)
        switch await post("/v3/kv/range", GatewayJSON.encode(request), to: index, timeout: timeout) {
        case .answered: return nil
        case .silent(let failure): return failure
        }
    }

    private enum Outcome {
        /// The member answered (a status below 500).
        case answered(HTTPConnection.Response)
        /// Refused, reset, past the timeout, or a 5xx (no leader, overloaded): as good as
        /// silent.
        case silent(EtcdError)
    }

    /// One POST to one member, on a pooled connection.
    ///
    /// A kept connection can be closed by the member at any moment (etcd drops idle
    /// keep-alive connections): a request on one that fails without an answer, and not by
    /// its timeout, is sent again on the next, down to a new connection, whose failure is
    /// the member's. The same retry as failing over to another member, which every request
    /// of this client is written to bear.
    private func post(_ path: String, _ body: [UInt8], to index: Int, timeout: Duration) async -> Outcome {
        while true {
            let response: HTTPConnection.Response
            let (connection, kept): (HTTPConnection, Bool)
            do {
                (connection, kept) = try await checkout(index, timeout: timeout)
            } catch {
                return .silent(error)
            }
            do {
                response = try await connection.post(path, body, timeout: timeout)
            } catch {
                if kept && error.code == .unavailable { continue }
                return .silent(error)
            }
            checkin(connection, index)
            if response.status >= 500 { return .silent(Self.failure(response, path: path)) }
            return .answered(response)
        }
    }

    /// An idle connection to member `index` (`kept`), or a new one.
    private func checkout(_ index: Int, timeout: Duration) async throws(EtcdError) -> (HTTPConnection, kept: Bool) {
        while let idle = pool.withLock({ $0.idle[index]?.popLast() }) {
            if !idle.closed { return (idle, true) }
        }
        return (try await HTTPConnection.connect(to: endpoints[index], timeout: timeout), false)
    }

    private func checkin(_ connection: HTTPConnection, _ index: Int) {
        guard !connection.closed else { return }
        let kept = pool.withLock { pool -> Bool in
            guard pool.idle[index, default: []].count < Self.idlePerEndpoint else { return false }
            pool.idle[index, default: []].append(connection)
            return true
        }
        if !kept { connection.close() }
    }

    private static func failure(_ response: HTTPConnection.Response, path: String) -> EtcdError {
        let failure = try? GatewayJSON.decode(GatewayFailure.self, from: response.body, what: path)
        let message = failure?.message ?? failure?.error ?? String(decoding: response.body.prefix(200), as: UTF8.self)
        if message.contains("lease not found") { return EtcdError(.leaseNotFound, message) }
        return EtcdError(.http, "\(path): HTTP \(response.status): \(message)")
    }
}

/// A reply whose content does not matter beyond being the gateway's JSON.
struct ResponseHeaderOnly: Decodable {
    var header: ResponseHeader?
}
