import Foundation
import Mail
import Models
import ServiceKit
import Store

/// What a person asks to do to an item, from `POST /api/v1/articles/{id}/{action}`.
enum DecisionRequest: Sendable {
    case submitForApproval
    case approve(revision: Int)
    case reject(reason: String, note: String)
    case returnForRevision(note: String)
    case takeDown(reason: String, publicExplanation: String)
    case withdraw(note: String?)
    case resubmit

    var code: String {
        switch self {
        case .submitForApproval: "submit-for-approval"
        case .approve: "approve"
        case .reject: "reject"
        case .returnForRevision: "return"
        case .takeDown: "take-down"
        case .withdraw: "withdraw"
        case .resubmit: "resubmit"
        }
    }
}

/// The editorial flow enforced: the state machine of `Models.ArticleWorkflow`, who may act
/// (R-1.1, R-1.2, R-1.4), signed approvals, and for each decision the decision row, the event,
/// the mail to the submitter and the audit line in one transaction.
struct EditorialActions: Sendable {
    let database: DatabasePool
    let outbox: Outbox
    let mail: MailOutbox
    let keys: SigningKeys

    /// Decides, and returns the item as the decider now sees it (read in the same transaction).
    @discardableResult
    func perform(_ request: DecisionRequest, on id: UUID, by user: AuthenticatedUser, correlationId: String) async throws -> ArticleView? {
        let outbox = self.outbox, mail = self.mail, keys = self.keys
        return try await database.withTransaction { connection -> ArticleView? in
            // The item under lock, its current revision, its writers and the Board: one round trip.
            var answers = try connection.queries(ArticleRecords.lockedWithCurrentRevision(id) + BoardState.statements)[...]
            guard let articleRow = answers.removeFirst().rows.first else { throw Access.notFound(id) }
            let article = try ArticleRecords.decodeArticle(articleRow)
            try Access.ensureCanSee(article, user)
            guard let revisionRow = answers.removeFirst().rows.first else { throw Access.notFound(id) }
            let revision = try ArticleRecords.decodeRevision(revisionRow)
            let writers = answers.removeFirst()
            let today = LocalDate.of(Date())
            let board = try BoardState.decode(answers)
            let subject = ApprovalSubject(
                submittingUnit: article.unitCode, kind: ContentKind(rawValue: revision.kind) ?? .news,
                authors: try ArticleRecords.contributors(article, current: revision, writers: writers))
            var transition = Transition(article: article, revision: revision, actor: user, correlationId: correlationId)
            // A version is live and this is a correction of it (R-1.4 and the refusal rules change accordingly).
            transition.correcting = article.publishedRevision != nil && article.state != .published

            switch request {
            case .submitForApproval:
                try Access.requireEditor(user)
                if article.state == .received { try transition.move(.startEditing) }
                try Self.requireClassification(revision)
                try transition.move(.submitForApproval)
                let approvers = board.approvers(for: subject, on: today)
                transition.extra["approvers"] = .array(approvers.map { .string($0.approver.uuidString.lowercased()) })
            case .approve(let number):
                let authority = try Self.authority(user, subject, board, today)
                guard number == article.currentRevision else {
                    throw APIError.conflict("stale_revision", "Revision \(number) is not the current one (\(article.currentRevision)); review the current revision and approve it.")
                }
                try transition.move(.approve)
                let content = ArticleRecords.canonical(articleId: id, unit: article.unitCode, revision: revision)
                let (keyId, key) = try keys.key(for: user.id, on: connection)
                let signed = try ApprovalSignature.sign(content, with: key)
                transition.authority = authority
                transition.signature = (signed.sha256, signed.signature, keyId)
                transition.approved = ArticleApproved(
                    articleId: id, submissionId: article.submissionId, content: content, contentSHA256: signed.sha256,
                    signature: signed.signature, keyId: keyId, approverId: user.id, rule: authority.rule, delegationId: authority.delegation)
            case .reject(let reasonCode, let note):
                transition.authority = try Self.authority(user, subject, board, today)
                guard let reason = RefusalReason(rawValue: reasonCode) else {
                    throw APIError(.unprocessableContent, code: "invalid_refusal_reason",
                                   message: "reason must be one of the five of Art. 9.5: \(RefusalReason.allCases.map(\.rawValue).joined(separator: ", ")).")
                }
                try Self.requireText(note, "note", "Explain the refusal in a note for the submitter.")
                try transition.move(.reject(reason))
                transition.note = note
                transition.refusal = reason
                // A refused correction leaves the published version; the editor, not the unit, is told (in the item).
                if !transition.correcting, let address = try Self.submitterAddress(article, on: connection) {
                    try mail.enqueue(Notices.rejected(to: address, title: revision.title, reason: reason, note: note, articleId: id), on: connection)
                }
            case .returnForRevision(let note):
                try Self.requireText(note, "note", "Say what should be revised.")
                if article.state == .pendingApproval {
                    transition.authority = try Self.authority(user, subject, board, today)
                } else {
                    try Access.requireEditor(user)
                }
                try transition.move(.returnForRevision)
                transition.note = note
            case .takeDown(let reason, let explanation):
                guard user.has(.boardHead), board.isHead(user.id, on: today) else {
                    throw APIError.forbidden("head_only", "Only the Head of the Editorial Board takes information down (Art. 9.4, R-1.4).")
                }
                try Self.requireText(reason, "reason", "Give the reason for the takedown.")
                try Self.requireText(explanation, "publicExplanation", "Give the explanation the public will read in place of the page.")
                try transition.move(.takeDown)
                transition.note = reason
                transition.publicExplanation = explanation
            case .withdraw(let note):
                try Access.requireSubmittingUnit(article, user)
                try transition.move(.withdraw)
                transition.note = note
            case .resubmit:
                try Access.requireSubmittingUnit(article, user)
                try transition.move(.resubmit)
            }
            let decided = try transition.commit(on: connection, outbox: outbox)
            // The unit's users no longer see an item they withdrew through the editorial view.
            return Access.isEditor(user) || Access.isBoard(user)
                ? try EditorialQueries.view(
                    id, for: user, correlationId: correlationId, article: decided, board: board, contributors: subject.authors,
                    current: revision, signedNow: transition.signature?.signature, on: connection) : nil
        }
    }

