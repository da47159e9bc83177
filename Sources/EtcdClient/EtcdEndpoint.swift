/// One etcd member's client URL, `http://host:port`.
public struct EtcdEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// The host name or address.
    public var host: String
    /// The TCP port.
    public var port: Int

    /// An endpoint at `host:port`.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `http://host:port` (a trailing `/` is allowed; `https` is not supported).
    ///
    /// - Throws: ``EtcdError/Code/invalidEndpoint`` naming what is wrong.
    public init(parsing url: String) throws(EtcdError) {
        var rest = Substring(url)
        guard rest.hasPrefix("http://") else {
            throw EtcdError(.invalidEndpoint, "\(url): an etcd endpoint is http://host:port (https is not supported)")
        }
        rest = rest.dropFirst("http://".count)
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]),
              (1...65_535).contains(port), colon > rest.startIndex
        else {
            throw EtcdError(.invalidEndpoint, "\(url): no host and port in it")
        }
        self.init(host: String(rest[..<colon]), port: port)
    }

    /// Parses a comma-separated list of endpoints, as `--etcd` takes them.
    public static func list(_ text: String) throws(EtcdError) -> [EtcdEndpoint] {
        var endpoints: [EtcdEndpoint] = []
        for part in text.split(separator: ",") {
            endpoints.append(try EtcdEndpoint(parsing: part.trimmingSpaces))
        }
        guard !endpoints.isEmpty else { throw EtcdError(.invalidEndpoint, "no endpoint in \"\(text)\"") }
        return endpoints
    }

    /// `http://host:port`.
    public var description: String { "http://\(host):\(port)" }
}

extension Substring {
    var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
