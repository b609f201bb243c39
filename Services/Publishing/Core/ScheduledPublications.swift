import Foundation
import Logging
import Models
import ServiceKit
import ServiceLifecycle
import Store

/// Publishes embargoed items when their time comes. The schedule is the `publishing.articles` rows
/// in state `scheduled`, so it survives restarts; several instances share it (`SKIP LOCKED`). An
/// item that fails is recorded in `publishing.failures` and tried again after a growing pause.
public struct ScheduledPublications: Service {
    let database: DatabasePool
    let feed: PublishingFeed
    let outbox: Outbox
    let readiness: Readiness
    let logger: Logger

    public init(database: DatabasePool, feed: PublishingFeed, outbox: Outbox, readiness: Readiness, logger: Logger) {
        self.database = database
        self.feed = feed
        self.outbox = outbox
        self.readiness = readiness
        self.logger = logger
    }

    public func run() async throws {
        await readiness.waitUntilMigrated()
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                var published = false
                do {
                    published = try await publishNextDue()
                } catch {
                    logger.warning("scheduled publication failed; will retry", metadata: ["error": .string("\(error)")])
                }
                if !published { try await Task.sleep(for: .milliseconds(250)) }
            }
        }
    }

    /// Publishes one due item in its own transaction; false when none is due.
    func publishNextDue() async throws -> Bool {
        let feed = self.feed, outbox = self.outbox, logger = self.logger
        let (found, failure) = try await database.withTransaction { connection -> (Bool, String?) in
            guard let id: UUID = try connection.query(
                """
                SELECT a.id FROM publishing.articles a
                WHERE a.state = 'scheduled' AND a.publish_at <= now()
                  AND NOT EXISTS (SELECT 1 FROM publishing.failures f WHERE f.article_id = a.id
                                  AND (f.permanent OR f.last_failed_at > now() - make_interval(secs => least(f.attempts, 60) * 10)))
                ORDER BY a.publish_at LIMIT 1 FOR UPDATE OF a SKIP LOCKED
                """
            ).rows.first?.decode("id") else { return (false, nil) }
            try connection.query("SAVEPOINT publish")
            do {
                try connection.query("UPDATE publishing.articles SET state = 'published', updated_at = now() WHERE id = $1", [id])
                guard let article = try PublishedArticle.load(id, on: connection) else { return (true, nil) }
                try feed.complete(article, correlationId: id.uuidString.lowercased(), causationId: nil,
                                  EventContext(connection: connection, outbox: outbox, logger: logger))
                // Statements sent without waiting fail here, inside the savepoint, not at COMMIT.
                try connection.flush()
            } catch {
                try connection.query("ROLLBACK TO SAVEPOINT publish")
                try connection.query(
                    """
                    INSERT INTO publishing.failures (article_id, event_id, event_type, reason, permanent) VALUES ($1, $1, 'scheduled', $2, $3)
                    ON CONFLICT (article_id) DO UPDATE SET reason = EXCLUDED.reason, permanent = EXCLUDED.permanent,
                        attempts = publishing.failures.attempts + 1, last_failed_at = now()
                    """, [id, "\(error)", error is PermanentFailure])
                return (true, "\(id.uuidString.lowercased()): \(error)")
            }
            return (true, nil)
        }
        if let failure { logger.error("scheduled publication failed", metadata: ["failure": .string(failure)]) }
        return found
    }
}