    static func authority(_ user: AuthenticatedUser, _ subject: ApprovalSubject, _ board: BoardState, _ date: LocalDate) throws -> ApprovalAuthority {
        guard user.has(.boardHead) || user.has(.boardDeputy) || user.has(.boardMember) else {
            throw APIError.forbidden("not_an_approver", "Only members of the Editorial Board approve or refuse items.")
        }
        switch board.authority(of: user.id, for: subject, on: date) {
        case .success(let authority):
            return authority
        case .failure(.ownWork):
            throw APIError.forbidden("own_work", "You submitted, wrote or edited this item; someone else must decide on it.")
        case .failure(.reservedForUnitLeader):
            throw APIError.forbidden(
                "reserved_for_unit_leader", "This item is for the Board member who leads \(subject.submittingUnit) to decide (Art. 13.1.a, R-1.1).")
        case .failure(.noAuthority):
            throw APIError.forbidden(
                "no_approval_authority", "You hold no delegation from the Head valid today for this kind of item (R-1.2).")
        }
    }

    static func requireClassification(_ revision: RevisionRecord) throws {
        var missing = [String]()
        if revision.classification.genre == nil { missing.append("genre") }
        if revision.classification.coefficientHundredths == nil { missing.append("coefficient") }
        if revision.classification.authors.isEmpty { missing.append("authors") }
        if revision.classification.targetSites.isEmpty { missing.append("targetSites") }
        guard missing.isEmpty else {
            throw APIError(.unprocessableContent, code: "classification_incomplete",
                           message: "Classify the item before sending it for approval; missing: \(missing.joined(separator: ", ")).")
        }
    }

    static func requireText(_ text: String?, _ field: String, _ hint: String) throws {
        guard let text, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw APIError(.unprocessableContent, code: "\(field)_required", message: hint)
        }
    }

    /// Where the submitter reads mail: the address that sent it, or the submitting user's.
    static func submitterAddress(_ article: ArticleRecord, on connection: Connection) throws -> String? {
        if let address = article.senderAddress { return address }
        guard let user = article.submittedBy else { return nil }
        return try connection.query("SELECT email FROM core.users WHERE id = $1", [user]).rows.first?.decode("email")
    }
}

/// One change of state, gathered while checking and written at the end.
struct Transition {
    let article: ArticleRecord
    let revision: RevisionRecord
    let actor: AuthenticatedUser
    let correlationId: String
    var steps: [(ArticleAction, ArticleState, ArticleState)] = []
    var note: String?
    var refusal: RefusalReason?
    var publicExplanation: String?
    var authority: ApprovalAuthority?
    var signature: (sha256: String, signature: String, keyId: String)?
    var approved: ArticleApproved?
    var extra: [String: JSONValue] = [:]
    var correcting = false

    init(article: ArticleRecord, revision: RevisionRecord, actor: AuthenticatedUser, correlationId: String) {
        self.article = article
        self.revision = revision
        self.actor = actor
        self.correlationId = correlationId
    }

    var state: ArticleState { steps.last?.2 ?? article.state }

