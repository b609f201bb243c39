import Foundation
import Hummingbird
import HummingbirdAuth
import Logging
import Mail
import MessageBus
import Metrics
import Models
import Prometheus
import ServiceLifecycle
import Store

/// Everything one service process is made of, built from its configuration: the database
/// pool, the publishing link to the broker, the outbox relay, the consumer of its queue and
/// the HTTP application with `/healthz`, `/readyz`, `/metrics`.
///
/// A service's `main` bootstraps logging and metrics, builds a `PortalServer`, adds its own
/// routes to `router`, and calls `run(eventHandler:)`. Tests build it the same way.
public final class PortalServer {
    public let configuration: ServiceConfiguration
    public let database: DatabasePool
    /// The event flow's own connections (`PORTAL_DB_EVENT_POOL_SIZE`): the consumer and the
    /// outbox relay never wait behind the requests that fill `database`.
    public let eventDatabase: DatabasePool
    /// Publishes relayed events, retries and dead letters, with confirms.
    public let publisher: BrokerLink
    public let readiness = Readiness()
    public let outbox: Outbox
    public let inbox: Inbox
    public let tokens: ApiTokens
    public let logger: Logger
    public let router: Router<PortalContext>
    /// Web sessions, in core.sessions.
    public let sessionStore: PostgresPersistDriver
    private let broker: BrokerConfiguration

    public init(configuration: ServiceConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        broker = try configuration.broker
        database = DatabasePool(configuration: configuration.database, logger: logger)
        eventDatabase = DatabasePool(configuration: configuration.eventDatabase, logger: logger)
        publisher = BrokerLink(name: "publisher", configuration: broker, topology: configuration.topology, logger: logger)
        outbox = Outbox(schema: configuration.service.schema)
        inbox = Inbox(schema: configuration.service.schema)
        tokens = ApiTokens(database: database)
        router = Router(context: PortalContext.self)
        router.middlewares.add(CorrelationMiddleware())
        router.middlewares.add(RequestLogMiddleware())
        router.middlewares.add(MetricsMiddleware())
        router.middlewares.add(ErrorMiddleware())
        router.middlewares.add(BodyBudgetMiddleware(budget: BodyBudget(
            capacity: configuration.bodyBytesInFlight, assumedWithoutLength: configuration.service.largestBody)))
        sessionStore = PostgresPersistDriver(database: database)
        router.middlewares.add(SecureCookiesMiddleware(always: configuration.secureCookies))
        router.middlewares.add(TokenAuthenticator(tokens: tokens))
        // Web pages: a session cookie, HttpOnly and SameSite=Strict (Secure over TLS), kept in core.sessions.
        router.middlewares.add(SessionMiddleware(
            storage: sessionStore,
            configuration: .init(
                sessionCookieParameters: .init(
                    name: "portal_session", path: "/", secure: configuration.secureCookies, sameSite: .strict),
                defaultSessionExpiration: .seconds(8 * 60 * 60))))
        let users = tokens
        router.middlewares.add(SessionAuthenticator(context: PortalContext.self) { (session: WebSession, _) in
            try await users.user(id: session.userId)
        })
        router.middlewares.add(ApiCsrfMiddleware())
        addOperationalRoutes()
    }

    /// The relay that sends what `outbox` holds, through `PORTAL_MAIL_RELAY` or into the local Maildir.
    public func mailRelay(for outbox: MailOutbox) -> MailRelay {
        MailRelay(
            outbox: outbox, database: database,
            sender: MailSenders.from(relay: configuration.mailRelay, defaultFolder: "\(configuration.dataDirectory)/mail/outgoing"),
            logger: logger)
    }

    /// Sets up logging and metrics for the process once, then builds the server from the environment.
    public static func bootstrap(_ service: PortalService) throws -> PortalServer {
        let configuration = ServiceConfiguration(service: service)
        PortalObservability.bootstrap(logLevel: configuration.logLevel)
        var logger = Logger(label: "portal.\(service)")
        logger.logLevel = configuration.logLevel
        return try PortalServer(configuration: configuration, logger: logger)
    }

