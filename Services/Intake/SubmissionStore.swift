import Crypto
import Foundation
import Models
import ServiceKit
import Store

/// What a submitter may see of a submission.
struct SubmissionStatus: Codable, Sendable {
    /// Lower-case, as in the status URL.
    var id: String
    var title: String
    var kind: String
    var unit: String
    var status: String
    /// The state's Vietnamese label.
    var statusLabel: String
    var note: String?
    var publishedUrl: String?
    var flags: [String]
    var receivedAt: Date
}

/// The event every accepted submission sends through the outbox.
struct SubmissionReceived: PortalEvent {
    static let type = EventType.submissionReceived
    static let version = 1
    var submissionId: UUID
    var unitCode: String
    var kind: String
    var language: String
    var title: String
    var channel: String
    var flags: [String]
}

/// Reads and writes `intake.*`. A submission, its raw input, its attachments, its
/// idempotency key, its event and its audit line commit in one transaction, or none does.
struct SubmissionStore: Sendable {
    let database: DatabasePool
    let outbox: Outbox

    struct Created: Sendable {
        let id: UUID
        /// True when an earlier request with the same Idempotency-Key made it.
        let replayed: Bool
    }

    /// - Parameters:
    ///   - raw: the request exactly as received, kept in the blob store as `rawType`.
    ///   - fingerprint: what decides whether a repeat with the same Idempotency-Key is the same request.
    func create(
        _ submission: ValidatedSubmission, raw: [UInt8], rawType: String, fingerprint: [UInt8], by user: AuthenticatedUser,
        unit: String, idempotencyKey: String?, correlationId: String
    ) async throws -> Created {
        let requestHash = SHA256.hash(data: fingerprint).hexString
        do {
            return try await insert(
                submission, raw: raw, rawType: rawType, user: user, unit: unit, key: idempotencyKey, hash: requestHash,
                correlationId: correlationId)
        } catch let error as StoreError where error.isUniqueViolation && idempotencyKey != nil {
            // A concurrent request with the same key won: answer as it did.
            return try await insert(
                submission, raw: raw, rawType: rawType, user: user, unit: unit, key: idempotencyKey, hash: requestHash,
                correlationId: correlationId)
        }
    }

    private func insert(
        _ submission: ValidatedSubmission, raw: [UInt8], rawType: String, user: AuthenticatedUser, unit: String, key: String?,
        hash: String, correlationId: String
    ) async throws -> Created {
        let outbox = self.outbox
        let encoder = JSONEncoder()
        let authors = String(decoding: try encoder.encode(submission.authors), as: UTF8.self)
        var details = [String: JSONValue]()
        if let document = submission.legalDocument {
            details["legalDocument"] = try EventCoding.decoder.decode(JSONValue.self, from: encoder.encode(document))
        }
        if let draft = submission.draft {
            details["draft"] = try EventCoding.decoder.decode(JSONValue.self, from: encoder.encode(draft))
        }
        let detailsJSON = String(decoding: try encoder.encode(details), as: UTF8.self)
        return try await database.withTransaction { connection -> Created in
            if let key {
                if let row = try connection.query(
                    "SELECT submission_id, request_sha256 FROM intake.idempotency_keys WHERE user_id = $1 AND key = $2",
                    [user.id, key]
                ).rows.first {
                    guard try row.decode("request_sha256", as: String.self) == hash else {
                        throw APIError.conflict(
                            "idempotency_key_reused", "This Idempotency-Key was already used with a different request body; use a new key.")
                    }
                    return Created(id: try row.decode("submission_id"), replayed: true)
                }
            }
            let id = UUID()
            let rawBlob = try PostgresBlobStore.put(raw, contentType: rawType, on: connection)
            try connection.query(
                """
                INSERT INTO intake.submissions (id, unit_code, submitted_by, channel, kind, language, title, summary, body,
                    body_format, body_html, details, authors, target_sites, also_on_own_site, raw_sha256, flags)
                VALUES ($1, $2, $3, 'api', $4, $5, $6, $7, $8, $9, $16, $10::jsonb, $11::jsonb, $12::text[], $13, $14, $15::text[])
                """,
                [id, unit, user.id, submission.kind.rawValue, submission.language, submission.title, submission.summary,
                 submission.body, submission.bodyFormat, detailsJSON, authors, SQLArray.literal(submission.targetSites),
                 submission.alsoOnOwnSite, rawBlob.sha256, SQLArray.literal(submission.flags), submission.bodyHTML])
            for (position, attachment) in submission.attachments.enumerated() {
                let blob = try PostgresBlobStore.put(attachment.bytes, contentType: attachment.contentType, on: connection)
                try connection.query(
                    """
                    INSERT INTO intake.attachments (submission_id, position, filename, content_type, sha256, size, alt_text)
                    VALUES ($1, $2, $3, $4, $5, $6, $7)
                    """, [id, position, attachment.filename, attachment.contentType, blob.sha256, blob.size, attachment.altText])
            }
            if let key {
                try connection.query(
                    "INSERT INTO intake.idempotency_keys (user_id, key, request_sha256, submission_id) VALUES ($1, $2, $3, $4)",
                    [user.id, key, hash, id])
            }
            let event = SubmissionReceived(
                submissionId: id, unitCode: unit, kind: submission.kind.rawValue, language: submission.language,
                title: submission.title, channel: "api", flags: submission.flags)
            try outbox.enqueue(try EventEnvelope(event, correlationId: correlationId, producer: "intake"), on: connection)
            try connection.query(
                """
                INSERT INTO core.audit_log (service, actor, action, subject, correlation_id)
                VALUES ('intake', $1, 'submission.received', $2, $3)
                """, [user.login, id.uuidString.lowercased(), correlationId])
            return Created(id: id, replayed: false)
        }
    }

    /// The submission if it belongs to `unit`; nil otherwise, so that other units cannot
    /// learn that it exists.
    func status(of id: UUID, forUnit unit: String) async throws -> SubmissionStatus? {
        try await database.withConnection { connection in
            try connection.query("\(Self.select) WHERE id = $1 AND unit_code = $2", [id, unit]).rows.first.map(Self.decode)
        }
    }

    func list(unit: String, status: String?, from: LocalDate?, to: LocalDate?, limit: Int) async throws -> [SubmissionStatus] {
        try await database.withConnection { connection in
            try connection.query(
                """
                \(Self.select) WHERE unit_code = $1 AND ($2::text IS NULL OR status = $2)
                  AND ($3::date IS NULL OR received_at >= ($3::date::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh'))
                  AND ($4::date IS NULL OR received_at < (($4::date + 1)::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh'))
                ORDER BY received_at DESC LIMIT $5
                """, [unit, status, from?.description, to?.description, limit]
            ).rows.map(Self.decode)
        }
    }

    static let select = """
        SELECT id, title, kind, unit_code, status, status_note, published_url, array_to_json(flags)::text AS flags, received_at
        FROM intake.submissions
        """

    static func decode(_ row: Row) throws -> SubmissionStatus {
        let status: String = try row.decode("status")
        let flags = try JSONDecoder().decode([String].self, from: Data(try row.decode("flags", as: String.self).utf8))
        return SubmissionStatus(
            id: try row.decode("id", as: UUID.self).uuidString.lowercased(), title: try row.decode("title"), kind: try row.decode("kind"), unit: try row.decode("unit_code"),
            status: status, statusLabel: ArticleState(rawValue: status)?.vietnamese ?? status,
            note: try row.decodeIfPresent("status_note"), publishedUrl: try row.decodeIfPresent("published_url"),
            flags: flags, receivedAt: try row.decode("received_at"))
    }
}
