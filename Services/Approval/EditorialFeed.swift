import Foundation
import Models
import ServiceKit
import Store

/// What the approval service learns from the other services on `approval.events`: new
/// submissions become items in the editors' queue, quarantined mail waits for an editor's
/// decision, and publication closes an item's flow. The inbox makes every event count once.
enum EditorialFeed {
    static func handle(_ envelope: EventEnvelope, _ context: EventContext) throws {
        switch envelope.type {
        case EventType.submissionReceived:
            let content: SubmittedContent
            do {
                content = try envelope.decode(SubmittedContent.self)
            } catch {
                throw PermanentFailure("submission.received without a readable submission: \(error)")
            }
            try ArticleRecords.createFromSubmission(content, receivedAt: envelope.occurredAt, on: context.connection)
            context.logger.info("item queued for editing", metadata: ["article.id": .string(content.submissionId.uuidString.lowercased())])
        case EventType.submissionQuarantined:
            let mail: QuarantinedMail
            do {
                mail = try envelope.decode(QuarantinedMail.self)
            } catch {
                throw PermanentFailure("submission.quarantined without a readable payload: \(error)")
            }
            try context.connection.query(
                """
                INSERT INTO editorial.quarantine (id, reason, from_address, subject, unit_code, raw_sha256, received_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING
                """, [mail.quarantineId, mail.reason, mail.fromAddress, mail.subject, mail.unitCode, mail.rawSHA256, mail.receivedAt])
        case EventType.articlePublished:
            let status = try envelope.payload(as: ArticleStatusPayload.self)
            // The state and the published revision's text in one round trip: the text is what the
            // near-duplicate screen indexes, and its bands are stored below in this transaction, so
            // the same update records them (one new version of the row, not two).
            // No row: the item was not waiting for this publication.
            guard let published = try context.connection.query(
                """
                WITH published AS (
                    UPDATE editorial.articles SET state = 'published', published_revision = approved_revision,
                        bands_revision = approved_revision, published_url = coalesce($2, published_url), updated_at = now()
                    WHERE id = $1 AND state = 'approved'
                    RETURNING id, published_revision
                )
                SELECT r.number, r.title, r.summary, r.body_format, r.body, r.body_html
                FROM published p JOIN editorial.revisions r ON r.article_id = p.id AND r.number = p.published_revision
                """, [status.articleId, status.url]
            ).rows.first else { return }
            try ArticleRecords.storeBands(status.articleId, revision: published, on: context.connection)
        default:
            return
        }
    }

    /// The item an event is about, for the consumer's lanes (`EventLanes`): a submission becomes
    /// the item of the same id; quarantined mail is its own subject.
    static func subject(_ envelope: EventEnvelope) -> String? {
        guard let ids = try? envelope.payload(as: Subject.self) else { return nil }
        return ids.articleId ?? ids.submissionId ?? ids.quarantineId
    }

    private struct Subject: Decodable {
        var articleId: String?
        var submissionId: String?
        var quarantineId: String?
    }
}
