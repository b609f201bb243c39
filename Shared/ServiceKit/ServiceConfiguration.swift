import Foundation
import Logging
import MessageBus
import Store

/// Everything a service reads from its environment, with the defaults documented in the README.
public struct ServiceConfiguration: Sendable {
    public var service: PortalService
    /// `PORTAL_HTTP_HOST`: `::` listens on IPv6 and, dual-stack, IPv4.
    public var httpHost: String
    /// `<SERVICE>_HTTP_PORT`, e.g. `INTAKE_HTTP_PORT` (8081).
    public var httpPort: Int
    /// `PORTAL_DATABASE_URL`.
    public var databaseURL: String
    /// `PORTAL_DB_POOL_SIZE`.
    public var databasePoolSize: Int
    /// Connections kept for the flow of events (the consumer of the service's queue and its
    /// outbox relay), apart from `databasePoolSize`, so that a rush of requests never holds
    /// events back: approvals keep reaching the sites and submissions the editors' queue.
    public var eventPoolSize: Int
    /// Transactions a consumer whose events name their subject runs at once (`EventLanes`).
    public var consumerLanes: Int
    /// `PORTAL_DB_STATEMENT_TIMEOUT_MS`: the server cancels a longer statement (0: never).
    public var statementTimeoutMilliseconds: Int
    /// `PORTAL_DB_MAX_WAITERS`: requests that may wait for a connection at once (then 503).
    public var databaseMaxWaiters: Int
    /// `PORTAL_MAX_BODY_BYTES_IN_FLIGHT`: request bodies a process holds at once (then 503).
    public var bodyBytesInFlight: Int
    /// `PORTAL_MESSAGE_RETENTION_DAYS`: outbox and inbox rows are kept this long (14).
    public var messageRetentionDays: Int
    /// `PORTAL_DB_MAX_WAIT_MS`: the longest a request waits for a connection (then 503).
    public var databaseMaxWaitMilliseconds: Int
    /// `<SERVICE>_AMQP_URL` (the service's own broker login), else `PORTAL_AMQP_URL`.
    public var amqpURL: String
    /// The service logs in to the broker as itself (`<SERVICE>_AMQP_URL` is set): it may declare
    /// only its own queue, and publish only its own routing keys (`portalctl broker permissions`).
    public var amqpOwnLogin: Bool
    /// `PORTAL_AMQP_HEARTBEAT` in seconds.
    public var amqpHeartbeatSeconds: Int
    /// `PORTAL_AMQP_PREFETCH`: unacknowledged deliveries a consumer may hold.
    public var prefetch: Int
    /// `PORTAL_MAX_ATTEMPTS`: deliveries of one message before it is dead-lettered.
    public var maxAttempts: Int
    /// `PORTAL_RETRY_DELAYS_MS`: comma-separated growing delays between attempts.
    public var retryDelaysMilliseconds: [Int]
    /// `PORTAL_OUTBOX_BATCH`: rows the relay publishes per confirm round.
    public var outboxBatchSize: Int
    /// `PORTAL_OUTBOX_POLL_MS`: the relay's idle polling interval.
    public var outboxPollMilliseconds: Int
    /// `PORTAL_DATA_DIR`: sites, mail folders and other files of a run.
    public var dataDirectory: String
    /// `PORTAL_LOG_LEVEL`: trace, debug, info, notice, warning, error, critical.
    public var logLevel: Logger.Level
    /// `PORTAL_SHUTDOWN_TIMEOUT`: seconds that graceful shutdown may take before the rest is cancelled.
    public var shutdownTimeoutSeconds: Int
    /// `PORTAL_TOKEN_TTL_DAYS`: validity of tokens made by `portalctl token create`.
    public var tokenLifetimeDays: Int
    /// `PORTAL_SECURE_COOKIES`: mark session cookies Secure (behind TLS in production).
    public var secureCookies: Bool
    /// `PORTAL_MAIL_RELAY`: `smtp://host:port`, or `folder:PATH`; by default `$PORTAL_DATA_DIR/mail/outgoing`.
    public var mailRelay: String?

