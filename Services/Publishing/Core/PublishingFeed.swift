import Foundation
import Models
import ServiceKit
import Store

/// Puts approved information on the sites and takes it down, from `publishing.events`. An
/// approval is published only if its content still hashes to what the approver signed and the
/// signature verifies with the approver's key in `core.signing_keys`; anything else is refused
/// and dead-lettered with the reason. The same event twice writes the same bytes.
public struct PublishingFeed: Sendable {
    let pages: ArticlePages

    public init(pages: ArticlePages) {
        self.pages = pages
    }

    public func handle(_ envelope: EventEnvelope, _ context: EventContext) throws {
        try handle([envelope], context)
    }

    /// A delivered batch, in its one transaction: the pages of all its items are written without a
    /// flush each and made durable together before the commit. Approvals that follow one another
    /// are verified first, then their editorial claims go to the database in one round trip and
    /// their rows in another, instead of several round trips an item; any other event ends such a
    /// run, so the events of one item still apply in the order they came.
    public func handle(_ envelopes: [EventEnvelope], _ context: EventContext) throws {
        let files = pages.files.batch()
        var sites = SitesOfBatch()
        var approvals = [VerifiedApproval]()
        for envelope in envelopes {
            let about = context.about(envelope)
            if envelope.type == EventType.articleApproved {
                approvals.append(try verify(envelope, about, sites: &sites))
                continue
            }
            try publish(approvals, files: files)
            approvals = []
            try handle(envelope, about, files: files)
        }
        try publish(approvals, files: files)
        try files.sync()
    }

    /// An event other than an approval (approvals go through `verify` and `publish` above).
    func handle(_ envelope: EventEnvelope, _ context: EventContext, files: SiteFiles.Batch) throws {
        switch envelope.type {
        case EventType.articleTakenDown: try takeDown(envelope, context, files: files)
        case EventType.answerPublished:
            let answer: AnswerPublished
            do { answer = try envelope.decode(AnswerPublished.self) } catch { throw PermanentFailure("answer.published unreadable: \(error)") }
            try AnswerPages(renderer: pages.renderer, files: pages.files)
                .publish(answer, on: context.connection)
        default: return
        }
    }

    /// An approval whose signature verified with the approver's key, with where it goes.
    struct VerifiedApproval {
        var envelope: EventEnvelope
        var context: EventContext
        var approval: ArticleApproved
        /// Empty when none of its target sites is registered: refused once it is known to be the item's newest event.
        var sites: [SiteRegistry.Site]
        var domains: [String]
        var searchText: String
    }

    func verify(_ envelope: EventEnvelope, _ context: EventContext, sites known: inout SitesOfBatch) throws -> VerifiedApproval {
        let connection = context.connection
        let approval: ArticleApproved
        do {
            approval = try envelope.decode(ArticleApproved.self)
        } catch {
            throw PermanentFailure("article.approved without a readable approval: \(error)")
        }
        guard let key = try Self.publicKey(approval.keyId, of: approval.approverId, on: connection) else {
            throw PermanentFailure("refused to publish \(approval.articleId): key \(approval.keyId) is not the approver's")
        }
        do {
            try ApprovalSignature.verify(approval, publicKey: key)
        } catch {
            context.logger.error(
                "publication refused: the approval does not verify",
                metadata: ["article.id": .string(approval.articleId.uuidString.lowercased()), "problem": .string("\(error)")])
            throw PermanentFailure("refused to publish \(approval.articleId): \(error)")
        }
        let content = approval.content
        var (sites, domains, allRegistered) = try known.sites(for: content, on: connection)
        if !allRegistered {
            // A site the registry does not have yet (a unit added since): bring the registry up to date once.
            try SiteRegistry.sync(on: connection)
            known = SitesOfBatch()
            (sites, domains, allRegistered) = try known.sites(for: content, on: connection)
        }
        let unitName = try ArticlePages.unitName(content.unitCode, on: connection)
        return VerifiedApproval(
            envelope: envelope, context: context, approval: approval, sites: sites, domains: domains,
            searchText: PublishedArticle.searchText(content, unitName: unitName))
    }