    mutating func move(_ action: ArticleAction) throws {
        do {
            let next = try ArticleWorkflow.next(from: state, on: action, correcting: correcting)
            steps.append((action, state, next))
        } catch let error as InvalidTransition {
            throw APIError.conflict("invalid_transition", "Cannot \(error.action.replacingOccurrences(of: "_", with: " ")) an item that is \(ArticleState(rawValue: error.from.rawValue)?.vietnamese ?? error.from.rawValue) (\(error.from.rawValue)).")
        }
    }

    static func eventType(_ action: ArticleAction) -> String {
        switch action {
        case .startEditing: EventType.articleEditingStarted
        case .submitForApproval: EventType.articleSubmitted
        case .approve: EventType.articleApproved
        case .reject: EventType.articleRejected
        case .returnForRevision: EventType.articleReturned
        case .resubmit: EventType.articleResubmitted
        case .publish: EventType.articlePublished
        case .takeDown: EventType.articleTakenDown
        case .withdraw: EventType.articleWithdrawn
        case .startCorrection: EventType.articleEditingStarted
        }
    }

    /// Returns the item as the update left it.
    func commit(on connection: Connection, outbox: Outbox) throws -> ArticleRecord {
        let final = state
        // The item's new state and the numbers of its events in one update: each event takes the
        // next number of the item's editorial sequence, and the row is locked, so the numbers
        // follow the order of the decisions. One update, not two: every update of the item writes
        // a new version of the row into each of its indexes, the title's search among them.
        let updated = try connection.query(
            """
            UPDATE editorial.articles SET event_seq = event_seq + $2, state = $3, updated_at = now(),
                approved_revision = CASE WHEN $3 = 'approved' THEN $4 ELSE approved_revision END,
                assigned_to = CASE WHEN $3 = 'in_editing' AND assigned_to IS NULL THEN $5 ELSE assigned_to END,
                locked_by = NULL, lock_expires_at = NULL
            WHERE id = $1 RETURNING event_seq, \(ArticleRecords.articleColumns)
            """, [article.id, steps.count, final.rawValue, revision.number, actor.id]).one()
        let last: Int64 = try updated.decode("event_seq")
        let firstSequence = last - Int64(steps.count) + 1
        for (index, (action, from, to)) in steps.enumerated() {
            let sequence = firstSequence + Int64(index)
            let isLast = index == steps.count - 1
            try connection.send(
                """
                INSERT INTO editorial.decisions (id, article_id, revision, action, from_state, to_state, actor, rule, delegation_id,
                    refusal_reason, note, public_explanation, content_sha256, signature, key_id)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
                """,
                [UUID(), article.id, revision.number, action.code, from.rawValue, to.rawValue, actor.id,
                 isLast ? authority?.rule.rawValue : nil, isLast ? authority?.delegation : nil, isLast ? refusal?.rawValue : nil,
                 isLast ? note : nil, isLast ? publicExplanation : nil,
                 isLast ? (signature?.sha256 ?? revision.contentSHA256) : revision.contentSHA256,
                 isLast ? signature?.signature : nil, isLast ? signature?.keyId : nil])
            let envelope: EventEnvelope
            if isLast, var approved {
                approved.sequence = sequence
                envelope = try EventEnvelope(approved, correlationId: correlationId, producer: "approval")
            } else {
                var status = ArticleStatusPayload(
                    articleId: article.id, submissionId: article.submissionId, state: to, note: isLast ? note : nil,
                    refusalReason: isLast ? refusal : nil)
                status.unitCode = article.unitCode
                status.sequence = sequence
                if isLast { status.revision = revision.number }
                if isLast, !extra.isEmpty || publicExplanation != nil,
                   case .object(var fields) = try EventCoding.decoder.decode(JSONValue.self, from: EventCoding.encoder.encode(status)) {
                    fields.merge(extra) { $1 }
                    if let publicExplanation { fields["publicExplanation"] = .string(publicExplanation) }
                    envelope = EventEnvelope(
                        type: Self.eventType(action), correlationId: correlationId, producer: "approval", payload: .object(fields))
                } else {
                    envelope = EventEnvelope(type: Self.eventType(action), correlationId: correlationId, producer: "approval", encoding: status)
                }
            }
            try outbox.enqueue(envelope, on: connection)
        }
        // The decisions, events and the audit line wait for no answer: they go to the server with
        // the next read or with COMMIT, in one round trip.
        try AuditLog.append(
            service: "approval", actor: actor.login, action: "article.\(steps.last?.0.code ?? "unknown")", subject: article.id.uuidString.lowercased(),
            correlationId: correlationId, detail: ["from": article.state.rawValue, "to": final.rawValue, "revision": String(revision.number)],
            on: connection)
        return try ArticleRecords.decodeArticle(updated)
    }
}
