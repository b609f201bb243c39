import Foundation
import ContentSafety
import HTTPTypes
import Models
import ServiceKit
import Store

/// The body of `PUT /api/v1/articles/{id}`: any of the content fields and the classification.
struct ArticleChanges: Codable, Sendable {
    struct ClassificationChanges: Codable, Sendable {
        var kind: String?
        var genre: String?
        /// The royalty coefficient, e.g. 8.5 (R-4.3).
        var coefficient: Double?
        var surcharges: [String]?
        var authors: [AuthorShare]?
        var fields: [String]?
        var categories: [String]?
        var targetSites: [String]?
        var alsoOnOwnSite: Bool?
        /// Publication at this moment, not before (ISO 8601); `clearPublishAt` removes it.
        var publishAt: Date?
        var clearPublishAt: Bool?
    }

    var title: String?
    var summary: String?
    var body: String?
    var bodyFormat: String?
    var classification: ClassificationChanges?
    /// What changed, for the revision history and, for corrections, the public note.
    var changeNote: String?
}

/// Editing makes revisions: each `PUT` that changes something stores a new revision, checked
/// against the revision the editor started from (`If-Match`), so that two editors never overwrite
/// each other unseen.
struct ArticleEdits: Sendable {
    let database: DatabasePool
    let outbox: Outbox
    /// How long an editing lock lasts without renewal.
    static let lockLifetimeSeconds = 15 * 60

    func edit(_ id: UUID, from expected: Int, changes: ArticleChanges, by user: AuthenticatedUser, correlationId: String) async throws -> Int {
        try Access.requireEditor(user)
        let outbox = self.outbox
        return try await database.withTransaction { connection in
            guard let article = try ArticleRecords.article(id, forUpdate: true, on: connection) else { throw Access.notFound(id) }
            try Access.ensureCanSee(article, user)
            if let holder = article.activeLock(), holder != user.id {
                throw APIError(.locked, code: "locked_by_another_editor", message: "Another editor holds the editing lock until \(Timestamp.format(article.lockExpiresAt ?? Date())).")
            }
            guard [.received, .inEditing, .returned, .published].contains(article.state) else {
                throw APIError.conflict(
                    "not_editable", "An item that is \(article.state.vietnamese) (\(article.state.rawValue)) cannot be edited; it must be returned first.")
            }
            let note = changes.changeNote?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            if article.state == .published, note.isEmpty {
                throw APIError(.unprocessableContent, code: "change_note_required",
                               message: "A correction of a published item needs a change note, which the public will read beside the page.")
            }
            guard expected == article.currentRevision else {
                throw APIError(.preconditionFailed, code: "stale_revision",
                               message: "You edited revision \(expected) but the item is at revision \(article.currentRevision); reload it and apply your changes again.")
            }
            guard var revision = try ArticleRecords.revision(id, article.currentRevision, on: connection) else { throw Access.notFound(id) }
            try Self.apply(changes, to: &revision, on: connection)
            revision.number = article.currentRevision + 1
            revision.changeNote = changes.changeNote.map { $0.precomposedStringWithCanonicalMapping }
            revision.createdBy = user.id
            revision.createdByLabel = user.login
            revision.createdAt = Date()
            // While a version is live, every new revision is a correction of it.
            revision.correctionOf = article.publishedRevision
            try ArticleRecords.insertRevision(revision, articleId: id, unit: article.unitCode, on: connection)
            var state = article.state
            if state != .inEditing {
                // The first edit takes the item up (or starts a correction): the submitter sees it is being edited.
                let action: ArticleAction = state == .published ? .startCorrection : .startEditing
                state = try ArticleWorkflow.next(from: state, on: action)
                try connection.query(
                    """
                    INSERT INTO editorial.decisions (id, article_id, revision, action, from_state, to_state, actor, note)
                    VALUES ($1, $2, $3, $4, $5, 'in_editing', $6, $7)
                    """, [UUID(), id, revision.number, action.code, article.state.rawValue, user.id, action == .startCorrection ? note : nil])
                let payload = ArticleStatusPayload(
                    articleId: id, submissionId: article.submissionId, state: .inEditing, note: action == .startCorrection ? note : nil)
                try outbox.enqueue(EventEnvelope(
                    type: EventType.articleEditingStarted, correlationId: correlationId, producer: "approval",
                    encoding: payload), on: connection)
            }
            try connection.query(
                """
                UPDATE editorial.articles SET current_revision = $2, state = $3, assigned_to = coalesce(assigned_to, $4), updated_at = now()
                WHERE id = $1
                """, [id, revision.number, state.rawValue, user.id])
            try ArticleRecords.screen(id, revision, on: connection)
            try AuditLog.append(
                service: "approval", actor: user.login, action: "article.edited", subject: id.uuidString.lowercased(),
                correlationId: correlationId, detail: ["revision": String(revision.number)], on: connection)
            return revision.number
        }
    }

