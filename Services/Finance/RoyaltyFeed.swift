import Foundation
import Models
import ServiceKit
import Store

/// Posts the royalty ledger from events: `article.approved` keeps what the approver signed;
/// `article.published` posts each author's royalty at the base salary in force on the publication
/// date, and the reviewer's remuneration; a correction that changes the classification, or a
/// take-down, posts the difference as an adjustment. Entries go to the publication's month, or to
/// the next month whose report is still open when that one was submitted. The ledger is never edited.
struct RoyaltyFeed: Sendable {
    func handle(_ envelope: EventEnvelope, _ context: EventContext) throws {
        try ActivityReports.record(envelope, on: context.connection)
        switch envelope.type {
        case EventType.articleApproved: try keep(envelope, context)
        case EventType.articlePublished: try published(envelope, context)
        case EventType.articleTakenDown: try takenDown(envelope, context)
        default: return
        }
    }

    func keep(_ envelope: EventEnvelope, _ context: EventContext) throws {
        let approval = try envelope.decode(ArticleApproved.self)
        let content = approval.content
        try context.connection.query(
            """
            INSERT INTO finance.approved_items (article_id, unit_code, title, revision, classification, approver_id)
            VALUES ($1, $2, $3, $4, $5::jsonb, $6)
            ON CONFLICT (article_id) DO UPDATE SET title = EXCLUDED.title, classification = EXCLUDED.classification,
                approver_id = EXCLUDED.approver_id, revision = EXCLUDED.revision
            WHERE finance.approved_items.revision <= EXCLUDED.revision
            """,
            [approval.articleId, content.unitCode, content.title, content.revision,
             String(decoding: try EventCoding.encoder.encode(content.classification), as: UTF8.self), approval.approverId])
    }

    struct Item {
        var unitCode: String
        var title: String
        var classification: Classification
        var approverId: UUID
        var publishedOn: LocalDate?
        var state: String
    }

    static func item(_ id: UUID, on connection: Connection) throws -> Item? {
        guard let row = try connection.query(
            """
            SELECT unit_code, title, classification::text AS classification, approver_id, published_on::text AS published_on, state
            FROM finance.approved_items WHERE article_id = $1 FOR UPDATE
            """, [id]
        ).rows.first else { return nil }
        return Item(
            unitCode: try row.decode("unit_code"), title: try row.decode("title"),
            classification: try EventCoding.decoder.decode(Classification.self, from: Data(try row.decode("classification", as: String.self).utf8)),
            approverId: try row.decode("approver_id"), publishedOn: try row.decodeIfPresent("published_on", as: String.self).flatMap(LocalDate.init(iso:)),
            state: try row.decode("state"))
    }

    func published(_ envelope: EventEnvelope, _ context: EventContext) throws {
        let status = try envelope.payload(as: ArticleStatusPayload.self)
        let connection = context.connection
        guard var item = try Self.item(status.articleId, on: connection) else {
            // The approval comes first on this queue; if it has not arrived yet, try again later.
            throw NotYetApproved(articleId: status.articleId)
        }
        let first = item.publishedOn == nil
        let day = item.publishedOn ?? LocalDate.of(status.publishedAt ?? envelope.occurredAt)
        item.publishedOn = day
        try connection.query(
            "UPDATE finance.approved_items SET published_on = $2::date, state = 'published' WHERE article_id = $1",
            [status.articleId, day.description])
        var entries = try Ledger.differences(
            articleId: status.articleId, item: item, target: try Self.authorLines(item, on: connection), first: first,
            kind: first ? "royalty" : "adjustment", reason: first ? "" : "Phân loại lại sau khi đính chính / Reclassified by a correction",
            on: connection)
        if first, let reviewer = try Ledger.reviewer(item: item, on: connection) { entries.append(reviewer) }
        try Ledger.post(entries, articleId: status.articleId, item: item, eventId: envelope.id, on: connection)
    }

    func takenDown(_ envelope: EventEnvelope, _ context: EventContext) throws {
        let status = try envelope.payload(as: ArticleStatusPayload.self)
        guard let item = try Self.item(status.articleId, on: context.connection), item.publishedOn != nil, item.state == "published" else { return }
        try context.connection.query("UPDATE finance.approved_items SET state = 'taken_down' WHERE article_id = $1", [status.articleId])
        let entries = try Ledger.differences(
            articleId: status.articleId, item: item, target: [], first: false, kind: "adjustment", reason: "Gỡ bỏ tin bài / Taken down",
            on: context.connection)
        try Ledger.post(entries, articleId: status.articleId, item: item, eventId: envelope.id, on: context.connection)
    }

