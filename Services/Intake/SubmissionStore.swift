import Crypto
import Foundation
import Mail
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

/// Who sent a submission and how.
struct SubmissionOrigin: Sendable {
    /// `api` or `email`.
    var channel: String
    var unit: String
    /// The signed-in user, or the user whose address sent the mail; nil for a unit's mailbox.
    var userId: UUID?
    /// Login or mail address, for the audit log.
    var actor: String
    var senderAddress: String?

    static func api(_ user: AuthenticatedUser, unit: String) -> SubmissionOrigin {
        SubmissionOrigin(channel: "api", unit: unit, userId: user.id, actor: user.login, senderAddress: nil)
    }

    static func web(_ user: AuthenticatedUser, unit: String) -> SubmissionOrigin {
        SubmissionOrigin(channel: "web", unit: unit, userId: user.id, actor: user.login, senderAddress: nil)
    }
}

/// What makes a repeated request the same submission.
enum RepeatKey: Sendable {
    /// An API client's `Idempotency-Key`, with the SHA-256 of what it sent.
    case idempotency(userId: UUID, key: String, requestSHA256: String)
    /// A mail: the same sender sending the same content under the same Message-ID.
    case message(MailKey)
}

/// What makes two deliveries of mail the same message: the same sender, the same Message-ID and
/// the same content (the bytes after the header, so body and attachments; an MTA's own
/// `Received` lines on a retry do not count). A Message-ID alone proves nothing: clients and
/// strangers reuse them, and a message answered "already received" would be lost.
struct MailKey: Sendable, Equatable {
    /// `v2:` and the hex SHA-256 of sender, Message-ID and content.
    let key: String
    /// The Message-ID as written, for finding reuse.
    let messageId: String?
    /// The hex SHA-256 of sender and content alone, for finding a resend under a new Message-ID.
    let contentKey: String

    init(raw: [UInt8], sender: String, messageId: String?) {
        var content = SHA256()
        content.update(data: Array(sender.lowercased().utf8) + [0])
        content.update(data: raw[Self.bodyStart(raw)...])
        contentKey = content.finalize().hexString
        key = "v2:" + SHA256.hash(data: Array("\(contentKey)\u{0}\(messageId ?? "")".utf8)).hexString
        self.messageId = messageId
    }

    /// Where the body begins: after the first empty line (CRLF CRLF, or LF LF from a file).
    static func bodyStart(_ raw: [UInt8]) -> Int {
        var index = 0
        while index + 1 < raw.count {
            if raw[index] == 10 {
                if raw[index + 1] == 10 { return index + 2 }
                if raw[index + 1] == 13, index + 2 < raw.count, raw[index + 2] == 10 { return index + 3 }
            }
            index += 1
        }
        return raw.count
    }

    /// Whether an earlier, different message came with the same Message-ID.
    func isReused(on connection: Connection) throws -> Bool {
        guard let messageId else { return false }
        return try !connection.query(
            "SELECT 1 FROM intake.mail_messages WHERE message_id = $1 AND message_key <> $2 LIMIT 1", [messageId, key]
        ).rows.isEmpty
    }

    /// Whether the same sender already sent this content under another Message-ID.
    func isResend(on connection: Connection) throws -> Bool {
        try !connection.query(
            "SELECT 1 FROM intake.mail_messages WHERE content_key = $1 AND message_key <> $2 LIMIT 1", [contentKey, key]
        ).rows.isEmpty
    }

    /// The flags editors see on a message that reused another's Message-ID, or that resends
    /// content already received.
    static let reusedFlag = "reused_message_id"
    static let resendFlag = "likely_duplicate"

    func flags(on connection: Connection) throws -> [String] {
        (try isReused(on: connection) ? [Self.reusedFlag] : []) + (try isResend(on: connection) ? [Self.resendFlag] : [])
    }

    func record(submission: UUID?, quarantine: UUID?, on connection: Connection) throws {
        try connection.query(
            """
            INSERT INTO intake.mail_messages (message_key, message_id, content_key, submission_id, quarantine_id)
            VALUES ($1, $2, $3, $4, $5)
            """, [key, messageId, contentKey, submission, quarantine])
    }
}