    /// Stores verified approvals that are their item's newest event and publishes their pages.
    func publish(_ approvals: [VerifiedApproval], files: SiteFiles.Batch) throws {
        guard let connection = approvals.first?.context.connection else { return }
        let claims = try connection.queries(approvals.map {
            EditorialOrder.statement($0.approval.articleId, sequence: $0.approval.sequence ?? 0, revision: $0.approval.content.revision, step: .approval)
        })
        var newest = [VerifiedApproval]()
        for (item, claim) in zip(approvals, claims) {
            guard claim.rows.count == 1 else {
                item.context.logger.notice(
                    "an older approval arrived after a newer event; ignored",
                    metadata: ["article.id": .string(item.approval.articleId.uuidString.lowercased()),
                               "revision": .stringConvertible(item.approval.content.revision),
                               "sequence": .stringConvertible(item.approval.sequence ?? 0)])
                continue
            }
            guard !item.sites.isEmpty else { throw PermanentFailure("none of the target sites \(item.domains) is a registered site") }
            newest.append(item)
        }
        let now = Date()
        let rows = try connection.queries(newest.map {
            try PublishedArticle.storing($0.approval, domains: $0.sites.map(\.domain), searchText: $0.searchText, now: now)
        })
        for (item, row) in zip(newest, rows) {
            let article = try PublishedArticle.stored(item.approval, domains: item.sites.map(\.domain), row: try row.one())
            guard article.state == .published else {
                item.context.logger.info(
                    "article scheduled", metadata: ["article.id": .string(article.id.uuidString.lowercased()),
                                                    "publish.at": .string(Timestamp.format(article.publishedAt))])
                continue
            }
            try complete(
                article, registered: item.sites, files: files, correlationId: item.envelope.correlationId,
                causationId: item.envelope.id.uuidString.lowercased(), item.context)
        }
    }

    /// Approvers' public keys never change under their id: kept five minutes.
    static let keys = ExpiringCache<String, [UInt8]>(lifetime: .seconds(300))

    static func publicKey(_ id: String, of user: UUID, on connection: Connection) throws -> [UInt8]? {
        let cacheKey = "\(id)/\(user.uuidString)"
        if let key = keys.value(for: cacheKey) { return key }
        guard let key = try connection.query(
            "SELECT public_key FROM core.signing_keys WHERE id = $1 AND user_id = $2", [id, user]
        ).rows.first?.decode("public_key", as: ByteA.self).bytes else { return nil }
        keys.store(key, for: cacheKey)
        return key
    }

    /// Writes the pages of a stored item and announces `article.published` with its URLs. A past
    /// failure of this item is cleared in the same transaction. `registered`: its sites, when just
    /// read from the registry.
    func complete(
        _ article: PublishedArticle, registered: [SiteRegistry.Site]? = nil, files: SiteFiles.Batch? = nil, correlationId: String,
        causationId: String?, _ context: EventContext
    ) throws {
        do {
            try pages.write(article, registered: registered, batch: files, on: context.connection)
        } catch let missing as MissingAttachment {
            throw PermanentFailure("refused to publish \(article.id): \(missing)")
        }
        // Nothing waits for this answer: it goes with the next statement, or with the COMMIT.
        try context.connection.send("DELETE FROM publishing.failures WHERE article_id = $1", [article.id])
        var status = ArticleStatusPayload(
            articleId: article.id, submissionId: article.submissionId, state: .published, url: "https://\(article.domains[0])\(article.path)")
        status.urls = article.domains.map { "https://\($0)\(article.path)" }
        status.publishedAt = article.publishedAt
        status.unitCode = article.content.unitCode
        try context.outbox.enqueue(EventEnvelope(
            type: EventType.articlePublished, correlationId: correlationId, causationId: causationId, producer: "publishing",
            encoding: status), on: context.connection)
        context.logger.info(
            "article published",
            metadata: ["article.id": .string(article.id.uuidString.lowercased()), "sites": .string(article.domains.joined(separator: ","))])
    }

