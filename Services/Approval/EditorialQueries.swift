import Foundation
import Models
import ServiceKit
import Store

/// A line of the queue.
struct QueueItem: Codable, Sendable {
    var id: String
    var title: String
    var state: String
    var stateLabel: String
    var unit: String
    var unitName: String
    var kind: String
    var receivedAt: Date
    var assignedTo: String?
    var lockedBy: String?
    /// Full names, for the pages (the API keeps the logins above).
    var assignedToName: String?
    var lockedByName: String?
    var restricted: Bool
    /// For an approver: why the item is theirs to decide.
    var why: String?
    /// For quarantined mail: the reason it was held and the sender.
    var reason: String?
    var from: String?
}

/// An item with everything a decision needs.
struct ArticleView: Codable, Sendable {
    struct RevisionSummary: Codable, Sendable {
        var number: Int
        var createdBy: String
        var createdAt: Date
        var changeNote: String?
        var contentSHA256: String
    }

    struct Approval: Codable, Sendable {
        var revision: Int
        var contentSHA256: String
        var signature: String
        var keyId: String
        var approver: String?
        var rule: String?
        var delegationId: String?
        /// The approved revision, read again now, still hashes to what was signed, and the signature
        /// verifies with the approver's public key in `core.signing_keys`.
        var verified: Bool
    }

    var id: String
    var state: String
    var stateLabel: String
    var unit: String
    var kind: String
    var restricted: Bool
    var receivedAt: Date
    var assignedTo: String?
    var lockedBy: String?
    var lockedUntil: Date?
    var revision: RevisionRecord
    var revisions: [RevisionSummary]
    var decisions: [DecisionRecord]
    var prescreen: JSONValue
    /// What intake noticed about the submission: an image without alt text, a mail that reused
    /// another's Message-ID, a likely resend of one already received.
    var flags: [String]
    var approval: Approval?
    var publishedUrl: String?
    /// The revision the public reads, while a correction may be under way.
    var publishedRevision: Int?
    /// What the caller may do now.
    var allowedActions: [String]
    var why: String?
    /// For a Board member shown an item pending approval that is not theirs to approve: why not.
    var whyNot: String?
}

struct EditorialQueries: Sendable {
    let database: DatabasePool

