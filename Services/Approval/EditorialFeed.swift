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
            let changed = try context.connection.query(
                """
                UPDATE editorial.articles SET state = 'published', published_revision = approved_revision,
                    published_url = coalesce($2, published_url), updated_at = now()
                WHERE id = $1 AND state = 'approved'
                """, [status.articleId, status.url]
            ).affectedRows
            if changed == 1 { try ArticleRecords.indexPublished(status.articleId, on: context.connection) }
        default:
            return
        }
    }
}
