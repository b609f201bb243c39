import Foundation
import MessageBus
import Models
import ServiceKit
import Store
import Testing

/// Each service logs in to RabbitMQ as itself (`portalctl broker definitions`, imported by
/// deploy/test as by deploy/run): the whole flow works under those logins, and a login cannot
/// publish another service's event, nor slip a message into another service's queue by the
/// retry, dead-letter or default exchange.
@Suite("Each service's own broker login", .serialized)
struct BrokerPermissionsTests {
    static let financePort = 18_287

    /// `<SERVICE>_AMQP_URL` of each service, as `deploy/infra service-logins` prints them.
    func logins(_ env: TestEnvironment) throws -> [String: String] {
        let printed = try env.run(try #require(env.infraControl, "deploy/test sets PORTAL_INFRA_CTL"), ["service-logins"])
        try #require(printed.status == 0, "deploy/infra service-logins: \(printed.output)")
        var logins = [String: String]()
        for line in printed.output.split(separator: "\n") where line.hasPrefix("export ") {
            let pair = line.dropFirst("export ".count).split(separator: "=", maxSplits: 1)
            if pair.count == 2 { logins[String(pair[0])] = String(pair[1]) }
        }
        try #require(logins.count == PortalService.allCases.count, "\(printed.output)")
        return logins
    }

    @Test("R-5: with every service under its own broker login, a submission is approved, published and counted in the ledger, and a citizen's question is received")
    func theFlowWorksUnderOwnLogins() async throws {
        let env = try TestEnvironment()
        let logins = try logins(env)
        // The services this test starts read their own login from the environment they inherit.
        for (variable, url) in logins { setenv(variable, url, 1) }
        defer { for variable in logins.keys { unsetenv(variable) } }
        try await FeedbackFlowTests().withServices { f in
            let finance = try ServiceProcess("finance", port: Self.financePort, environment: [:], in: f.s.env)
            do {
                try await finance.waitUntilReady()
                let s = f.s
                // Really under their own logins: the broker lists a connection of each.
                let connections = try f.s.env.run(try #require(f.s.env.infraControl), ["connections"])
                for service in PortalService.allCases {
                    #expect(connections.output.contains("portal-\(service.rawValue)"), "no connection of portal-\(service.rawValue): \(connections.output)")
                }
                let tag = UUID().uuidString.prefix(6).lowercased()
                let article = try await PublishingSitesTests(publishingPort: FeedbackFlowTests.publishingPort)
                    .approved(s, title: "Tin qua tài khoản riêng \(tag)", classification: #""targetSites": ["longan.gov.vn"]"#)
                let articleId = try #require(UUID(uuidString: article))
                try await eventually("published, and approval hears it (article.published from publishing's login)") {
                    try s.api("GET", "/articles/\(article)", as: "btv.lan").json["state"] as? String == "published"
                }
                try await eventually("finance counts it (finance consumes under its login)") {
                    try await f.pool.withConnection {
                        try $0.query("SELECT count(*)::int AS n FROM finance.ledger WHERE article_id = $1", [articleId]).one().decode("n", as: Int.self)
                    } > 0
                }
                let asked = FeedbackFlowTests().question(
                    f, #"{"name": "Người Hỏi", "email": "rieng.\#(tag)@example.vn", "title": "Hỏi \#(tag)", "body": "Xin hỏi.", "field": "justice_civil_status", "consent": true}"#)
                let code = try #require(asked.json["trackingCode"] as? String, "\(asked.text)")
                _ = try await FeedbackFlowTests().id(of: code, f)
                try await eventually("feedback's events leave its outbox (question.received from feedback's login)") {
                    try await f.pool.withConnection {
                        try $0.query("SELECT count(*)::int AS n FROM feedback.outbox WHERE published_at IS NULL").one().decode("n", as: Int.self)
                    } == 0
                }
            } catch {
                _ = try? await finance.terminate()
                throw error
            }
            #expect(try await finance.terminate() == 0)
        }
    }

    @Test("R-5: intake's login cannot publish an approval, nor a retry, a dead letter or a direct message into publishing's queue; it may declare only its own queue")
    func aLoginCannotForgeAnotherServicesMessages() async throws {
        let env = try TestEnvironment()
        let intakeURL = try #require(try logins(env)[PortalService.intake.amqpURLVariable])
        var configuration = ServiceConfiguration(service: .intake, environment: [PortalService.intake.amqpURLVariable: intakeURL])
        configuration.amqpURL = intakeURL
        let own = configuration.topology
        #expect(own.ownQueue == "intake.events")

        // Its own queue it may declare; the whole topology (another service's queue) it may not.
        let link = BrokerLink(name: "forger", configuration: try configuration.broker, topology: own, logger: env.logger)
        defer { Task { await link.close() } }
        try await link.ping()
        let everything = Topology(queues: own.queues)
        let declaring = BrokerLink(name: "forger-declares", configuration: try configuration.broker, topology: everything, logger: env.logger)
        await #expect(throws: (any Error).self, "declaring every queue as intake") { try await declaring.ping() }
        await declaring.close()

        let forged: [(exchange: String, key: String)] = [
            (Topology.eventsExchange, "article.approved"),
            (Topology.retryExchange, "publishing.events.delay.1"),
            (Topology.deadLettersExchange, "publishing.events"),
            (Topology.deadExchange, "publishing.events"),
            ("", "publishing.events"),
        ]
        for (exchange, key) in forged {
            let message = OutgoingMessage(exchange: exchange, routingKey: key, body: Array("{}".utf8),
                                          messageId: "forged-\(UUID().uuidString.lowercased())", type: "article.approved", producer: "intake")
            let report = await link.publishReporting([message])
            #expect(!report.allConfirmed, "intake published \(key) on \(exchange.isEmpty ? "the default exchange" : exchange)")
            let refusal = report.failure.map { "\($0)" } ?? ""
            #expect(refusal.contains("403") || refusal.contains("ACCESS_REFUSED"), "\(key) on \(exchange): \(refusal)")
        }
    }

    @Test("R-1.7: an event the service's login may not publish is set aside in its outbox with the broker's reason, and the relay goes on: the outbox is never blocked by one row")
    func aRefusedEventDoesNotBlockTheOutbox() async throws {
        let env = try TestEnvironment()
        let intakeURL = try #require(try logins(env)[PortalService.intake.amqpURLVariable])
        var configuration = ServiceConfiguration(service: .intake, environment: [PortalService.intake.amqpURLVariable: intakeURL])
        configuration.amqpURL = intakeURL
        let pool = try await env.database()
        defer { Task { await pool.close() } }
        let schema = "it_refused_\(UUID().uuidString.prefix(6).lowercased())"
        let outbox = Outbox(schema: schema)
        try await pool.withConnection { try $0.script("CREATE SCHEMA \(schema);\n" + Outbox.migration(schema: schema)) }
        defer { Task { try? await pool.withConnection { try $0.script("DROP SCHEMA \(schema) CASCADE") } } }
        try await pool.withTransaction { connection in
            for type in [EventType.articleApproved, EventType.articleRejected] {
                try outbox.enqueue(EventEnvelope(type: type, correlationId: "refused", causationId: nil, producer: "intake", payload: .object([:])), on: connection)
            }
        }
        let link = BrokerLink(name: "refused", configuration: try configuration.broker, topology: configuration.topology, logger: env.logger)
        defer { Task { await link.close() } }
        let readiness = Readiness()
        readiness.markMigrated()
        let relay = OutboxRelay(outbox: outbox, database: pool, publisher: link, readiness: readiness, batchSize: 50, idlePollMilliseconds: 5,
                                producer: "intake", logger: env.logger)
        #expect(try await relay.relayOnce() == 2, "one round takes both rows, and does not fail")
        let rows = try await pool.withConnection {
            try $0.query("SELECT routing_key, refused_at IS NOT NULL AS refused, published_at IS NULL AS pending, last_error FROM \(schema).outbox ORDER BY seq").rows
        }
        #expect(rows.count == 2)
        for row in rows {
            let key: String = try row.decode("routing_key"), error: String = try row.decode("last_error")
            #expect(try row.decode("refused", as: Bool.self) && row.decode("pending", as: Bool.self), "\(key) set aside, not published")
            #expect(error.contains("403"), "\(key): the broker's reason is kept: \(error)")
        }
        #expect(try await relay.relayOnce() == 0, "nothing left to send: the next rows would go")
    }
}
