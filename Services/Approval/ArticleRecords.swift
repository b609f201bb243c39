import ContentSafety
import Crypto
import Foundation
import Models
import ServiceKit
import Store

/// An item as the editorial side keeps it.
struct ArticleRecord: Codable, Sendable {
    var id: UUID
    var submissionId: UUID?
    var quarantineId: UUID?
    var unitCode: String
    var channel: String
    var submittedBy: UUID?
    var senderAddress: String?
    var state: ArticleState
    var currentRevision: Int
    var approvedRevision: Int?
    var publishedRevision: Int?
    var publishedUrl: String?
    var assignedTo: UUID?
    var lockedBy: UUID?
    var lockExpiresAt: Date?
    var restricted: Bool
    var flags: [String]
    var prescreen: JSONValue
    var receivedAt: Date
    var updatedAt: Date

    /// The lock, when someone holds one that has not expired.
    func activeLock(now: Date = Date()) -> UUID? {
        guard let lockedBy, let lockExpiresAt, lockExpiresAt > now else { return nil }
        return lockedBy
    }
}

/// One revision: the content and the classification as someone left them.
struct RevisionRecord: Codable, Sendable {
    var number: Int
    var kind: String
    var language: String
    var title: String
    var summary: String?
    var bodyFormat: String
    var body: String
    var bodyHTML: String
    var attachments: [AttachmentRef]
    var classification: Classification
    var details: JSONValue
    var changeNote: String?
    /// For a correction: the published revision it corrects.
    var correctionOf: Int? = nil
    var createdBy: UUID?
    var createdByLabel: String
    var createdAt: Date
    var contentSHA256: String
}

/// One decision on an item: who, what, under which rule, and what it was bound to.
struct DecisionRecord: Codable, Sendable {
    /// Ids in lower case, as everywhere in the API.
    var id: String
    var revision: Int
    var action: String
    var fromState: String
    var toState: String
    var actor: String?
    var actorName: String?
    var rule: String?
    var delegationId: String?
    var refusalReason: String?
    var refusalReasonLabel: String?
    var note: String?
    var publicExplanation: String?
    var contentSHA256: String?
    var signature: String?
    var keyId: String?
    var createdAt: Date
}

