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
    /// One event is a batch of one.
    func handle(_ envelope: EventEnvelope, _ context: EventContext) throws {
        try handle([envelope], context)
    }

    /// A delivered batch, set-based: the approvals kept in one statement, the publications marked in
    /// one, their ledger rows inserted in one. Approvals first, then publications, then take-downs.
    func handle(_ envelopes: [EventEnvelope], _ context: EventContext) throws {
        let connection = context.connection
        try ActivityReports.record(envelopes, on: connection)
        try keep(try envelopes.filter { $0.type == EventType.articleApproved }.map { try $0.decode(ArticleApproved.self) }, on: connection)
        let publications = try envelopes.filter { $0.type == EventType.articlePublished }.map {
            (event: $0, status: try $0.payload(as: ArticleStatusPayload.self))
        }
        if Set(publications.map(\.status.articleId)).count == publications.count {
            try published(publications, on: connection)
        } else {
            // An item published twice in one batch (a correction right after): in order, one at a time.
            for publication in publications { try published([publication], on: connection) }
        }
        for envelope in envelopes where envelope.type == EventType.articleTakenDown { try takenDown(envelope, on: connection) }
    }

    func keep(_ approvals: [ArticleApproved], on connection: Connection) throws {
        guard !approvals.isEmpty else { return }
        // The latest revision of each item in the batch.
        var latest = [UUID: ArticleApproved]()
        for approval in approvals where (latest[approval.articleId]?.content.revision ?? Int.min) <= approval.content.revision {
            latest[approval.articleId] = approval
        }
        let rows = try latest.values.map { approval -> String in
            let content = approval.content
            return String(decoding: try EventCoding.encoder.encode(KeptApproval(
                articleId: approval.articleId, unitCode: content.unitCode, title: content.title, revision: content.revision,
                classification: content.classification, approverId: approval.approverId)), as: UTF8.self)
        }
        try connection.query(
            """
            INSERT INTO finance.approved_items (article_id, unit_code, title, revision, classification, approver_id)
            SELECT (r->>'articleId')::uuid, r->>'unitCode', r->>'title', (r->>'revision')::int, r->'classification', (r->>'approverId')::uuid
            FROM jsonb_array_elements($1::jsonb) AS r
            ON CONFLICT (article_id) DO UPDATE SET title = EXCLUDED.title, classification = EXCLUDED.classification,
                approver_id = EXCLUDED.approver_id, revision = EXCLUDED.revision
            WHERE finance.approved_items.revision <= EXCLUDED.revision
            """, ["[" + rows.joined(separator: ",") + "]"])
    }

    struct KeptApproval: Codable {
        var articleId: UUID
        var unitCode: String
        var title: String
        var revision: Int
        var classification: Classification
        var approverId: UUID
    }

    struct Item {
        var unitCode: String
        var title: String
        var classification: Classification
        var approverId: UUID
        var publishedOn: LocalDate?
        var state: String
    }

    static func item(_ row: Row) throws -> Item {
        Item(
            unitCode: try row.decode("unit_code"), title: try row.decode("title"),
            classification: try EventCoding.decoder.decode(Classification.self, from: Data(try row.decode("classification", as: String.self).utf8)),
            approverId: try row.decode("approver_id"), publishedOn: try row.decodeIfPresent("published_on", as: String.self).flatMap(LocalDate.init(iso:)),
            state: try row.decode("state"))
    }

    static let itemColumns = "a.unit_code, a.title, a.classification::text AS classification, a.approver_id, a.published_on::text AS published_on, a.state"

    /// Marks the items published (a first publication keeps its day; a later one is a correction)
    /// and posts the authors' lines, or their differences, and the reviewers' remuneration.
    func published(_ publications: [(event: EventEnvelope, status: ArticleStatusPayload)], on connection: Connection) throws {
        guard !publications.isEmpty else { return }
        let days = publications.map { LocalDate.of($0.status.publishedAt ?? $0.event.occurredAt).description }
        let rows = try connection.query(
            """
            WITH input AS (SELECT * FROM unnest($1::uuid[], $2::date[]) AS t(id, day)),
            old AS (SELECT a.article_id, a.published_on FROM finance.approved_items a JOIN input ON input.id = a.article_id FOR UPDATE OF a)
            UPDATE finance.approved_items a SET published_on = coalesce(a.published_on, input.day),
                -- A takedown is final: a publication that arrives after it (late, or replayed) changes nothing.
                state = CASE WHEN a.state = 'taken_down' THEN 'taken_down' ELSE 'published' END
            FROM input JOIN old ON old.article_id = input.id
            WHERE a.article_id = input.id
            RETURNING a.article_id, \(Self.itemColumns), old.published_on IS NULL AS first
            """, [SQLArray.literal(publications.map { $0.status.articleId.uuidString }), SQLArray.literal(days)]
        ).rows
        var found = [UUID: (item: Item, first: Bool)]()
        for row in rows { found[try row.decode("article_id")] = (try Self.item(row), try row.decode("first")) }
        if let missing = publications.first(where: { found[$0.status.articleId] == nil }) {
            // The approval comes first on this queue; if it has not arrived yet, try again later.
            throw NotYetApproved(articleId: missing.status.articleId)
        }
        let corrected = publications.map(\.status.articleId).filter { found[$0]?.first == false }
        let posted = try Ledger.authorTotals(of: corrected, on: connection)
        var pending = [Ledger.Pending]()
        for publication in publications {
            let id = publication.status.articleId
            guard let (item, first) = found[id] else { continue }
            // Taken down before its publication arrived (the two come from different services), or
            // a publication replayed after the takedown: the authors are owed nothing, as after any
            // takedown; the reviewer, who read it before it went out, is paid once, as after any.
            guard item.state != "taken_down" else {
                if first, let reviewer = try Ledger.reviewer(item: item, on: connection) {
                    pending.append(Ledger.Pending(articleId: id, item: item, entry: reviewer, eventId: publication.event.id))
                }
                continue
            }
            var entries = Ledger.differences(
                item: item, target: try Self.authorLines(item, on: connection), current: posted[id] ?? [:],
                kind: first ? "royalty" : "adjustment", reason: first ? "" : "Phân loại lại sau khi đính chính / Reclassified by a correction")
            if first, let reviewer = try Ledger.reviewer(item: item, on: connection) { entries.append(reviewer) }
            pending += entries.map { Ledger.Pending(articleId: id, item: item, entry: $0, eventId: publication.event.id) }
        }
        try Ledger.post(pending, on: connection)
    }

    /// Reverses what was posted for the item. A takedown that arrives before its publication (the
    /// two come from different services) is recorded, so that the publication posts nothing.
    func takenDown(_ envelope: EventEnvelope, on connection: Connection) throws {
        let status = try envelope.payload(as: ArticleStatusPayload.self)
        guard let row = try connection.query(
            "SELECT \(Self.itemColumns) FROM finance.approved_items a WHERE a.article_id = $1 FOR UPDATE", [status.articleId]
        ).rows.first else {
            // Its approval has not arrived yet: try again later, rather than forget the takedown.
            throw NotYetApproved(articleId: status.articleId)
        }
        let item = try Self.item(row)
        guard item.state != "taken_down" else { return }
        try connection.query("UPDATE finance.approved_items SET state = 'taken_down' WHERE article_id = $1", [status.articleId])
        guard item.publishedOn != nil, item.state == "published" else { return }
        let entries = Ledger.differences(
            item: item, target: [], current: try Ledger.authorTotals(of: [status.articleId], on: connection)[status.articleId] ?? [:],
            kind: "adjustment", reason: "Gỡ bỏ tin bài / Taken down")
        try Ledger.post(entries.map { Ledger.Pending(articleId: status.articleId, item: item, entry: $0, eventId: envelope.id) }, on: connection)
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
        var description: String { "an event for \(articleId) before its article.approved" }
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