    /// Checks and applies `changes`; every refusal says what to fix and changes nothing.
    static func apply(_ changes: ArticleChanges, to revision: inout RevisionRecord, on connection: Connection) throws {
        func clean(_ text: String) -> String { text.precomposedStringWithCanonicalMapping.trimmingCharacters(in: .whitespacesAndNewlines) }
        func invalid(_ code: String, _ message: String) -> APIError { APIError(.unprocessableContent, code: code, message: message) }
        if let title = changes.title.map(clean) {
            guard !VisibleText.isBlank(title), title.count <= 500 else { throw invalid("invalid_title", "The title must have 1 to 500 characters.") }
            revision.title = title
        }
        if let summary = changes.summary.map(clean) { revision.summary = summary.isEmpty ? nil : summary }
        if changes.body != nil || changes.bodyFormat != nil {
            let body = (changes.body ?? revision.body).precomposedStringWithCanonicalMapping
            let format = changes.bodyFormat ?? revision.bodyFormat
            guard !body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw invalid("body_required", "The body is empty.") }
            guard let html = BodyRenderer.html(format: format, body: body) else {
                throw invalid("invalid_body_format", "bodyFormat must be \"markdown\", \"html\" or \"text\".")
            }
            // The same rule as intake's: a picture shows one of the item's files, named by its file name.
            if let missing = BodyPictures(attachments: revision.attachments).unattached(in: html).first {
                throw invalid(
                    "picture_not_attached",
                    "The body shows the picture '\(missing)', which is not among the item's files: use one of their names, or take the picture out of the body.")
            }
            revision.bodyHTML = html
            revision.body = body
            revision.bodyFormat = format
        }
        guard let changes = changes.classification else { return }
        var classification = revision.classification
        if let kind = changes.kind {
            guard ContentKind(rawValue: kind) != nil else {
                throw invalid("invalid_kind", "Unknown kind '\(kind)'; use one of: \(ContentKind.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
            revision.kind = kind
        }
        if let genre = changes.genre { classification.genre = genre }
        if let coefficient = changes.coefficient {
            // Checked before converting: NaN, infinities and huge values (JSON allows 1e300)
            // would trap in Int(_:). No genre's maximum comes near 1,000.
            guard coefficient.isFinite, coefficient > 0, coefficient <= 1_000 else {
                throw invalid("invalid_coefficient", "The coefficient must be a positive number up to 1,000, with at most two decimals (e.g. 8.5).")
            }
            let hundredths = Int((coefficient * 100).rounded())
            guard hundredths > 0, abs(Double(hundredths) / 100 - coefficient) < 0.000_1 else {
                throw invalid("invalid_coefficient", "The coefficient must be positive, with at most two decimals (e.g. 8.5).")
            }
            classification.coefficientHundredths = hundredths
        }
        if let genre = classification.genre, changes.genre != nil || changes.coefficient != nil {
            // R-4.3: the maximum in force today for the genre.
            guard let row = try connection.query(
                """
                SELECT (max_coefficient * 100)::int AS max FROM core.royalty_genres
                WHERE genre = $1 AND effective_from <= (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
                  AND (effective_to IS NULL OR effective_to >= (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date)
                """, [genre]
            ).rows.first else {
                let known = try connection.query("SELECT DISTINCT genre FROM core.royalty_genres ORDER BY genre").rows.map { try $0.decode("genre", as: String.self) }
                throw invalid("invalid_genre", "Unknown royalty genre '\(genre)'; use one of: \(known.joined(separator: ", ")) (R-4.3).")
            }
            let maximum: Int = try row.decode("max")
            if let hundredths = classification.coefficientHundredths, !Royalty.isWithinMaximum(coefficientHundredths: hundredths, maximumHundredths: maximum) {
                throw invalid("coefficient_above_maximum", String(format: "The coefficient %.2f is above the maximum %.2f for %@ (R-4.3).", Double(hundredths) / 100, Double(maximum) / 100, genre))
            }
        }
        if let surcharges = changes.surcharges {
            // R-4.4: `code` (the lowest rate of its range) or `code:percent` within the range in force today.
            var rates = [String: SurchargeRate]()
            for row in try connection.query(
                """
                SELECT code, min_percent::int AS min, max_percent::int AS max FROM core.royalty_surcharges
                WHERE effective_from <= (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
                  AND (effective_to IS NULL OR effective_to >= (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date)
                """
            ).rows {
                let code: String = try row.decode("code")
                rates[code] = SurchargeRate(code: code, minPercent: try row.decode("min"), maxPercent: try row.decode("max"))
            }
            if let unknown = surcharges.first(where: { RoyaltyLedger.surcharge($0, rates: rates) == nil }) {
                let known = rates.values.sorted { $0.code < $1.code }.map { "\($0.code) (\($0.minPercent)-\($0.maxPercent)%)" }
                throw invalid("invalid_surcharge", "Unknown surcharge or rate '\(unknown)'; use code or code:percent, one of: \(known.joined(separator: ", ")) (R-4.4).")
            }
            classification.surcharges = surcharges
        }
        if let authors = changes.authors {
            let cleaned = authors.map { AuthorShare(name: clean($0.name), userId: $0.userId, share: $0.share) }
            guard !cleaned.isEmpty, cleaned.allSatisfy({ !$0.name.isEmpty }) else {
                throw invalid("authors_required", "Name at least one author; every author needs a name.")
            }
            let shares = cleaned.compactMap(\.share)
            guard shares.isEmpty || Royalty.sharesAreValid(shares) else {
                throw invalid("invalid_author_shares", "Author shares must be positive and add up to at most 100 (R-4.6); they add up to \(shares.reduce(0, +)).")
            }
            classification.authors = cleaned
        }
        if let fields = changes.fields {
            let known = Set(try connection.query("SELECT code FROM core.fields").rows.map { try $0.decode("code", as: String.self) })
            if let unknown = fields.first(where: { !known.contains($0) }) {
                throw invalid("invalid_field", "Unknown field (lĩnh vực) '\(unknown)'.")
            }
            classification.fields = fields
        }
        if let categories = changes.categories { classification.categories = categories.map(clean).filter { !$0.isEmpty } }
        if let sites = changes.targetSites {
            let domains = sites.compactMap(SiteDomain.targetSite)
            guard !domains.isEmpty, domains.count == sites.count else {
                throw invalid("invalid_target_site", "Target sites must be the portal or its component sites (*.\(SiteDomain.portal)).")
            }
            // A site the registry lacks would be approved, signed, and then refused by publishing.
            let known = Set(try connection.query("SELECT domain FROM core.unit_sites WHERE domain = ANY($1::text[])", [SQLArray.literal(domains)]).rows
                .map { try $0.decode("domain", as: String.self) })
            let unknown = domains.filter { $0 != SiteDomain.portal && !known.contains($0) }
            guard unknown.isEmpty else {
                throw invalid("unknown_target_site", "No component site \(unknown.joined(separator: ", ")) is registered; use the portal or a unit's site.")
            }
            classification.targetSites = domains
        }
        if let own = changes.alsoOnOwnSite { classification.alsoOnOwnSite = own }
        if changes.clearPublishAt == true { classification.publishAt = nil }
        if let moment = changes.publishAt {
            // Whole seconds: the signed JSON carries the date in ISO 8601 without fractions.
            classification.publishAt = Date(timeIntervalSince1970: moment.timeIntervalSince1970.rounded(.down))
        }
        revision.classification = classification
    }

    /// Takes or renews the editing lock; others see who holds it until it expires.
    func lock(_ id: UUID, by user: AuthenticatedUser, release: Bool) async throws -> Date? {
        try Access.requireEditor(user)
        return try await database.withTransaction { connection in
            guard let article = try ArticleRecords.article(id, forUpdate: true, on: connection) else { throw Access.notFound(id) }
            try Access.ensureCanSee(article, user)
            if let holder = article.activeLock(), holder != user.id {
                throw APIError(.locked, code: "locked_by_another_editor", message: "Another editor holds the editing lock until \(Timestamp.format(article.lockExpiresAt ?? Date())).")
            }
            if release {
                try connection.query("UPDATE editorial.articles SET locked_by = NULL, lock_expires_at = NULL WHERE id = $1", [id])
                return nil
            }
            return try connection.query(
                """
                UPDATE editorial.articles SET locked_by = $2, lock_expires_at = now() + make_interval(secs => $3)
                WHERE id = $1 RETURNING lock_expires_at
                """, [id, user.id, Self.lockLifetimeSeconds]
            ).one().decode("lock_expires_at")
        }
    }
}

extension HTTPResponse.Status {
    /// 423 (RFC 4918): another editor holds the item's editing lock.
    static let locked = HTTPResponse.Status(code: 423, reasonPhrase: "Locked")
}
