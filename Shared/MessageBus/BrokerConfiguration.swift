/// Where the broker is and how to log in, read from an `amqp://` URL.
public struct BrokerConfiguration: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String
    public var virtualHost: String
    /// Seconds between heartbeats; the broker drops a connection silent for twice this.
    public var heartbeatSeconds: Int
    /// Seconds to wait for the TCP connection.
    public var connectTimeoutSeconds: Int
    /// The other nodes of a cluster, tried in turn when one cannot be reached: `host` and `port`
    /// above are the first node; the login and virtual host are the same on every node.
    public var otherNodes: [Node] = []

    public struct Node: Sendable, Equatable {
        public var host: String
        public var port: Int
    }

    /// Every node, the first one first.
    public var nodes: [Node] { [Node(host: host, port: port)] + otherNodes }

    /// This configuration aimed at one of its nodes.
    public func at(_ node: Node) -> BrokerConfiguration {
        var one = self
        one.host = node.host
        one.port = node.port
        one.otherNodes = []
        return one
    }

    public init(
        host: String = "127.0.0.1", port: Int = 5672, user: String = "guest", password: String = "guest",
        virtualHost: String = "/", heartbeatSeconds: Int = 30, connectTimeoutSeconds: Int = 3
    ) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.virtualHost = virtualHost
        self.heartbeatSeconds = heartbeatSeconds
        self.connectTimeoutSeconds = connectTimeoutSeconds
    }

    /// Reads `amqp://user:password@host:port/vhost` (IPv6 hosts in brackets; the vhost
    /// percent-encoded, `%2f` for `/`; an empty path means `/`).
    ///
    /// Several URLs separated by commas name the nodes of one cluster (the login and virtual host
    /// of the first are used for all).
    public init?(url: String, heartbeatSeconds: Int = 30) {
        let urls = url.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        if urls.count > 1 {
            guard var first = BrokerConfiguration(url: urls[0], heartbeatSeconds: heartbeatSeconds) else { return nil }
            for other in urls.dropFirst() {
                guard let node = BrokerConfiguration(url: other, heartbeatSeconds: heartbeatSeconds) else { return nil }
                first.otherNodes.append(Node(host: node.host, port: node.port))
            }
            self = first
            return
        }
        guard url.hasPrefix("amqp://") else { return nil }
        var rest = Substring(url.dropFirst("amqp://".count))
        var user = "guest", password = "guest"
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                user = String(credentials[..<colon]).removingPercentEncodingSafely
                password = String(credentials[credentials.index(after: colon)...]).removingPercentEncodingSafely
            } else {
                user = String(credentials).removingPercentEncodingSafely
            }
        }
        var vhost = "/"
        if let slash = rest.firstIndex(of: "/") {
            let path = String(rest[rest.index(after: slash)...])
            if !path.isEmpty { vhost = path.removingPercentEncodingSafely }
            rest = rest[..<slash]
        }
        var host = String(rest), port = 5672
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") {
                guard let value = Int(after.dropFirst()) else { return nil }
                port = value
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = String(rest[..<colon])
            guard let value = Int(rest[rest.index(after: colon)...]) else { return nil }
            port = value
        }
        guard !host.isEmpty, (1...65535).contains(port) else { return nil }
        self.init(host: host, port: port, user: user, password: password, virtualHost: vhost,
                  heartbeatSeconds: heartbeatSeconds)
    }
}

extension String {
    /// Percent-decoding that leaves malformed input as it is.
    fileprivate var removingPercentEncodingSafely: String {
        var bytes = [UInt8]()
        var iterator = Array(utf8)[...]
        while let byte = iterator.popFirst() {
            if byte == UInt8(ascii: "%"), iterator.count >= 2,
               let value = UInt8(String(decoding: iterator.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(value)
                iterator = iterator.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
