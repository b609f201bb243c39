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

    /// the unit pays for what it also publishes on its own site.
    static func payer(_ item: RoyaltyFeed.Item) -> String {
        item.classification.alsoOnOwnSite ? item.unitCode : "portal"
    }

    /// Brings the item's author lines to `target`: what each author already has in the ledger is
    /// compared with what they should have, and the difference is posted. Nothing posted when equal.
    static func reconcile(
        articleId: UUID, item: RoyaltyFeed.Item, target: [Target], kind: String, reason: String, eventId: UUID, on connection: Connection
    ) throws {
        guard let day = item.publishedOn else { return }
        var current = [String: Int64]()
        for row in try connection.query(
            "SELECT payee_name, sum(amount_vnd)::bigint AS total FROM finance.ledger WHERE article_id = $1 AND role = 'author' GROUP BY payee_name",
            [articleId]
        ).rows {
            current[try row.decode("payee_name")] = try row.decode("total")
        }
        var wanted = [(Target, Int64)]()
        var seen = Set<String>()
        for line in target {
            seen.insert(line.payeeName)
            let difference = line.amountVND - (current[line.payeeName] ?? 0)
            if difference != 0 { wanted.append((line, difference)) }
        }
        for (name, total) in current where !seen.contains(name) && total != 0 {
            wanted.append((Target(payeeName: name, payeeUserId: nil, shareBasisPoints: nil, amountVND: 0, baseSalaryVND: nil), -total))
        }
        guard !wanted.isEmpty else { return }
        let month = try openMonth(from: YearMonth.of(day), on: connection)
        let classification = item.classification
        for (line, amount) in wanted {
            try connection.query(
                """
                INSERT INTO finance.ledger (article_id, month, kind, role, payee_name, payee_user_id, unit_code, payer, title, genre,
                    coefficient_hundredths, surcharges, share_basis_points, base_salary_vnd, amount_vnd, published_on, reason, event_id)
                VALUES ($1, $2, $3, 'author', $4, $5, $6, $7, $8, $9, $10, $11::text[], $12, $13, $14, $15::date, $16, $17)
                """,
                [articleId, month.description, kind, line.payeeName, line.payeeUserId, item.unitCode, payer(item), item.title,
                 classification.genre, classification.coefficientHundredths, SQLArray.literal(classification.surcharges),
                 line.shareBasisPoints, line.baseSalaryVND, amount, day.description, reason, eventId])
        }
    }

    /// The approver's remuneration for a published item, at the rate in force that day.
    static func postReviewer(articleId: UUID, item: RoyaltyFeed.Item, eventId: UUID, on connection: Connection) throws {
        guard let day = item.publishedOn,
              let amount = try Reference.remuneration(role: "reviewer", basis: "per_item", on: day, connection), amount > 0,
              let name: String = try connection.query("SELECT full_name FROM core.users WHERE id = $1", [item.approverId]).rows.first?
                .decode("full_name") else { return }
        let month = try openMonth(from: YearMonth.of(day), on: connection)
        try connection.query(
            """
            INSERT INTO finance.ledger (article_id, month, kind, role, payee_name, payee_user_id, unit_code, payer, title, amount_vnd,
                published_on, event_id)
            VALUES ($1, $2, 'remuneration', 'reviewer', $3, $4, $5, 'portal', $6, $7, $8::date, $9)
            """, [articleId, month.description, name, item.approverId, item.unitCode, item.title, amount, day.description, eventId])
    }

    /// Each editor's monthly remuneration for `month`, once (R-4.8: the report carries remuneration too).
    static func postEditors(for month: YearMonth, on connection: Connection) throws {
        guard let amount = try Reference.remuneration(role: "editor", basis: "per_month", on: month.lastDay, connection), amount > 0 else { return }
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