/// Reads and writes `intake.*`. A submission, its raw input, its attachments, its repeat
/// key, its event, its acknowledgement and its audit line commit in one transaction, or none does.
struct SubmissionStore: Sendable {
    let database: DatabasePool
    let outbox: Outbox
    let mail: MailOutbox
    /// The domains of the sites in force.
    let sites = ExpiringCache<Int, Set<String>>(lifetime: .seconds(60))
    let writes: GroupCommit

    init(database: DatabasePool, outbox: Outbox, mail: MailOutbox) {
        self.database = database
        self.outbox = outbox
        self.mail = mail
        self.writes = GroupCommit(database: database)
    }

    struct Created: Sendable {
        let id: UUID
        /// True when an earlier request with the same key made it.
        let replayed: Bool
    }

    /// - Parameters:
    ///   - raw: the request exactly as received, kept in the blob store as `rawType`.
    ///   - acknowledgement: mail to send once the submission exists; it receives the new id.
    func create(
        _ submission: ValidatedSubmission, raw: [UInt8], rawType: String, origin: SubmissionOrigin, repeatKey: RepeatKey?,
        correlationId: String, acknowledgement: (@Sendable (UUID) -> OutgoingMail)? = nil
    ) async throws -> Created {
        do {
            return try await insert(submission, raw: raw, rawType: rawType, origin: origin, repeatKey: repeatKey,
                                    correlationId: correlationId, acknowledgement: acknowledgement)
        } catch let error as StoreError where error.isUniqueViolation && repeatKey != nil {
            // A concurrent request with the same key won: answer as it did.
            return try await insert(submission, raw: raw, rawType: rawType, origin: origin, repeatKey: repeatKey,
                                    correlationId: correlationId, acknowledgement: acknowledgement)
        }
    }

    /// The submission or quarantined message that an earlier delivery of the same key made.
    static func earlier(_ key: RepeatKey, on connection: Connection) throws -> UUID? {
        switch key {
        case .idempotency(let userId, let key, let hash):
            guard let row = try connection.query(
                "SELECT submission_id, request_sha256 FROM intake.idempotency_keys WHERE user_id = $1 AND key = $2", [userId, key]
            ).rows.first else { return nil }
            guard try row.decode("request_sha256", as: String.self) == hash else {
                throw APIError.conflict(
                    "idempotency_key_reused", "This Idempotency-Key was already used with a different request body; use a new key.")
            }
            return try row.decode("submission_id")
        case .message(let key):
            return try connection.query(
                "SELECT coalesce(submission_id, quarantine_id) AS id FROM intake.mail_messages WHERE message_key = $1", [key.key]
            ).rows.first?.decode("id")
        }
    }

