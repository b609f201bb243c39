import Foundation
import Models
import ServiceKit
import Store

/// Writing to `finance.ledger`: always new rows, in a month whose report is still open.
enum Ledger {
    struct Target {
        var payeeName: String
        var payeeUserId: UUID?
        var shareBasisPoints: Int?
        var amountVND: Int64
        var baseSalaryVND: Int64?
    }

    /// The first month from `month` on whose report has not been submitted: a closed report is never edited.
    static func openMonth(from month: YearMonth, on connection: Connection) throws -> YearMonth {
        let closed = Set(try connection.query(
            "SELECT month FROM finance.reports WHERE month >= $1 AND state <> 'draft'", [month.description]
        ).rows.map { try $0.decode("month", as: String.self) })
        var candidate = month
        while closed.contains(candidate.description) { candidate = candidate.next }
        return candidate
    }

    /// R-4.7: the unit pays for what it also publishes on its own site.
    static func payer(_ item: RoyaltyFeed.Item) -> String {
        item.classification.alsoOnOwnSite ? item.unitCode : "portal"
    }

    /// One row to post.
    struct Entry {
        var kind: String
        var role: String
        var payeeName: String
        var payeeUserId: UUID?
        var payer: String
        var shareBasisPoints: Int?
        var baseSalaryVND: Int64?
        var amountVND: Int64
        var reason: String
    }

    /// The rows that bring the item's author lines to `target`: what each author already has in the
    /// ledger is compared with what they should have, and the difference is posted. `first` says
    /// the item has no rows yet, which spares the look.
    static func differences(
        articleId: UUID, item: RoyaltyFeed.Item, target: [Target], first: Bool, kind: String, reason: String, on connection: Connection
    ) throws -> [Entry] {
        var current = [String: Int64]()
        if !first {
            for row in try connection.query(
                "SELECT payee_name, sum(amount_vnd)::bigint AS total FROM finance.ledger WHERE article_id = $1 AND role = 'author' GROUP BY payee_name",
                [articleId]
            ).rows {
                current[try row.decode("payee_name")] = try row.decode("total")
            }
        }
        var entries = [Entry]()
        var seen = Set<String>()
        for line in target {
            seen.insert(line.payeeName)
            let difference = line.amountVND - (current[line.payeeName] ?? 0)
            if difference != 0 {
                entries.append(Entry(
                    kind: kind, role: "author", payeeName: line.payeeName, payeeUserId: line.payeeUserId, payer: payer(item),
                    shareBasisPoints: line.shareBasisPoints, baseSalaryVND: line.baseSalaryVND, amountVND: difference, reason: reason))
            }
        }
        for (name, total) in current.sorted(by: { $0.key < $1.key }) where !seen.contains(name) && total != 0 {
            entries.append(Entry(kind: kind, role: "author", payeeName: name, payeeUserId: nil, payer: payer(item), shareBasisPoints: nil,
                                 baseSalaryVND: nil, amountVND: -total, reason: reason))
        }
        return entries
    }

    /// The approver's remuneration for a published item, at the rate in force that day.
    static func reviewer(item: RoyaltyFeed.Item, on connection: Connection) throws -> Entry? {
        guard let day = item.publishedOn, case let amount = try Reference.remuneration(role: "reviewer", basis: "per_item", on: day, connection),
              amount > 0, let name = try Reference.fullName(item.approverId, connection) else { return nil }
        return Entry(kind: "remuneration", role: "reviewer", payeeName: name, payeeUserId: item.approverId, payer: "portal",
                     shareBasisPoints: nil, baseSalaryVND: nil, amountVND: amount, reason: "")
    }

    /// Posts `entries` of one item in one statement, in the first open month from its publication's.
    static func post(_ entries: [Entry], articleId: UUID, item: RoyaltyFeed.Item, eventId: UUID, on connection: Connection) throws {
        guard !entries.isEmpty, let day = item.publishedOn else { return }
        let month = try openMonth(from: YearMonth.of(day), on: connection)
        let classification = item.classification
        var placeholders = [String]()
        var values = [any SQLParameter]()
        for entry in entries {
            let base = values.count
            placeholders.append("(" + (1...18).map { column in
                let cast = column == 11 ? "::text[]" : column == 15 ? "::date" : ""
                return "$\(base + column)\(cast)"
            }.joined(separator: ", ") + ")")
            let authorOnly = entry.role == "author"
            let row: [(any SQLParameter)?] = [
                articleId, month.description, entry.kind, entry.role, entry.payeeName, entry.payeeUserId, item.unitCode,
                entry.payer, item.title, authorOnly ? classification.genre : nil,
                SQLArray.literal(authorOnly ? classification.surcharges : []),
                authorOnly ? classification.coefficientHundredths : nil,
                entry.shareBasisPoints, entry.baseSalaryVND, day.description, entry.amountVND, entry.reason, eventId,
            ]
            values += row.map { $0 ?? SQLNull() }
        }
        try connection.query(
            """
            INSERT INTO finance.ledger (article_id, month, kind, role, payee_name, payee_user_id, unit_code, payer, title, genre,
                surcharges, coefficient_hundredths, share_basis_points, base_salary_vnd, published_on, amount_vnd, reason, event_id)
            VALUES \(placeholders.joined(separator: ", "))
            """, values)
    }

    /// Each editor's monthly remuneration for `month`, once (R-4.8: the report carries remuneration too).
    static func postEditors(for month: YearMonth, on connection: Connection) throws {
        let amount = try Reference.remuneration(role: "editor", basis: "per_month", on: month.lastDay, connection)
        guard amount > 0 else { return }
        try connection.query(
            """
            INSERT INTO finance.ledger (month, kind, role, payee_name, payee_user_id, unit_code, payer, title, amount_vnd, published_on, event_id)
            SELECT $1, 'remuneration', 'editor', u.full_name, u.id, coalesce(u.unit_code, 'trungtamhcc'), 'portal',
                   'Thù lao biên tập tháng ' || $2, $3, $4::date, gen_random_uuid()
            FROM core.users u JOIN core.user_roles r ON r.user_id = u.id AND r.role = 'editor'
            WHERE u.active AND NOT EXISTS (SELECT 1 FROM finance.ledger l WHERE l.month = $1 AND l.role = 'editor' AND l.payee_user_id = u.id)
            """, [month.description, month.vietnamese, amount, month.lastDay.description])
    }
}