    /// Runs until SIGTERM or SIGINT, then shuts down in reverse order: the HTTP server stops
    /// accepting and finishes what it has, the consumer settles its message, the relay ends
    /// its round, and the pool closes.
    public func run(
        eventHandler: @escaping EventHandler, batchHandler: BatchEventHandler? = nil, failureRecorder: FailureRecorder? = nil,
        subject: (@Sendable (EventEnvelope) -> String?)? = nil, services extra: [any Service] = []
    ) async throws {
        let service = configuration.service
        let queue = service.queue(configuration)
        let relay = OutboxRelay(
            outbox: outbox, database: eventDatabase, publisher: publisher, readiness: readiness,
            batchSize: configuration.outboxBatchSize, idlePollMilliseconds: configuration.outboxPollMilliseconds,
            producer: service.rawValue, logger: logger)
        let handler = InboxHandler(
            queue: queue.name, inbox: inbox, outbox: outbox, database: eventDatabase, readiness: readiness, logger: logger,
            handler: eventHandler, batchHandler: batchHandler, failureRecorder: failureRecorder,
            lanes: EventLanes(count: subject == nil ? 1 : configuration.consumerLanes) { subject?($0) })
        let consumer = BusConsumer(
            queue: queue, prefetch: configuration.prefetch,
            link: BrokerLink(name: "consumer:\(queue.name)", configuration: broker, topology: configuration.topology, logger: logger),
            publisher: publisher, logger: logger, handler: { await handler.handle($0) })
        let application = Application(
            router: router,
            configuration: .init(
                address: .hostname(configuration.httpHost, port: configuration.httpPort), serverName: service.rawValue),
            logger: logger)
        let services: [any Service] = [
            database,
            eventDatabase,
            LinkCloser(link: publisher),
            MigrationService(scopes: service.migrationScopes, database: database, readiness: readiness, logger: logger),
            relay,
            consumer,
            sessionStore,
            AuditSealer(database: database, readiness: readiness, logger: logger),
            MessageRetention(
                schema: service.schema, database: database, readiness: readiness, retentionDays: configuration.messageRetentionDays,
                interval: .seconds(3_600), logger: logger),
        ] + extra + [application]
        var groupConfiguration = ServiceGroupConfiguration(
            services: services.map { .init(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            cancellationSignals: [],
            logger: logger)
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(configuration.shutdownTimeoutSeconds)
        let group = ServiceGroup(configuration: groupConfiguration)
        logger.info(
            "starting", metadata: ["service": .string(service.rawValue), "http.port": .stringConvertible(configuration.httpPort)])
        try await group.run()
    }

    private func addOperationalRoutes() {
        let service = configuration.service.rawValue
        let readiness = self.readiness, database = self.database, publisher = self.publisher
        router.get("/healthz") { _, _ in
            Status(status: "ok", service: service, problems: nil, backup: nil)
        }
        router.get("/readyz") { _, _ -> Response in
            var problems = [String: String]()
            if !readiness.isMigrated { problems["migrations"] = "not applied yet" }
            do { try await database.ping() } catch { problems["database"] = "\(error)" }
            do { _ = try await publisher.messageCount(queue: Topology.unroutedQueue) } catch { problems["broker"] = "\(error)" }
            let ready = problems.isEmpty
            // Shown, never a reason to stop serving: an old backup is the operator's to act on.
            let backup = problems["database"] != nil ? nil : try? await database.withConnection { try BackupAge.read(on: $0) }
            backup?.record()
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .iso8601
            let body = try encoder.encode(
                Status(status: ready ? "ready" : "not_ready", service: service, problems: ready ? nil : problems, backup: backup))
            return Response(
                status: ready ? .ok : .serviceUnavailable,
                headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        router.get("/metrics") { _, _ -> Response in
            (try? await database.withConnection { try BackupAge.read(on: $0) })?.record()
            var buffer = [UInt8]()
            PortalObservability.registry.emit(into: &buffer)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
        }
        router.get("/api/v1/me") { _, context -> AuthenticatedUser in
            guard let user = context.identity else { throw APIError.unauthorized }
            return user
        }
    }

    struct Status: ResponseEncodable {
        let status: String
        let service: String
        let problems: [String: String]?
        let backup: BackupAge?
    }
}

extension AuthenticatedUser: ResponseEncodable {}

/// Closes a broker link when the group shuts down.
struct LinkCloser: Service {
    let link: BrokerLink
    func run() async throws {
        try? await gracefulShutdown()
        await link.close()
    }
}

/// Process-wide logging and metrics, set up once.
public enum PortalObservability {
    /// The registry `/metrics` renders.
    public static let registry = PrometheusCollectorRegistry()

    private final class Flag: @unchecked Sendable {
        var done = false
        let lock = NSLock()
    }
    private static let flag = Flag()

    public static func bootstrap(logLevel: Logger.Level) {
        flag.lock.lock()
        defer { flag.lock.unlock() }
        guard !flag.done else { return }
        flag.done = true
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = logLevel
            return handler
        }
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    }
}