    public init(service: PortalService, environment: [String: String] = ProcessInfo.processInfo.environment) {
        func value(_ key: String) -> String? {
            environment[key].flatMap { $0.isEmpty ? nil : $0 }
        }
        func integer(_ key: String, _ fallback: Int) -> Int {
            value(key).flatMap(Int.init) ?? fallback
        }
        self.service = service
        httpHost = value("PORTAL_HTTP_HOST") ?? "::"
        httpPort = integer(service.portVariable, service.defaultPort)
        databaseURL = value("PORTAL_DATABASE_URL") ?? "postgresql://postgres@127.0.0.1:55432/portal"
        databasePoolSize = integer("PORTAL_DB_POOL_SIZE", 4)
        consumerLanes = max(1, integer("PORTAL_CONSUMER_LANES", 2))
        // A connection for each of the consumer's lanes, and one for the outbox relay.
        eventPoolSize = integer("PORTAL_DB_EVENT_POOL_SIZE", consumerLanes + 1)
        statementTimeoutMilliseconds = integer("PORTAL_DB_STATEMENT_TIMEOUT_MS", 30_000)
        databaseMaxWaiters = integer("PORTAL_DB_MAX_WAITERS", 1_000)
        databaseMaxWaitMilliseconds = integer("PORTAL_DB_MAX_WAIT_MS", 10_000)
        messageRetentionDays = integer("PORTAL_MESSAGE_RETENTION_DAYS", 14)
        bodyBytesInFlight = integer("PORTAL_MAX_BODY_BYTES_IN_FLIGHT", 128 * 1024 * 1024)
        let ownAMQPURL = value(service.amqpURLVariable)
        amqpURL = ownAMQPURL ?? value("PORTAL_AMQP_URL") ?? "amqp://guest:guest@127.0.0.1:35672/"
        amqpOwnLogin = ownAMQPURL != nil
        amqpHeartbeatSeconds = integer("PORTAL_AMQP_HEARTBEAT", 30)
        prefetch = integer("PORTAL_AMQP_PREFETCH", 500)
        maxAttempts = integer("PORTAL_MAX_ATTEMPTS", 5)
        retryDelaysMilliseconds = value("PORTAL_RETRY_DELAYS_MS")?
            .split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } ?? [1_000, 5_000, 30_000]
        outboxBatchSize = integer("PORTAL_OUTBOX_BATCH", 500)
        outboxPollMilliseconds = integer("PORTAL_OUTBOX_POLL_MS", 20)
        dataDirectory = value("PORTAL_DATA_DIR") ?? ".portal/data"
        logLevel = value("PORTAL_LOG_LEVEL").flatMap(Logger.Level.init(rawValue:)) ?? .info
        shutdownTimeoutSeconds = integer("PORTAL_SHUTDOWN_TIMEOUT", 20)
        tokenLifetimeDays = integer("PORTAL_TOKEN_TTL_DAYS", 365)
        secureCookies = value("PORTAL_SECURE_COOKIES").map { ["1", "true", "yes"].contains($0.lowercased()) } ?? false
        mailRelay = value("PORTAL_MAIL_RELAY")
    }

    public var broker: BrokerConfiguration {
        get throws {
            guard let configuration = BrokerConfiguration(url: amqpURL, heartbeatSeconds: amqpHeartbeatSeconds) else {
                throw ConfigurationError(variable: amqpOwnLogin ? service.amqpURLVariable : "PORTAL_AMQP_URL", problem: "not an amqp:// URL")
            }
            return configuration
        }
    }

    public var database: DatabasePool.Configuration {
        DatabasePool.Configuration(
            conninfo: databaseURL, maxConnections: databasePoolSize, statementTimeoutMilliseconds: statementTimeoutMilliseconds,
            maxWaiters: databaseMaxWaiters, maxWait: .milliseconds(databaseMaxWaitMilliseconds))
    }

    /// The connections of the event flow: the consumer's transactions and the relay's rounds.
    public var eventDatabase: DatabasePool.Configuration {
        var configuration = database
        configuration.maxConnections = max(1, eventPoolSize)
        return configuration
    }

    /// The full topology, the same in every process; one with an operator's login declares all
    /// of it, one with its own login only its own queue.
    public var topology: Topology {
        Topology(queues: PortalService.allCases.compactMap { $0.queue(self) }, ownQueue: amqpOwnLogin ? service.queueName : nil)
    }
}

/// An environment variable holds something unusable.
public struct ConfigurationError: Error, CustomStringConvertible {
    public var variable: String
    public var problem: String
    public var description: String { "\(variable): \(problem)" }
}
