import ArgumentParser
import Crypto
import Foundation
import MessageBus
import ServiceKit

/// `portalctl broker setup` and `portalctl broker definitions`: the broker made ready for services
/// that each log in as themselves, so that none can publish what another service says.
struct BrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker",
        abstract: "Declare the broker's exchanges and queues; give each service a login of its own.",
        subcommands: [BrokerSetupCommand.self, BrokerDefinitionsCommand.self])
}

struct BrokerSetupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "setup",
        abstract: "Declare every exchange and queue, with an operator's PORTAL_AMQP_URL (services with their own login declare only their own queue).")

    func run() async throws {
        try await ToolContext().run { tool in
            let topology = tool.configuration.topology
            let link = BrokerLink(name: "portalctl-setup", configuration: try tool.configuration.broker, topology: topology, logger: tool.logger)
            do {
                try await link.ping()
                await link.close()
            } catch {
                await link.close()
                throw ValidationError("the broker refused the topology: \(error)")
            }
            print("Declared the exchanges and the queues of \(topology.queues.map(\.name).joined(separator: ", ")).")
        }
    }
}

/// RabbitMQ definitions (`rabbitmqctl import_definitions FILE`): one user per service with
/// permissions that reach only its own queues, and topic permissions that let it publish only its
/// own event types, retries and dead letters.
struct BrokerDefinitionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "definitions",
        abstract: "Print RabbitMQ definitions (JSON) of one login per service, its permissions and topic permissions.",
        discussion: """
            Each service's password is read from --password-dir/portal-<service>, or made there (mode 600) when \
            missing; give it to the service as <SERVICE>_AMQP_URL. Import with `rabbitmqctl import_definitions FILE`.
            """)

    @Option(help: "The folder of the services' broker passwords.")
    var passwordDir: String

    @Option(help: "The virtual host the services use.")
    var vhost = "/"

    func run() throws {
        try FileManager.default.createDirectory(atPath: passwordDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let configuration = ServiceConfiguration(service: .intake)
        var users = [[String: Any]](), permissions = [[String: Any]](), topics = [[String: Any]]()
        for service in PortalService.allCases {
            let queue = service.queue(configuration)
            let login = BrokerLogins.user(service)
            users.append([
                "name": login, "password_hash": BrokerLogins.hash(try password(login)),
                "hashing_algorithm": "rabbit_password_hashing_sha256", "tags": [String](),
            ])
            let rules = BrokerLogins.rules(service, queue)
            permissions.append(["user": login, "vhost": vhost, "configure": rules.configure, "write": rules.write, "read": rules.read])
            for topic in rules.topics {
                topics.append(["user": login, "vhost": vhost, "exchange": topic.exchange, "write": topic.write, "read": topic.read])
            }
        }
        let definitions: [String: Any] = ["users": users, "permissions": permissions, "topic_permissions": topics]
        let data = try JSONSerialization.data(withJSONObject: definitions, options: [.prettyPrinted, .sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }

    /// The login's password from its file, made first when there is none.
    func password(_ login: String) throws -> String {
        let path = "\(passwordDir)/\(login)"
        if let kept = try? String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), !kept.isEmpty {
            return kept
        }
        var generator = SystemRandomNumberGenerator()
        let made = (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        guard FileManager.default.createFile(atPath: path, contents: Data((made + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw ValidationError("cannot write \(path)")
        }
        return made
    }
}

/// What each service's own broker login may do.
enum BrokerLogins {
    struct Rules {
        var configure: String, write: String, read: String
        var topics: [(exchange: String, write: String, read: String)]
    }

    static func user(_ service: PortalService) -> String { "portal-\(service.rawValue)" }

    /// Configure: its own queues. Write: the exchanges it publishes to and its own queues (a bind
    /// writes to the queue). Read: the exchanges it binds to and the queues it consumes. Topic
    /// permissions then narrow each exchange to its own routing keys, so that the login cannot
    /// publish another service's event, nor a retry or dead letter into another service's queue.
    static func rules(_ service: PortalService, _ queue: Topology.Queue) -> Rules {
        let own = escape(queue.name)
        return Rules(
            configure: "^\(own)(\\.dead|\\.delay\\.[0-9]+)?$",
            write: "^(\(exchanges([Topology.eventsExchange, Topology.retryExchange, Topology.deadLettersExchange]))|\(own)(\\.dead|\\.delay\\.[0-9]+)?)$",
            read: "^(\(exchanges([Topology.eventsExchange, Topology.retryExchange, Topology.deadLettersExchange, Topology.deadExchange]))|\(own)(\\.delay\\.[0-9]+)?)$",
            topics: [
                (Topology.eventsExchange, alternatives(service.publishes), alternatives(queue.bindings)),
                (Topology.retryExchange, "^\(own)\\.delay\\.[0-9]+$", "^\(own)\\.delay\\.[0-9]+$"),
                (Topology.deadLettersExchange, "^\(own)$", "^\(own)$"),
            ])
    }

    static func exchanges(_ names: [String]) -> String { names.map(escape).joined(separator: "|") }

    /// `^(a|b)$` of the literal keys; `^$` (nothing) when there are none.
    static func alternatives(_ keys: [String]) -> String {
        keys.isEmpty ? "^$" : "^(" + keys.map(escape).joined(separator: "|") + ")$"
    }

    static func escape(_ literal: String) -> String {
        literal.replacingOccurrences(of: ".", with: "\\.").replacingOccurrences(of: "-", with: "\\-")
    }

    /// RabbitMQ's `rabbit_password_hashing_sha256`: base64 of a 4-byte salt, then
    /// SHA-256(salt + password).
    static func hash(_ password: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<4).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let digest = SHA256.hash(data: salt + Array(password.utf8))
        return Data(salt + Array(digest)).base64EncodedString()
    }
}
