#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The JSON of etcd's v3 gRPC gateway: requests in lowerCamelCase, responses in
/// snake_case, keys and values in base64, 64-bit integers as strings (proto3 JSON), and
/// fields at their default value left out.
enum GatewayJSON {
    static func encode(_ value: some Encodable) -> [UInt8] {
        // Encoding these plain structs of strings cannot fail.
        (try? JSONEncoder().encode(value)).map { Array($0) } ?? []
    }

    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], what: String) throws(EtcdError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch {
            let text = String(decoding: bytes.prefix(200), as: UTF8.self)
            throw EtcdError(.malformed, "\(what): not the gateway's JSON (\(text))")
        }
    }

    static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }
    static func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    static func bytes(base64 text: String?) throws(EtcdError) -> [UInt8] {
        guard let text, !text.isEmpty else { return [] }
        guard let data = Data(base64Encoded: text) else { throw EtcdError(.malformed, "not base64: \(text.prefix(40))") }
        return Array(data)
    }

    /// The end of the range of every key that starts with `prefix` (etcd's `range_end`).
    static func prefixEnd(_ prefix: String) -> [UInt8] {
        var bytes = Array(prefix.utf8)
        while let last = bytes.last {
            if last < 0xFF {
                bytes[bytes.count - 1] = last + 1
                return bytes
            }
            bytes.removeLast()
        }
        return [0]  // every key
    }
}

/// A 64-bit integer as proto3 JSON writes it: a string (a number is accepted too).
struct Int64String: Codable, Hashable {
    var value: Int64
    init(_ value: Int64) { self.value = value }
    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self), let value = Int64(text) {
            self.value = value
        } else {
            value = try container.decode(Int64.self)
        }
    }
    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(String(value))
    }
}

// MARK: - Requests

struct LeaseGrantRequest: Encodable { var TTL: Int64String }
struct LeaseIDRequest: Encodable { var ID: Int64String }

struct RangeRequest: Encodable {
    var key: String
    var rangeEnd: String?
    var countOnly: Bool?
}

struct Compare: Encodable {
    var target = "CREATE"
    var result: String?
    var key: String
    var createRevision: Int64String
}

struct RequestOp: Encodable {
    struct Put: Encodable {
        var key: String
        var value: String
        var lease: Int64String?
    }
    struct DeleteRange: Encodable { var key: String }
    var requestPut: Put?
    var requestRange: RangeRequest?
    var requestDeleteRange: DeleteRange?
}

struct TxnRequest: Encodable {
    var compare: [Compare]
    var success: [RequestOp]
    var failure: [RequestOp]
}

struct WatchCreateRequest: Encodable {
    struct Create: Encodable {
        var key: String
        var rangeEnd: String
        var startRevision: Int64String?
    }
    var createRequest: Create
}

// MARK: - Responses

struct ResponseHeader: Decodable {
    var revision: Int64String?
}

struct WireKeyValue: Decodable {
    var key: String?
    var value: String?
    var create_revision: Int64String?
    var mod_revision: Int64String?
    var lease: Int64String?

    func model() throws(EtcdError) -> EtcdKeyValue {
        EtcdKeyValue(key: String(decoding: try GatewayJSON.bytes(base64: key), as: UTF8.self),
                     value: try GatewayJSON.bytes(base64: value),
                     createRevision: create_revision?.value ?? 0, modRevision: mod_revision?.value ?? 0,
                     lease: lease?.value ?? 0)
    }
}

struct LeaseGrantResponse: Decodable {
    var ID: Int64String?
    var TTL: Int64String?
    var error: String?
}

struct LeaseKeepAliveResponse: Decodable {
    struct Result: Decodable {
        var ID: Int64String?
        var TTL: Int64String?
    }
    var result: Result?
}

struct RangeResponse: Decodable {
    var header: ResponseHeader?
    var kvs: [WireKeyValue]?
}

struct TxnResponse: Decodable {
    struct Op: Decodable { var response_range: RangeResponse? }
    var header: ResponseHeader?
    var succeeded: Bool?
    var responses: [Op]?
}

struct WatchResponseLine: Decodable {
    struct Result: Decodable {
        struct Event: Decodable {
            var type: String?
            var kv: WireKeyValue?
        }
        var header: ResponseHeader?
        var created: Bool?
        var canceled: Bool?
        var compact_revision: Int64String?
        var cancel_reason: String?
        var events: [Event]?
    }
    struct Failure: Decodable {
        var message: String?
    }
    var result: Result?
    var error: Failure?
}

struct GatewayFailure: Decodable {
    var error: String?
    var message: String?
    var code: Int?
}