    /// Each author's line at the base salary in force on the publication date.
    static func authorLines(_ item: Item, on connection: Connection) throws -> [Ledger.Target] {
        guard let day = item.publishedOn else { return [] }
        let baseSalary = try Reference.baseSalary(on: day, connection)
        let rates = try Reference.surchargeRates(on: day, connection)
        do {
            return try RoyaltyLedger.lines(item.classification, baseSalaryVND: baseSalary, rates: rates).map {
                Ledger.Target(payeeName: $0.authorName, payeeUserId: $0.authorUserId, shareBasisPoints: $0.shareBasisPoints,
                              amountVND: $0.amountVND, baseSalaryVND: baseSalary)
            }
        } catch RoyaltyLedger.Problem.noCoefficient, RoyaltyLedger.Problem.noAuthors {
            // Not a royalty-bearing item (a legal document, a notice): nothing is owed to authors.
            return []
        } catch let problem as RoyaltyLedger.Problem {
            throw PermanentFailure("no royalty for \(item.title): \(problem)")
        }
    }

    struct NotYetApproved: Error, CustomStringConvertible {
        var articleId: UUID
        var description: String { "article.published for \(articleId) before its article.approved" }
    }
}

/// Dated reference data in `core` (R-4.2, R-4.4; remuneration rates; names), read for a given day
/// and kept a minute: a burst of publications reads it once, and a change is seen within a minute.
enum Reference {
    static let amounts = ExpiringCache<String, Int64>(lifetime: .seconds(60))
    static let rates = ExpiringCache<String, [String: SurchargeRate]>(lifetime: .seconds(60))
    static let names = ExpiringCache<UUID, String>(lifetime: .seconds(60))

    static func baseSalary(on day: LocalDate, _ connection: Connection) throws -> Int64 {
        if let amount = amounts.value(for: "base:\(day)") { return amount }
        guard let amount: Int64 = try connection.query(
            """
            SELECT amount_vnd FROM core.base_salary WHERE effective_from <= $1::date AND (effective_to IS NULL OR effective_to >= $1::date)
            ORDER BY effective_from DESC LIMIT 1
            """, [day.description]
        ).rows.first?.decode("amount_vnd") else {
            throw PermanentFailure("no base salary in force on \(day) (core.base_salary)")
        }
        amounts.store(amount, for: "base:\(day)")
        return amount
    }

    static func surchargeRates(on day: LocalDate, _ connection: Connection) throws -> [String: SurchargeRate] {
        if let cached = rates.value(for: day.description) { return cached }
        var found = [String: SurchargeRate]()
        for row in try connection.query(
            """
            SELECT code, min_percent::int AS min, max_percent::int AS max FROM core.royalty_surcharges
            WHERE effective_from <= $1::date AND (effective_to IS NULL OR effective_to >= $1::date)
            """, [day.description]
        ).rows {
            let code: String = try row.decode("code")
            found[code] = SurchargeRate(code: code, minPercent: try row.decode("min"), maxPercent: try row.decode("max"))
        }
        rates.store(found, for: day.description)
        return found
    }

    /// The rate in force that day; 0 when there is none.
    static func remuneration(role: String, basis: String, on day: LocalDate, _ connection: Connection) throws -> Int64 {
        let key = "\(role):\(basis):\(day)"
        if let amount = amounts.value(for: key) { return amount }
        let amount: Int64 = try connection.query(
            """
            SELECT amount_vnd FROM core.remuneration_rates WHERE role = $1 AND basis = $2
              AND effective_from <= $3::date AND (effective_to IS NULL OR effective_to >= $3::date)
            ORDER BY effective_from DESC LIMIT 1
            """, [role, basis, day.description]
        ).rows.first?.decode("amount_vnd") ?? 0
        amounts.store(amount, for: key)
        return amount
    }

    static func fullName(_ user: UUID, _ connection: Connection) throws -> String? {
        if let name = names.value(for: user) { return name }
        guard let name: String = try connection.query("SELECT full_name FROM core.users WHERE id = $1", [user]).rows.first?.decode("full_name")
        else { return nil }
        names.store(name, for: user)
        return name
    }
}
