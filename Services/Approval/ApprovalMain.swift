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
        // The API and the console share one set of the pieces that do the work.
        let queries = EditorialQueries(database: database)
        let edits = ArticleEdits(database: database, outbox: server.outbox)
        let actions = EditorialActions(database: database, outbox: server.outbox, mail: mailOutbox, keys: keys)
        let delegations = Delegations(database: database)
        let quarantine = QuarantineDecisions(database: database)
        let originals = Originals(database: database)
        ApprovalRoutes(queries: queries, edits: edits, actions: actions, delegations: delegations, quarantine: quarantine, originals: originals)
            .register(on: server.router)
        ConsoleRoutes(
            library: try await ConsoleRoutes.templates(), database: database, queries: queries, edits: edits, actions: actions,
            delegations: delegations, quarantine: quarantine, passwords: Passwords(database: database), originals: originals
        ).register(on: server.router)
        try await server.run(eventHandler: EditorialFeed.handle, subject: EditorialFeed.subject, services: [
            server.mailRelay(for: mailOutbox),
            SimilarityBandsBackfill(database: database, readiness: server.readiness, logger: server.logger),
        ])
    }
}
