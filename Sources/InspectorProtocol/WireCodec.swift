import Foundation

/// Turns protocol values into lines and lines into values: JSON, one object per line,
/// UTF-8, no newline inside (JSON escapes control characters in strings).
public enum WireCodec {
    /// `value` as one line, newline included.
    public static func line(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        // Every protocol type encodes; a failure would be a bug in this module.
        var bytes = [UInt8]((try? encoder.encode(value)) ?? Data(#"{"error":{"code":"internal","message":"unencodable"}}"#.utf8))
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }

    /// A request line (newline excluded), or the error to answer it with. The error
    /// carries the request's id when the line got that far.
    public static func request(_ line: [UInt8]) -> Result<RequestEnvelope, RequestLineError> {
        do {
            return .success(try JSONDecoder().decode(RequestEnvelope.self, from: Data(line)))
        } catch let error as RequestEnvelope.UnknownOp {
            return .failure(RequestLineError(id: salvageID(line), error: ProtocolError(
                .unknownOp, "unknown op \"\(error.op)\"; this app speaks protocol \(InspectorWire.protocolVersion): hello, summary, rows, worker, state, tree, events, subscribe, command")))
        } catch {
            let id = salvageID(line)
            return .failure(RequestLineError(id: id, error: ProtocolError(.malformed, explain(error, line: line))))
        }
    }

    /// A server line (newline excluded).
    public static func serverMessage(_ line: [UInt8]) throws(ProtocolError) -> ServerMessage {
        do {
            return try JSONDecoder().decode(ServerMessage.self, from: Data(line))
        } catch {
            throw ProtocolError(.malformed, explain(error, line: line))
        }
    }

    /// A request line that could not be carried out as it stands.
    public struct RequestLineError: Error, Sendable, Hashable {
        /// The request's id, if the line had a readable one.
        public var id: Int64?
        /// The error to answer the line with (``ProtocolError/Code/malformed`` or ``ProtocolError/Code/unknownOp``).
        public var error: ProtocolError
    }

    /// The `id` of a request that is otherwise unreadable, so its error can name it.
    static func salvageID(_ line: [UInt8]) -> Int64? {
        struct OnlyID: Decodable { var id: Int64 }
        return try? JSONDecoder().decode(OnlyID.self, from: Data(line)).id
    }

    /// A decoding error as a sentence a person can act on.
    static func explain(_ error: any Error, line: [UInt8]) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return keys.isEmpty ? "the line" : "field \"\(keys.joined(separator: "."))\""
        }
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            let parent = context.codingPath.isEmpty ? "" : " in \(path(context))"
            return "missing field \"\(key.stringValue)\"\(parent)"
        case DecodingError.typeMismatch(let type, let context):
            if context.codingPath.isEmpty { return "not a JSON object: a line must be one JSON object" }
            return "\(path(context)): expected \(describe(type))"
        case DecodingError.valueNotFound(let type, let context):
            return "\(path(context)): expected \(describe(type)), found null"
        case DecodingError.dataCorrupted(let context):
            if context.codingPath.isEmpty {
                return line.first == UInt8(ascii: "{") || line.isEmpty
                    ? "not a JSON object (\(line.count) bytes)" : "not JSON: a line must be one JSON object"
            }
            return "\(path(context)): \(context.debugDescription)"
        default:
            return "unreadable: \(error)"
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type, is Int64.Type, is UInt64.Type, is Int32.Type: return "an integer"
        case is Bool.Type: return "true or false"
        case is Double.Type: return "a number"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Dictionary") { return "a JSON object" }
            if name.hasPrefix("Array") { return "a JSON array" }
            return name
        }
    }
}
