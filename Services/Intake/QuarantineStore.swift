import Foundation
import Mail
import Models
import ServiceKit
import Store

/// A message held back, with why, and everything needed to look at it again.
struct Held: Sendable {
    var channel: String
    var envelopeSender: String
    var fromAddress: String?
    var subject: String
    var messageId: String?
    /// A short code editors filter on: `unknown_sender`, `authentication_failed`, `malformed_mime`,
    /// or the validation code of the content (`title_required`, `content_type_mismatch`, …).
    var reason: String
    var detail: String
    var unit: String?
}

/// Writes `intake.quarantine`: the raw message goes to the blob store and is never rewritten;
/// the row, its message key, its event and its audit line commit together.
struct QuarantineStore: Sendable {
    let database: DatabasePool
    let outbox: Outbox
    let mail: MailOutbox

    func hold(
        _ held: Held, raw: [UInt8], messageKey: MailKey, correlationId: String, notice: (@Sendable (UUID) -> OutgoingMail)?
    ) async throws -> SubmissionStore.Created {
        let outbox = self.outbox, mail = self.mail
        let attempt = { @Sendable () async throws -> SubmissionStore.Created in
            try await database.withTransaction { connection in
                if let id = try SubmissionStore.earlier(.message(messageKey), on: connection) {
                    return SubmissionStore.Created(id: id, replayed: true)
                }
                let id = UUID()
                let blob = try PostgresBlobStore.put(raw, contentType: "message/rfc822", on: connection)
                try connection.query(
                    """
                    INSERT INTO intake.quarantine (id, channel, envelope_sender, from_address, subject, message_id, reason, detail,
                        raw_sha256, unit_code)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                    """,
                    [id, held.channel, held.envelopeSender, held.fromAddress, held.subject, held.messageId, held.reason, held.detail,
                     blob.sha256, held.unit])
                try messageKey.record(submission: nil, quarantine: id, on: connection)
                let event = QuarantinedMail(
                    quarantineId: id, reason: held.reason, detail: held.detail, fromAddress: held.fromAddress, subject: held.subject,
                    unitCode: held.unit, rawSHA256: blob.sha256, receivedAt: Date())
                try outbox.enqueue(try EventEnvelope(event, correlationId: correlationId, producer: "intake"), on: connection)
                if let notice { try mail.enqueue(notice(id), on: connection) }
                try AuditLog.append(
                    service: "intake", actor: held.fromAddress ?? held.envelopeSender, action: "submission.quarantined",
                    subject: id.uuidString.lowercased(), correlationId: correlationId, detail: ["reason": held.reason], on: connection)
                return SubmissionStore.Created(id: id, replayed: false)
            }
        }
        do {
            return try await attempt()
        } catch let error as StoreError where error.isUniqueViolation {
            return try await attempt()
        }
    }
}