    private func insert(
        _ submission: ValidatedSubmission, raw: [UInt8], rawType: String, origin: SubmissionOrigin, repeatKey: RepeatKey?,
        correlationId: String, acknowledgement: (@Sendable (UUID) -> OutgoingMail)?
    ) async throws -> Created {
        let outbox = self.outbox, mail = self.mail
        let encoder = JSONEncoder()
        let authors = String(decoding: try encoder.encode(submission.authors), as: UTF8.self)
        var details = [String: JSONValue]()
        if let document = submission.legalDocument {
            details["legalDocument"] = try EventCoding.decoder.decode(JSONValue.self, from: encoder.encode(document))
        }
        if let draft = submission.draft {
            details["draft"] = try EventCoding.decoder.decode(JSONValue.self, from: encoder.encode(draft))
        }
        if let replaces = submission.replaces {
            details["replaces"] = .string(replaces.uuidString.lowercased())
        }
        if let wished = submission.wishedPublicationDate {
            details["wishedPublicationDate"] = .string(wished.description)
        }
        if let history = submission.quotedHistory {
            details["quotedHistory"] = .string(history)
        }
        let detailsJSON = String(decoding: try encoder.encode(details), as: UTF8.self)
        let detailsValue = JSONValue.object(details)
        // Concurrent submissions commit together (one transaction, one flush); each is answered
        // only once its commit is done.
        return try await writes.write { connection -> Created in
            if let repeatKey, let id = try Self.earlier(repeatKey, on: connection) {
                return Created(id: id, replayed: true)
            }
            let id = UUID()
            var submission = submission
            if case .message(let key)? = repeatKey {
                submission.flags += try key.flags(on: connection)
            }
            // Nothing below waits for an answer: the statements go to the server with COMMIT, in
            // one round trip, and any error among them rolls the whole submission back.
            let rawBlob = try PostgresBlobStore.send(raw, contentType: rawType, on: connection)
            try connection.send(
                """
                INSERT INTO intake.submissions (id, unit_code, submitted_by, channel, kind, language, title, summary, body,
                    body_format, body_html, details, authors, target_sites, also_on_own_site, raw_sha256, flags, sender_address)
                VALUES ($1, $2, $3, $17, $4, $5, $6, $7, $8, $9, $16, $10::jsonb, $11::jsonb, $12::text[], $13, $14, $15::text[], $18)
                """,
                [id, origin.unit, origin.userId, submission.kind.rawValue, submission.language, submission.title, submission.summary,
                 submission.body, submission.bodyFormat, detailsJSON, authors, SQLArray.literal(submission.targetSites),
                 submission.alsoOnOwnSite, rawBlob.sha256, SQLArray.literal(submission.flags), submission.bodyHTML,
                 origin.channel, origin.senderAddress])
            var attachmentRefs = [AttachmentRef]()
            for (position, attachment) in submission.attachments.enumerated() {
                let blob = try PostgresBlobStore.send(attachment.bytes, contentType: attachment.contentType, on: connection)
                attachmentRefs.append(AttachmentRef(
                    filename: attachment.filename, contentType: attachment.contentType, sha256: blob.sha256, size: Int(blob.size),
                    altText: attachment.altText))
                try connection.send(
                    """
                    INSERT INTO intake.attachments (submission_id, position, filename, content_type, sha256, size, alt_text)
                    VALUES ($1, $2, $3, $4, $5, $6, $7)
                    """, [id, position, attachment.filename, attachment.contentType, blob.sha256, blob.size, attachment.altText])
            }
            switch repeatKey {
            case .idempotency(let userId, let key, let hash):
                try connection.send(
                    "INSERT INTO intake.idempotency_keys (user_id, key, request_sha256, submission_id) VALUES ($1, $2, $3, $4)",
                    [userId, key, hash, id])
            case .message(let key):
                try key.record(submission: id, quarantine: nil, on: connection)
            case nil:
                break
            }
            let event = SubmittedContent(
                submissionId: id, unitCode: origin.unit, channel: origin.channel, submittedBy: origin.userId,
                senderAddress: origin.senderAddress, kind: submission.kind.rawValue, language: submission.language,
                title: submission.title, summary: submission.summary, bodyFormat: submission.bodyFormat, body: submission.body,
                bodyHTML: submission.bodyHTML, authors: submission.authors.map { AuthorShare(name: $0.name, userId: $0.userId, share: $0.share) },
                targetSites: submission.targetSites, alsoOnOwnSite: submission.alsoOnOwnSite, attachments: attachmentRefs,
                details: detailsValue, flags: submission.flags)
            try outbox.enqueue(try EventEnvelope(event, correlationId: correlationId, producer: "intake"), on: connection)
            if let acknowledgement {
                try mail.enqueue(acknowledgement(id), on: connection)
            }
            try AuditLog.append(
                service: "intake", actor: origin.actor, action: "submission.received", subject: id.uuidString.lowercased(),
                correlationId: correlationId, detail: ["channel": origin.channel], on: connection)
            return Created(id: id, replayed: false)
        }
    }

    /// The domains in `domains` that are neither the portal nor the component site of a unit in
    /// force today (R-7.1: `<unit>.longan.gov.vn`, `<commune>.<district>.longan.gov.vn`).
    func unknownSites(_ domains: [String]) async throws -> [String] {
        guard !domains.isEmpty else { return [] }
        let database = self.database
        // Units change rarely; a minute's delay before a new unit's site is accepted is fine.
        let known = try await sites.value(for: 0) {
            try await database.withConnection { connection in
                Set(try connection.query("SELECT domain FROM core.unit_sites").rows.map { try $0.decode("domain", as: String.self) })
            }
        }
        return domains.filter { $0 != SiteDomain.portal && !known.contains($0) }
    }

