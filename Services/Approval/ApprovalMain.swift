import Foundation
import Mail
import Models
import ServiceKit

/// The approval service: editors of the Center edit and classify, the right member of the Board
/// approves or refuses, and every decision is signed and explained (Art. 9, 12, 13).
@main
struct ApprovalMain {
    static func main() async throws {
        let server = try PortalServer.bootstrap(.approval)
        let environment = ProcessInfo.processInfo.environment
        let keys = SigningKeys(secret: try SigningKeys.secret(
            environment: environment, dataDirectory: server.configuration.dataDirectory, logger: server.logger))
        let mailOutbox = MailOutbox(schema: "editorial", domain: SiteDomain.portal)
        let database = server.database
        ApprovalRoutes(
            queries: EditorialQueries(database: database),
            edits: ArticleEdits(database: database, outbox: server.outbox),
            actions: EditorialActions(database: database, outbox: server.outbox, mail: mailOutbox, keys: keys),
            delegations: Delegations(database: database),
            quarantine: QuarantineDecisions(database: database)
        ).register(on: server.router)
        ConsoleRoutes(
            library: try await ConsoleRoutes.templates(), database: database, queries: EditorialQueries(database: database),
            edits: ArticleEdits(database: database, outbox: server.outbox),
            actions: EditorialActions(database: database, outbox: server.outbox, mail: mailOutbox, keys: keys),
            delegations: Delegations(database: database), quarantine: QuarantineDecisions(database: database),
            passwords: Passwords(database: database)
        ).register(on: server.router)
        let relay = MailRelay(
            outbox: mailOutbox, database: database,
            sender: MailSenders.from(relay: environment["PORTAL_MAIL_RELAY"], defaultFolder: "\(server.configuration.dataDirectory)/mail/outgoing"),
            logger: server.logger)
        try await server.run(eventHandler: EditorialFeed.handle, services: [relay])
    }
}