    /// One page of the queue, oldest first (the order work is done in) unless `newestFirst`.
    /// - Parameters:
    ///   - search: words of the title, each the start of a word, with or without diacritics.
    func queue(
        for user: AuthenticatedUser, state: String?, unit: String?, assignedToMe: Bool, newestFirst: Bool = false, limit: Int = 200,
        offset: Int = 0, search: String? = nil, kind: String? = nil
    ) async throws -> [QueueItem] {
        if state == "quarantined" { return try await quarantine(unit: unit, limit: limit, offset: offset) }
        if let state, ArticleState(rawValue: state) == nil {
            throw APIError.badRequest("invalid_state", "Unknown state '\(state)'; use quarantined or one of: \(ArticleState.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        return try await database.withConnection { connection in
            let board = try BoardState.load(on: connection)
            let today = LocalDate.of(Date())
            let rows = try connection.query(
                """
                WITH words AS (
                    -- "hoi ngh" → 'hoi':* & 'ngh':*, over the titles without diacritics (approval migration 6).
                    SELECT to_tsquery('simple', string_agg(quote_literal(w) || ':*', ' & ')) AS q
                    FROM regexp_split_to_table(unaccent(lower(coalesce($6::text, ''))), '[^[:alnum:]]+') AS w WHERE w <> ''
                )
                SELECT a.id, a.state, a.unit_code, un.name AS unit_name, a.received_at, a.restricted, a.assigned_to, a.locked_by,
                       a.lock_expires_at, r.title, r.kind, ua.login AS assigned_login, ul.login AS locked_login,
                       ua.full_name AS assigned_name, ul.full_name AS locked_name
                FROM editorial.articles a
                JOIN editorial.revisions r ON r.article_id = a.id AND r.number = a.current_revision
                JOIN core.units un ON un.code = a.unit_code
                LEFT JOIN core.users ua ON ua.id = a.assigned_to
                LEFT JOIN core.users ul ON ul.id = a.locked_by AND a.lock_expires_at > now()
                CROSS JOIN words
                WHERE ($1::text IS NULL OR a.state = $1) AND ($2::text IS NULL OR a.unit_code = $2) AND ($3 OR NOT a.restricted)
                  AND (words.q IS NULL OR a.title_search @@ words.q) AND ($7::text IS NULL OR r.kind = $7)
                ORDER BY a.received_at \(newestFirst ? "DESC" : "ASC"), a.id
                LIMIT $4 OFFSET $5
                """, [state, unit, Access.isBoard(user), limit, offset, search, kind]
            ).rows
            var items = [QueueItem]()
            for row in rows {
                let id: UUID = try row.decode("id")
                let articleState = ArticleState(rawValue: try row.decode("state")) ?? .received
                var why: String?
                if articleState == .pendingApproval, Access.isBoard(user) {
                    let subject = ApprovalSubject(
                        submittingUnit: try row.decode("unit_code"), kind: ContentKind(rawValue: try row.decode("kind")) ?? .news,
                        authors: try ArticleRecords.contributors(id, on: connection))
                    if case .success(let authority) = board.authority(of: user.id, for: subject, on: today) { why = authority.explanation }
                }
                if assignedToMe {
                    let mine = Access.isBoard(user) && !Access.isEditor(user) ? why != nil : try row.decodeIfPresent("assigned_to", as: UUID.self) == user.id
                    guard mine else { continue }
                }
                items.append(QueueItem(
                    id: id.uuidString.lowercased(), title: try row.decode("title"), state: articleState.rawValue,
                    stateLabel: articleState.vietnamese, unit: try row.decode("unit_code"), unitName: try row.decode("unit_name"),
                    kind: try row.decode("kind"), receivedAt: try row.decode("received_at"), assignedTo: try row.decodeIfPresent("assigned_login"),
                    lockedBy: try row.decodeIfPresent("locked_login"), assignedToName: try row.decodeIfPresent("assigned_name"),
                    lockedByName: try row.decodeIfPresent("locked_name"), restricted: try row.decode("restricted"), why: why, reason: nil, from: nil))
            }
            return items
        }
    }

    /// How many items the person may see in each state still being worked on (the queue's tabs).
    func workingCounts(for user: AuthenticatedUser) async throws -> [ArticleState: Int] {
        try await database.withConnection { connection in
            var counts = [ArticleState: Int]()
            for row in try connection.query(
                """
                SELECT state, count(*) AS n FROM editorial.articles
                WHERE state IN ('received', 'in_editing', 'pending_approval', 'approved', 'returned') AND ($1 OR NOT restricted)
                GROUP BY state
                """, [Access.isBoard(user)]
            ).rows {
                if let state = ArticleState(rawValue: try row.decode("state")) { counts[state] = try row.decode("n") }
            }
            return counts
        }
    }

    func quarantine(unit: String?, limit: Int = 200, offset: Int = 0) async throws -> [QueueItem] {
        try await database.withConnection { connection in
            try connection.query(
                """
                SELECT q.id, q.subject, q.reason, q.from_address, q.unit_code, coalesce(un.name, '') AS unit_name, q.received_at
                FROM editorial.quarantine q LEFT JOIN core.units un ON un.code = q.unit_code
                WHERE q.status = 'held' AND ($1::text IS NULL OR q.unit_code = $1)
                ORDER BY q.received_at DESC, q.id LIMIT $2 OFFSET $3
                """, [unit, limit, offset]
            ).rows.map { row in
                QueueItem(
                    id: try row.decode("id", as: UUID.self).uuidString.lowercased(), title: try row.decode("subject"), state: "quarantined",
                    stateLabel: "Thư bị giữ lại", unit: try row.decodeIfPresent("unit_code") ?? "", unitName: try row.decode("unit_name"),
                    kind: "email", receivedAt: try row.decode("received_at"), assignedTo: nil, lockedBy: nil, restricted: false, why: nil,
                    reason: try row.decode("reason"), from: try row.decodeIfPresent("from_address"))
            }
        }
    }

    func view(_ id: UUID, for user: AuthenticatedUser, correlationId: String) async throws -> ArticleView {
        try await database.withTransaction { connection in
            try Self.view(id, for: user, correlationId: correlationId, on: connection)
        }
    }

    /// The item as `user` may see it, read in the caller's transaction.
    /// `article` (as the caller last wrote it), `board`, `contributors` and the current revision,
    /// when the caller has just read them in this transaction, are not read again. `signedNow` is
    /// the signature the caller has just made in this transaction, over the revision it holds
    /// locked: it is not verified again. What is left to read goes in one round trip, with any
    /// statements the caller sent before.
    static func view(
        _ id: UUID, for user: AuthenticatedUser, correlationId: String, article knownArticle: ArticleRecord? = nil,
        board known: BoardState? = nil, contributors: Set<UUID>? = nil, current: RevisionRecord? = nil, signedNow: String? = nil,
        on connection: Connection
    ) throws -> ArticleView {
        var reads: [(sql: String, parameters: [any SQLParameter])] = [
            ("SELECT number, created_by_label, created_at, change_note, content_sha256 FROM editorial.revisions WHERE article_id = $1 ORDER BY number", [id]),
            (ArticleRecords.decisionsSQL, [id]),
            // The logins of whoever the item is assigned to and whoever holds its lock.
            ("""
             SELECT u.id, u.login FROM core.users u JOIN editorial.articles a ON u.id IN (a.assigned_to, a.locked_by) WHERE a.id = $1
             """, [id]),
        ]
        let knownCurrent = current.flatMap { $0.number == knownArticle?.currentRevision ? $0 : nil }
        if knownArticle == nil || knownCurrent == nil { reads += ArticleRecords.lockedWithCurrentRevision(id, lock: false) }
        if known == nil { reads += BoardState.statements }
        var answers = try connection.queries(reads)[...]
        let summaryRows = answers.removeFirst().rows, decisionRows = answers.removeFirst(), loginRows = answers.removeFirst().rows
        let article: ArticleRecord, revision: RevisionRecord, writers: QueryResult?
        if let knownArticle, let knownCurrent {
            (article, revision, writers) = (knownArticle, knownCurrent, nil)
        } else {
            guard let row = answers.removeFirst().rows.first else { throw Access.notFound(id) }
            article = try knownArticle ?? ArticleRecords.decodeArticle(row)
            guard let current = answers.removeFirst().rows.first else { throw Access.notFound(id) }
            revision = try ArticleRecords.decodeRevision(current)
            writers = answers.removeFirst()
        }
        try Access.ensureCanSee(article, user)
        let summaries = try summaryRows.map { row in
            ArticleView.RevisionSummary(
                number: try row.decode("number"), createdBy: try row.decode("created_by_label"), createdAt: try row.decode("created_at"),
                changeNote: try row.decodeIfPresent("change_note"), contentSHA256: try row.decode("content_sha256"))
        }
        let decisions = try ArticleRecords.decisions(decisionRows)
        var logins = [UUID: String]()
        for row in loginRows { logins[try row.decode("id")] = try row.decode("login") }
        var approval: ArticleView.Approval?
        if let decision = decisions.last(where: { $0.action == "approve" }), let hash = decision.contentSHA256,
           let signature = decision.signature, let key = decision.keyId {
            let verified = try signature == signedNow
                || Self.verifies(id, unit: article.unitCode, revision: decision.revision, hash: hash, signature: signature, keyId: key, on: connection)
            approval = ArticleView.Approval(
                revision: decision.revision, contentSHA256: hash, signature: signature, keyId: key, approver: decision.actorName,
                rule: decision.rule, delegationId: decision.delegationId, verified: verified)
        }
        let board = try known ?? BoardState.decode(answers)
        let subject = ApprovalSubject(
            submittingUnit: article.unitCode, kind: ContentKind(rawValue: revision.kind) ?? .news,
            authors: try contributors ?? writers.map { try ArticleRecords.contributors(article, current: revision, writers: $0) }
                ?? ArticleRecords.contributors(article, current: revision, on: connection))
        let decided = board.authority(of: user.id, for: subject, on: LocalDate.of(Date()))
        let authority = try? decided.get()
        var whyNot: String?
        if article.state == .pendingApproval, Access.isBoard(user), case .failure(let refusal) = decided { whyNot = refusal.code }
        if article.restricted {
            // Every look at a restricted item is on the record.
            try AuditLog.append(
                service: "approval", actor: user.login, action: "article.viewed_restricted", subject: id.uuidString.lowercased(),
                correlationId: correlationId, on: connection)
        }
        return ArticleView(
            id: id.uuidString.lowercased(), state: article.state.rawValue, stateLabel: article.state.vietnamese, unit: article.unitCode,
            kind: revision.kind, restricted: article.restricted, receivedAt: article.receivedAt,
            assignedTo: article.assignedTo.flatMap { logins[$0] }, lockedBy: article.activeLock().flatMap { logins[$0] },
            lockedUntil: article.activeLock() == nil ? nil : article.lockExpiresAt, revision: revision, revisions: summaries,
            decisions: decisions, prescreen: article.prescreen, flags: article.flags, approval: approval, publishedUrl: article.publishedUrl,
            publishedRevision: article.publishedRevision,
            allowedActions: Self.allowedActions(article, user: user, authority: authority, board: board),
            why: article.state == .pendingApproval ? authority?.explanation : nil, whyNot: whyNot)
    }

    /// Recomputes the approved revision's hash from the stored rows and checks the signature.
    static func verifies(
        _ id: UUID, unit: String, revision number: Int, hash: String, signature: String, keyId: String, on connection: Connection
    ) throws -> Bool {
        guard let revision = try ArticleRecords.revision(id, number, on: connection),
              let publicKey = try connection.query("SELECT public_key FROM core.signing_keys WHERE id = $1", [keyId]).rows.first?
                .decode("public_key", as: ByteA.self).bytes
        else { return false }
        let content = ArticleRecords.canonical(articleId: id, unit: unit, revision: revision)
        let event = ArticleApproved(
            articleId: id, submissionId: nil, content: content, contentSHA256: hash, signature: signature, keyId: keyId,
            approverId: UUID(), rule: .boardHead, delegationId: nil)
        return (try? ApprovalSignature.verify(event, publicKey: publicKey)) != nil
    }

    /// The actions the caller can take now, as the API names them.
    static func allowedActions(_ article: ArticleRecord, user: AuthenticatedUser, authority: ApprovalAuthority?, board: BoardState) -> [String] {
        var actions = [String]()
        switch article.state {
        case .received, .inEditing:
            if Access.isEditor(user) { actions += ["edit", "submit-for-approval", "return"] }
        case .pendingApproval:
            if authority != nil { actions += ["approve", "reject", "return"] }
        case .published:
            if Access.isEditor(user) { actions.append("edit") }
            if user.has(.boardHead), board.isHead(user.id, on: LocalDate.of(Date())) { actions.append("take-down") }
        case .returned:
            if Access.isEditor(user) { actions.append("edit") }
        default:
            break
        }
        if [.received, .inEditing, .pendingApproval, .returned].contains(article.state), Access.isSubmitter(user), user.unitCode == article.unitCode {
            actions.append("withdraw")
        }
        if article.state == .returned, Access.isSubmitter(user), user.unitCode == article.unitCode { actions.append("resubmit") }
        return actions
    }

    /// The line changes between two revisions' bodies, and the title when it changed.
    func diff(_ id: UUID, from: Int, to: Int, for user: AuthenticatedUser) async throws -> RevisionDiff {
        try await database.withConnection { connection in
            guard let article = try ArticleRecords.article(id, on: connection) else { throw Access.notFound(id) }
            try Access.ensureCanSee(article, user)
            // Revision numbers are checked before they reach an integer column: 2^63 is no revision.
            let known = 1...article.currentRevision
            guard known.contains(from), known.contains(to),
                  let old = try ArticleRecords.revision(id, from, on: connection), let new = try ArticleRecords.revision(id, to, on: connection) else {
                throw APIError.notFound("revision_not_found", "Item \(id.uuidString.lowercased()) has revisions 1 to \(article.currentRevision).")
            }
            return RevisionDiff(old: old, new: new)
        }
    }
}