    /// The submission if it belongs to `unit`; nil otherwise, so that other units cannot
    /// learn that it exists.
    /// The status of a submission by its id alone, for the tracking page the sender's
    /// acknowledgement links to (the id is random and unguessable).
    func status(of id: UUID) async throws -> SubmissionStatus? {
        try await database.withConnection { connection in
            try connection.query("\(Self.select) WHERE id = $1", [id]).rows.first.map(Self.decode)
        }
    }

    func status(of id: UUID, forUnit unit: String) async throws -> SubmissionStatus? {
        try await database.withConnection { connection in
            try connection.query("\(Self.select) WHERE id = $1 AND unit_code = $2", [id, unit]).rows.first.map(Self.decode)
        }
    }

    /// A submission of the unit as the web form shows it, to revise and send again.
    func content(of id: UUID, forUnit unit: String) async throws -> SubmitForm? {
        try await database.withConnection { connection in
            guard let row = try connection.query(
                """
                SELECT title, coalesce(summary, '') AS summary, body, body_format, kind, target_sites::text[] @> ARRAY[$3]::text[] AS on_portal,
                       also_on_own_site, coalesce(details->>'wishedPublicationDate', '') AS wished,
                       coalesce(details#>>'{legalDocument,number}', '') AS legal_number, coalesce(details#>>'{legalDocument,issuer}', '') AS legal_issuer,
                       coalesce(details#>>'{legalDocument,issueDate}', '') AS legal_issue_date,
                       coalesce(details#>>'{legalDocument,effectiveDate}', '') AS legal_effective_date,
                       coalesce(details#>>'{legalDocument,summary}', '') AS legal_summary,
                       coalesce(details#>>'{draft,opensOn}', '') AS draft_opens, coalesce(details#>>'{draft,closesOn}', '') AS draft_closes
                FROM intake.submissions WHERE id = $1 AND unit_code = $2
                """, [id, unit, SiteDomain.portal]
            ).rows.first else { return nil }
            // Its files come back too, kept as a refused form keeps them (the form signs them for the session).
            let files = try connection.query(
                "SELECT filename, content_type, sha256, size, alt_text FROM intake.attachments WHERE submission_id = $1 ORDER BY position LIMIT $2",
                [id, SubmitPages.fileRows]
            ).rows
            var form = SubmitForm()
            form.title = try row.decode("title")
            form.summary = try row.decode("summary")
            form.body = try row.decode("body")
            form.bodyFormat = try row.decode("body_format")
            form.kind = try row.decode("kind")
            form.onPortal = try row.decode("on_portal")
            form.alsoOnOwnSite = try row.decode("also_on_own_site")
            form.wishedDate = try row.decode("wished")
            form.legalNumber = try row.decode("legal_number")
            form.legalIssuer = try row.decode("legal_issuer")
            form.legalIssueDate = try row.decode("legal_issue_date")
            form.legalEffectiveDate = try row.decode("legal_effective_date")
            form.legalSummary = try row.decode("legal_summary")
            form.draftOpens = try row.decode("draft_opens")
            form.draftCloses = try row.decode("draft_closes")
            for (index, file) in files.enumerated() {
                form.files[index].kept = SubmitForm.KeptFile(
                    sha256: try file.decode("sha256"), filename: try file.decode("filename"), contentType: try file.decode("content_type"),
                    size: try file.decode("size"))
                form.files[index].altText = try file.decodeIfPresent("alt_text") ?? ""
            }
            return form
        }
    }

    /// The unit's name (`core.units`).
    func unitName(_ unit: String) async throws -> String? {
        try await database.withConnection {
            try $0.query("SELECT name FROM core.units WHERE code = $1", [unit]).rows.first?.decode("name", as: String.self)
        }
    }

    /// The unit's own site in force, if it has one.
    func ownSite(of unit: String) async throws -> String? {
        try await database.withConnection {
            try $0.query(
                "SELECT domain FROM publishing.sites WHERE unit_code = $1 AND status = 'active' AND kind <> 'portal' ORDER BY domain LIMIT 1", [unit]
            ).rows.first?.decode("domain", as: String.self)
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
