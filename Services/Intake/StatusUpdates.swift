import Foundation
import Models
import ServiceKit
import Store

/// Keeps the submitter's view of each submission in step with the editorial flow, from the
/// `article.*` events on `intake.events`. Events can arrive out of order (a retry, a replayed
/// dead letter): an event older than the status already shown changes nothing.
enum StatusUpdates {
    static func handle(_ envelope: EventEnvelope, _ context: EventContext) throws {
        guard envelope.type.hasPrefix("article.") else { return }
        let update: ArticleStatusPayload
        do {
            update = try envelope.payload(as: ArticleStatusPayload.self)
        } catch {
            throw PermanentFailure("\(envelope.type) without a readable status payload: \(error)")
        }
        guard let submission = update.submissionId else { return }  // not from intake
        let changed = try context.connection.query(
            """
            UPDATE intake.submissions
            SET status = $2, status_note = $3, published_url = coalesce($4, published_url),
                status_changed_at = $5, updated_at = now()
            WHERE id = $1 AND (status_changed_at IS NULL OR status_changed_at <= $5)
            """, [submission, update.state.rawValue, update.submitterNote, update.url, envelope.occurredAt]
        ).affectedRows
        context.logger.info(
            changed == 1 ? "submission status updated" : "older status event ignored",
            metadata: ["submission.id": .string(submission.uuidString.lowercased()), "status": .string(update.state.rawValue)])
    }
}
