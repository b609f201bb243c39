import ContentSafety
import Foundation
import Mail
import Models
import ServiceKit
import Store

/// Editors decide on mail that intake held back: release it into the flow as an item of a unit,
/// or discard it with a reason. The raw message stays in the blob store either way.
struct QuarantineDecisions: Sendable {
    let database: DatabasePool

    struct Release: Codable, Sendable {
        /// Needed when the sender is not registered to a unit.
        var unit: String?
    }

    struct Discard: Codable, Sendable {
        var reason: String
    }

    func release(_ id: UUID, _ request: Release, by user: AuthenticatedUser, correlationId: String) async throws -> UUID {
        try Access.requireEditor(user)
        return try await database.withTransaction { connection in
            let held = try Self.held(id, on: connection)
            guard let unit = request.unit ?? held.unit else {
                throw APIError(.unprocessableContent, code: "unit_required", message: "The sender is not registered: say which unit the item belongs to (unit).")
            }
            guard try !connection.query("SELECT 1 FROM core.units WHERE code = $1", [unit]).rows.isEmpty else {
                throw APIError(.unprocessableContent, code: "unknown_unit", message: "No unit '\(unit)'.")
            }
            guard let raw = try connection.query("SELECT data FROM core.blobs WHERE sha256 = $1", [held.raw]).rows.first?
                .decode("data", as: ByteA.self).bytes else { throw APIError.notFound("raw_message_missing", "The held message's bytes are missing.") }
            guard let mail = try? MailParser.parse(raw) else {
                throw APIError(.unprocessableContent, code: "unreadable_message", message: "The message cannot be read as mail; discard it instead.")
            }
            let draft = MailDraft(mail: mail)
            // Released, it becomes an item like any other: within what intake takes from anyone.
            guard draft.attachments.count <= SubmissionLimits.attachments,
                  draft.attachments.reduce(0, { $0 + $1.bytes.count }) <= SubmissionLimits.attachmentBytes,
                  draft.body.unicodeScalars.count <= SubmissionLimits.bodyCharacters else {
                throw APIError(
                    .unprocessableContent, code: "held_message_too_large",
                    message: "The message has \(draft.attachments.count) files and \(draft.body.unicodeScalars.count) characters of text; an item holds at most \(SubmissionLimits.attachments) files of \(SubmissionLimits.attachmentBytes / 1_048_576) MB and \(SubmissionLimits.bodyCharacters) characters. Ask the unit to send it again in parts, and discard this one.")
            }
            var attachments = [AttachmentRef]()
            for file in draft.attachments {
                let blob = try PostgresBlobStore.put(file.bytes, contentType: file.contentType, on: connection)
                attachments.append(AttachmentRef(filename: file.filename, contentType: file.contentType, sha256: blob.sha256, size: Int(blob.size), altText: file.altText))
            }
            let title = draft.title.isEmpty ? "(không có tiêu đề)" : String(draft.title.precomposedStringWithCanonicalMapping.prefix(SubmissionLimits.titleCharacters))
            let bodyHTML = draft.bodyFormat == "html" ? HTMLSanitizer.sanitize(draft.body) : BodyRenderer.html(fromText: draft.body)
            let articleId = UUID()
            try ArticleRecords.insertArticle(
                id: articleId, submissionId: nil, quarantineId: id, unit: unit, channel: "email", submittedBy: nil,
                senderAddress: mail.from?.address, flags: ["released_from_quarantine:\(held.reason)"], receivedAt: Date(), on: connection)
            let revision = RevisionRecord(
                number: 1, kind: ContentKind(rawValue: draft.kind) != nil ? draft.kind : ContentKind.news.rawValue, language: "vi",
                title: title, summary: nil, bodyFormat: draft.bodyFormat, body: draft.body.precomposedStringWithCanonicalMapping,
                bodyHTML: bodyHTML, attachments: attachments,
                classification: Classification(authors: [AuthorShare(name: draft.authorName ?? mail.from?.address ?? "?")]),
                details: .object([:]), changeNote: "Released from quarantine (\(held.reason))", createdBy: user.id,
                createdByLabel: user.login, createdAt: Date(), contentSHA256: "")
            try ArticleRecords.insertRevision(revision, articleId: articleId, unit: unit, on: connection)
            try ArticleRecords.screen(articleId, revision, on: connection)
            try connection.query(
                """
                UPDATE editorial.quarantine SET status = 'released', decided_by = $2, decided_at = now(), article_id = $3 WHERE id = $1
                """, [id, user.id, articleId])
            try AuditLog.append(
                service: "approval", actor: user.login, action: "quarantine.released", subject: id.uuidString.lowercased(),
                correlationId: correlationId, detail: ["article": articleId.uuidString.lowercased(), "unit": unit], on: connection)
            return articleId
        }
    }

    func discard(_ id: UUID, _ request: Discard, by user: AuthenticatedUser, correlationId: String) async throws {
        try Access.requireEditor(user)
        let reason = request.reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else { throw APIError(.unprocessableContent, code: "reason_required", message: "Say why the message is discarded.") }
        try await database.withTransaction { connection in
            _ = try Self.held(id, on: connection)
            try connection.query(
                "UPDATE editorial.quarantine SET status = 'discarded', decided_by = $2, decided_at = now(), note = $3 WHERE id = $1",
                [id, user.id, reason])
            try AuditLog.append(
                service: "approval", actor: user.login, action: "quarantine.discarded", subject: id.uuidString.lowercased(),
                correlationId: correlationId, detail: ["reason": reason], on: connection)
        }
    }

    static func held(_ id: UUID, on connection: Connection) throws -> (unit: String?, raw: String, reason: String) {
        guard let row = try connection.query(
            "SELECT unit_code, raw_sha256, reason, status FROM editorial.quarantine WHERE id = $1 FOR UPDATE", [id]
        ).rows.first else { throw APIError.notFound("quarantine_not_found", "No held message \(id.uuidString.lowercased()).") }
        let status: String = try row.decode("status")
        guard status == "held" else {
            throw APIError.conflict("already_decided", "The message was already \(status).")
        }
        return (try row.decodeIfPresent("unit_code"), try row.decode("raw_sha256"), try row.decode("reason"))
    }
}