    func takeDown(_ envelope: EventEnvelope, _ context: EventContext, files: SiteFiles.Batch) throws {
        let status = try envelope.payload(as: ArticleStatusPayload.self)
        var explanation = ArticlePages.defaultExplanation
        if case .object(let fields) = envelope.payload, case .string(let text)? = fields["publicExplanation"], !text.isEmpty { explanation = text }
        // A takedown without a revision (written before events carried one) ranks after every
        // approval of the same sequence.
        guard try EditorialOrder.claim(
            status.articleId, sequence: status.sequence ?? 0, revision: status.revision ?? Int(Int32.max), step: .takedown,
            on: context.connection)
        else {
            context.logger.notice(
                "an older takedown arrived after a newer approval; ignored",
                metadata: ["article.id": .string(status.articleId.uuidString.lowercased()), "sequence": .stringConvertible(status.sequence ?? 0)])
            return
        }
        // The text stays archived in publishing.articles; the pages answer 410 with the explanation.
        guard try context.connection.query(
            "UPDATE publishing.articles SET state = 'taken_down', public_explanation = $2, updated_at = now() WHERE id = $1 RETURNING id",
            [status.articleId, explanation]
        ).rows.first != nil, let article = try PublishedArticle.load(status.articleId, on: context.connection) else { return }
        try pages.write(article, batch: files, on: context.connection)
        try context.connection.query("DELETE FROM publishing.failures WHERE article_id = $1", [article.id])
    }

    /// The item an event is about: the consumer applies different items' events in transactions
    /// side by side, and one item's in order (`EventLanes`). The editorial order would settle two
    /// events of one item that met in two transactions; in one lane they never meet.
    public static func subject(_ envelope: EventEnvelope) -> String? {
        (try? envelope.payload(as: Subject.self))?.articleId
    }

    private struct Subject: Decodable {
        var articleId: String?
    }

    /// Records a failed publication where operators see it (`GET /api/v1/publications/failures`),
    /// in its own transaction after the handler's was rolled back. Cleared when the item publishes.
    public static func recordFailure(_ envelope: EventEnvelope, _ error: any Error, permanent: Bool, on connection: Connection) throws {
        guard [EventType.articleApproved, EventType.articleTakenDown].contains(envelope.type),
              case .object(let fields) = envelope.payload, case .string(let text)? = fields["articleId"], let id = UUID(uuidString: text)
        else { return }
        try connection.query(
            """
            INSERT INTO publishing.failures (article_id, event_id, event_type, reason, permanent) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (article_id) DO UPDATE SET event_id = EXCLUDED.event_id, event_type = EXCLUDED.event_type,
                reason = EXCLUDED.reason, permanent = EXCLUDED.permanent, attempts = publishing.failures.attempts + 1,
                last_failed_at = now()
            """, [id, envelope.id, envelope.type, "\(error)", permanent])
    }
}

/// The site registry as one batch reads it: each set of sites and each unit's own site asked once.
struct SitesOfBatch {
    private var sites: [[String]: [SiteRegistry.Site]] = [:]
    private var ownSites: [String: String?] = [:]

    /// The registered sites an item goes to: its target sites (the portal when none) and, when the
    /// unit also publishes it, the unit's own; `complete` when the registry had them all.
    mutating func sites(for content: CanonicalRevision, on connection: Connection) throws -> ([SiteRegistry.Site], [String], Bool) {
        var domains = content.classification.targetSites
        var complete = true
        if content.classification.alsoOnOwnSite {
            let own: String?
            if let known = ownSites[content.unitCode] {
                own = known
            } else {
                own = try SiteRegistry.domain(ofUnit: content.unitCode, on: connection)
                ownSites[content.unitCode] = own
            }
            if let own { domains.append(own) } else { complete = false }
        }
        if domains.isEmpty { domains = [SiteDomain.portal] }
        let wanted = Set(domains).sorted()
        if sites[wanted] == nil { sites[wanted] = try SiteRegistry.sites(wanted, on: connection) }
        let found = sites[wanted] ?? []
        return (found, wanted, complete && found.count == wanted.count)
    }
}