/// Reads and writes `editorial.*` on a connection the caller holds, inside its transaction.
enum ArticleRecords {
    static let json: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    static func jsonText<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try json.encode(value), as: UTF8.self)
    }

    static func decodeJSON<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try EventCoding.decoder.decode(type, from: Data(text.utf8))
    }

    /// A new item from intake, in state `received`, with its first revision and the pre-screens.
    /// A second delivery of the same submission changes nothing.
    ///
    /// One round trip for the near-duplicate candidates; the item, its pre-screen and its revision
    /// then go as one statement that waits for no answer (it travels with the batch's COMMIT):
    /// the consumer keeps up with intake only if an item costs no more than that.
    static func createFromSubmission(_ content: SubmittedContent, receivedAt: Date, on connection: Connection) throws {
        let classification = Classification(
            authors: content.authors, targetSites: content.targetSites, alsoOnOwnSite: content.alsoOnOwnSite)
        let revision = RevisionRecord(
            number: 1, kind: content.kind, language: content.language, title: content.title, summary: content.summary,
            bodyFormat: content.bodyFormat, body: content.body, bodyHTML: BodyRenderer.resanitized(content.bodyHTML),
            attachments: content.attachments, classification: classification, details: content.details, changeNote: nil, createdBy: content.submittedBy,
            createdByLabel: content.senderAddress ?? "intake", createdAt: receivedAt, contentSHA256: "")
        let id = content.submissionId
        let found = try screening(id, revision, on: connection)
        let hash = contentHash(canonical(articleId: id, unit: content.unitCode, revision: revision))
        // The revision is written only with a new item (ON CONFLICT leaves `item` empty); its
        // parameters are cast because a SELECT list gives them no column type. The item carries
        // its title's search vector from the start (approval migration 8): no second write.
        try connection.send(
            """
            WITH item AS (
                INSERT INTO editorial.articles (id, submission_id, unit_code, channel, submitted_by, sender_address,
                    state, current_revision, flags, received_at, prescreen, restricted, title_search)
                VALUES ($1, $1, $2, $3, $4, $5, 'received', 1, $6::text[], $7, $8::jsonb, $9,
                    to_tsvector('simple', unaccent(lower($12::text))))
                ON CONFLICT (id) DO NOTHING RETURNING id
            )
            INSERT INTO editorial.revisions (article_id, number, kind, language, title, summary, body_format, body, body_html,
                attachments, classification, details, created_by, created_by_label, content_sha256)
            SELECT id, 1, $10::text, $11::text, $12::text, $13::text, $14::text, $15::text, $16::text, $17::jsonb, $18::jsonb,
                $19::jsonb, $20::uuid, $21::text, $22::text FROM item
            """,
            [id, content.unitCode, content.channel, content.submittedBy, content.senderAddress, SQLArray.literal(content.flags),
             receivedAt, found.json, found.restricted,
             revision.kind, revision.language, revision.title, revision.summary, revision.bodyFormat, revision.body, revision.bodyHTML,
             try jsonText(revision.attachments), try jsonText(revision.classification), try jsonText(revision.details),
             revision.createdBy, revision.createdByLabel, hash])
    }

    static func insertArticle(
        id: UUID, submissionId: UUID?, quarantineId: UUID?, unit: String, channel: String, submittedBy: UUID?, senderAddress: String?,
        flags: [String], receivedAt: Date, on connection: Connection
    ) throws {
        try connection.send(
            """
            INSERT INTO editorial.articles (id, submission_id, quarantine_id, unit_code, channel, submitted_by, sender_address,
                state, current_revision, flags, received_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, 'received', 1, $8::text[], $9)
            """, [id, submissionId, quarantineId, unit, channel, submittedBy, senderAddress, SQLArray.literal(flags), receivedAt])
    }

    /// Stores a revision with the SHA-256 of its canonical form; returns that hash.
    @discardableResult
    static func insertRevision(_ revision: RevisionRecord, articleId: UUID, unit: String, on connection: Connection) throws -> String {
        let hash = contentHash(canonical(articleId: articleId, unit: unit, revision: revision))
        // Sent without waiting, like the item's row: the next read carries both in its round trip.
        try connection.send(
            """
            INSERT INTO editorial.revisions (article_id, number, kind, language, title, summary, body_format, body, body_html,
                attachments, classification, details, change_note, created_by, created_by_label, content_sha256, correction_of)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11::jsonb, $12::jsonb, $13, $14, $15, $16, $17)
            """,
            [articleId, revision.number, revision.kind, revision.language, revision.title, revision.summary, revision.bodyFormat,
             revision.body, revision.bodyHTML, try jsonText(revision.attachments), try jsonText(revision.classification),
             try jsonText(revision.details), revision.changeNote, revision.createdBy, revision.createdByLabel, hash, revision.correctionOf])
        return hash
    }

    static func canonical(articleId: UUID, unit: String, revision: RevisionRecord) -> CanonicalRevision {
        CanonicalRevision(
            articleId: articleId, revision: revision.number, unitCode: unit, kind: revision.kind, language: revision.language,
            title: revision.title, summary: revision.summary, bodyHTML: revision.bodyHTML, attachments: revision.attachments,
            classification: revision.classification, details: revision.details,
            correctionNote: revision.correctionOf == nil ? nil : revision.changeNote)
    }

    static func contentHash(_ revision: CanonicalRevision) -> String {
        SHA256.hash(data: revision.canonicalBytes).hexString
    }

    static let articleColumns = """
        id, submission_id, quarantine_id, unit_code, channel, submitted_by, sender_address, state, current_revision,
        approved_revision, published_revision, published_url, assigned_to, locked_by, lock_expires_at, restricted,
        array_to_json(flags)::text AS flags, prescreen::text AS prescreen, received_at, updated_at
        """

    static func article(_ id: UUID, forUpdate: Bool = false, on connection: Connection) throws -> ArticleRecord? {
        try connection.query(
            "SELECT \(articleColumns) FROM editorial.articles WHERE id = $1\(forUpdate ? " FOR UPDATE" : "")", [id]
        ).rows.first.map(decodeArticle)
    }

    static func decodeArticle(_ row: Row) throws -> ArticleRecord {
        let state: String = try row.decode("state")
        return ArticleRecord(
            id: try row.decode("id"), submissionId: try row.decodeIfPresent("submission_id"),
            quarantineId: try row.decodeIfPresent("quarantine_id"), unitCode: try row.decode("unit_code"),
            channel: try row.decode("channel"), submittedBy: try row.decodeIfPresent("submitted_by"),
            senderAddress: try row.decodeIfPresent("sender_address"), state: ArticleState(rawValue: state) ?? .received,
            currentRevision: try row.decode("current_revision"), approvedRevision: try row.decodeIfPresent("approved_revision"),
            publishedRevision: try row.decodeIfPresent("published_revision"), publishedUrl: try row.decodeIfPresent("published_url"),
            assignedTo: try row.decodeIfPresent("assigned_to"), lockedBy: try row.decodeIfPresent("locked_by"),
            lockExpiresAt: try row.decodeIfPresent("lock_expires_at"), restricted: try row.decode("restricted"),
            flags: try decodeJSON([String].self, try row.decode("flags")),
            prescreen: try decodeJSON(JSONValue.self, try row.decode("prescreen")),
            receivedAt: try row.decode("received_at"), updatedAt: try row.decode("updated_at"))
    }

    static func revision(_ articleId: UUID, _ number: Int, on connection: Connection) throws -> RevisionRecord? {
        try connection.query("SELECT \(revisionColumns) FROM editorial.revisions WHERE article_id = $1 AND number = $2", [articleId, number])
            .rows.first.map(decodeRevision)
    }

    static let revisionColumns = """
        number, kind, language, title, summary, body_format, body, body_html, attachments::text AS attachments,
        classification::text AS classification, details::text AS details, change_note, created_by, created_by_label,
        created_at, content_sha256, correction_of
        """

    /// The reads a decision starts with, for one round trip: the item (under lock, for a decision),
    /// then its current revision, then the people who wrote any revision (see `contributors`). The
    /// revision is chosen by the row just read, so under a lock it is the current one.
    static func lockedWithCurrentRevision(_ id: UUID, lock: Bool = true) -> [(sql: String, parameters: [any SQLParameter])] {
        [("SELECT \(articleColumns) FROM editorial.articles WHERE id = $1\(lock ? " FOR UPDATE" : "")", [id]),
         ("""
          SELECT \(revisionColumns) FROM editorial.revisions
          WHERE article_id = $1 AND number = (SELECT current_revision FROM editorial.articles WHERE id = $1)
          """, [id]),
         (revisionWritersSQL, [id])]
    }

    static func decodeRevision(_ row: Row) throws -> RevisionRecord {
        RevisionRecord(
            number: try row.decode("number"), kind: try row.decode("kind"), language: try row.decode("language"),
            title: try row.decode("title"), summary: try row.decodeIfPresent("summary"), bodyFormat: try row.decode("body_format"),
            body: try row.decode("body"), bodyHTML: try row.decode("body_html"),
            attachments: try decodeJSON([AttachmentRef].self, try row.decode("attachments")),
            classification: try decodeJSON(Classification.self, try row.decode("classification")),
            details: try decodeJSON(JSONValue.self, try row.decode("details")), changeNote: try row.decodeIfPresent("change_note"),
            correctionOf: try row.decodeIfPresent("correction_of"),
            createdBy: try row.decodeIfPresent("created_by"), createdByLabel: try row.decode("created_by_label"),
            createdAt: try row.decode("created_at"), contentSHA256: try row.decode("content_sha256"))
    }

    static let revisionWritersSQL = "SELECT DISTINCT created_by FROM editorial.revisions WHERE article_id = $1 AND created_by IS NOT NULL"

    /// Who wrote any revision of the item, its submitter and the current revision's authors: none
    /// of them may approve it. For callers that already hold the article and its current revision.
    static func contributors(_ article: ArticleRecord, current: RevisionRecord, on connection: Connection) throws -> Set<UUID> {
        try contributors(article, current: current, writers: connection.query(revisionWritersSQL, [article.id]))
    }

    /// The same, from the answer to `revisionWritersSQL`.
    static func contributors(_ article: ArticleRecord, current: RevisionRecord, writers: QueryResult) throws -> Set<UUID> {
        var people = Set(try writers.rows.map { try $0.decode("created_by", as: UUID.self) })
        if let submitter = article.submittedBy { people.insert(submitter) }
        people.formUnion(current.classification.authors.compactMap(\.userId))
        return people
    }

    /// The same, reading the article and its current revision first.
    static func contributors(_ articleId: UUID, on connection: Connection) throws -> Set<UUID> {
        var people = Set(try connection.query(revisionWritersSQL, [articleId]).rows.map { try $0.decode("created_by", as: UUID.self) })
        if let submitter = try connection.query("SELECT submitted_by FROM editorial.articles WHERE id = $1", [articleId])
            .rows.first?.decodeIfPresent("submitted_by", as: UUID.self) {
            people.insert(submitter)
        }
        if let latest = try revision(articleId, try connection.query(
            "SELECT current_revision FROM editorial.articles WHERE id = $1", [articleId]).one().decode("current_revision"), on: connection) {
            people.formUnion(latest.classification.authors.compactMap(\.userId))
        }
        return people
    }

    static func decisions(_ articleId: UUID, on connection: Connection) throws -> [DecisionRecord] {
        try decisions(connection.query(decisionsSQL, [articleId]))
    }

    static let decisionsSQL = """
        SELECT d.id, d.revision, d.action, d.from_state, d.to_state, d.actor, u.full_name, d.rule, d.delegation_id,
               d.refusal_reason, d.note, d.public_explanation, d.content_sha256, d.signature, d.key_id, d.created_at
        FROM editorial.decisions d LEFT JOIN core.users u ON u.id = d.actor
        WHERE d.article_id = $1 ORDER BY d.created_at, d.id
        """

    /// The decisions from the answer to `decisionsSQL`.
    static func decisions(_ answer: QueryResult) throws -> [DecisionRecord] {
        try answer.rows.map { row in
            let reason: String? = try row.decodeIfPresent("refusal_reason")
            return DecisionRecord(
                id: try row.decode("id", as: UUID.self).uuidString.lowercased(), revision: try row.decode("revision"),
                action: try row.decode("action"), fromState: try row.decode("from_state"), toState: try row.decode("to_state"),
                actor: try row.decodeIfPresent("actor", as: UUID.self)?.uuidString.lowercased(),
                actorName: try row.decodeIfPresent("full_name"), rule: try row.decodeIfPresent("rule"),
                delegationId: try row.decodeIfPresent("delegation_id", as: UUID.self)?.uuidString.lowercased(), refusalReason: reason,
                refusalReasonLabel: reason.flatMap(RefusalReason.init(rawValue:))?.vietnamese, note: try row.decodeIfPresent("note"),
                publicExplanation: try row.decodeIfPresent("public_explanation"), contentSHA256: try row.decodeIfPresent("content_sha256"),
                signature: try row.decodeIfPresent("signature"), keyId: try row.decodeIfPresent("key_id"),
                createdAt: try row.decode("created_at"))
        }
    }

    /// Runs the pre-screens on `current`, the item's current revision, and stores what they found.
    /// They inform; only a secrecy stamp changes anything: the item is then visible to the Board alone.
    static func screen(_ articleId: UUID, _ current: RevisionRecord, on connection: Connection) throws {
        let found = try screening(articleId, current, on: connection)
        try connection.send(
            "UPDATE editorial.articles SET prescreen = $2::jsonb, restricted = restricted OR $3 WHERE id = $1",
            [articleId, found.json, found.restricted])
    }

    /// What the pre-screens find in a revision: the JSON kept in `prescreen`, and whether a
    /// secrecy stamp restricts the item.
    static func screening(_ articleId: UUID, _ current: RevisionRecord, on connection: Connection) throws -> (json: String, restricted: Bool) {
        let text = screenedText(current)
        let stamps = PreScreen.secrecyStamps(in: text + "\n" + current.attachments.map(\.filename).joined(separator: "\n"))
        let mine = PreScreen.shingles(text)
        var duplicates = [(similarity: Double, match: JSONValue)]()
        // Candidates are the published items sharing a band of the MinHash signature, found by
        // the index on the bands, so the cost follows the few candidates, not the archive; the
        // exact similarity of their texts decides. Two statements, so that the texts are read
        // by primary key whatever the planner thinks of the archive's size.
        let candidates = try connection.query(
            "SELECT id AS article_id FROM editorial.similar_articles($1::bigint[], $2) AS id",
            [SQLArray.literal(PreScreen.bands(mine)), articleId]
        ).rows.map { try $0.decode("article_id", as: UUID.self).uuidString.lowercased() }
        for row in candidates.isEmpty ? [] : try connection.query(
            """
            SELECT a.id, r.title, r.summary, r.body, r.body_format, r.body_html FROM editorial.articles a
            JOIN editorial.revisions r ON r.article_id = a.id AND r.number = a.published_revision
            WHERE a.id = ANY($1::uuid[]) AND a.state = 'published' AND a.bands_revision = a.published_revision
            """, [SQLArray.literal(candidates)]
        ).rows {
            let other = try screenedText(row)
            let similarity = PreScreen.similarity(mine, PreScreen.shingles(other))
            if similarity >= PreScreen.duplicateThreshold {
                duplicates.append((similarity, .object([
                    "articleId": .string(try row.decode("id", as: UUID.self).uuidString.lowercased()),
                    "title": .string(try row.decode("title")), "similarity": .number((similarity * 100).rounded() / 100),
                ])))
            }
        }
        duplicates.sort { $0.similarity > $1.similarity }
        let missingAlt = current.attachments.filter { $0.contentType.hasPrefix("image/") && ($0.altText ?? "").isEmpty }.map(\.filename)
        var missingMetadata = [String]()
        if (current.summary ?? "").isEmpty { missingMetadata.append("description") }
        if current.classification.authors.isEmpty { missingMetadata.append("creator") }
        let result = JSONValue.object([
            "secrecyStamps": .array(stamps.map(JSONValue.string)), "nearDuplicates": .array(duplicates.map(\.match)),
            "missingAltText": .array(missingAlt.map(JSONValue.string)), "missingMetadata": .array(missingMetadata.map(JSONValue.string)),
        ])
        return (try jsonText(result), !stamps.isEmpty)
    }

    /// Stores the bands of the item's published revision, where the pre-screen's index finds them,
    /// in place of those of an earlier published revision.
    static func indexPublished(_ articleId: UUID, on connection: Connection) throws {
        // The published revision's text alone: the rest of the revision is not needed here.
        guard let row = try connection.query(
            """
            SELECT r.number, r.title, r.summary, r.body_format, r.body, r.body_html FROM editorial.articles a
            JOIN editorial.revisions r ON r.article_id = a.id AND r.number = a.published_revision
            WHERE a.id = $1 AND a.state = 'published'
            """, [articleId]
        ).rows.first else { return }
        try storeBands(articleId, revision: row, on: connection)
        try connection.send("UPDATE editorial.articles SET bands_revision = $2 WHERE id = $1", [articleId, try row.decode("number", as: Int.self)])
    }

    /// Only the bands of a published revision, from its row's `title`, `summary`, `body_format`,
    /// `body` and `body_html`, for a caller whose own update of the item records `bands_revision`
    /// in the same transaction.
    static func storeBands(_ articleId: UUID, revision row: Row, on connection: Connection) throws {
        let text = try screenedText(row)
        try connection.send(
            """
            INSERT INTO editorial.similarity_bands (article_id, bands) VALUES ($1, $2::bigint[])
            ON CONFLICT (article_id) DO UPDATE SET bands = excluded.bands
            """, [articleId, SQLArray.literal(PreScreen.bands(PreScreen.shingles(text)))])
    }

    /// What the near-duplicate screen compares: title, summary and the body's text.
    static func screenedText(_ revision: RevisionRecord) -> String {
        screenedText(title: revision.title, summary: revision.summary, bodyFormat: revision.bodyFormat, body: revision.body,
                     bodyHTML: revision.bodyHTML)
    }

    /// The same, from a row of a revision's `title`, `summary`, `body_format`, `body` and `body_html`.
    static func screenedText(_ row: Row) throws -> String {
        screenedText(
            title: try row.decode("title"), summary: try row.decodeIfPresent("summary"), bodyFormat: try row.decode("body_format"),
            body: try row.decode("body"), bodyHTML: try row.decode("body_html"))
    }

    static func screenedText(title: String, summary: String?, bodyFormat: String, body: String, bodyHTML: String) -> String {
        [title, summary ?? "", bodyFormat == "html" ? HTMLSanitizer.plainText(bodyHTML) : body].joined(separator: "\n")
    }
}
