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

    /// The months from `month` on whose report has been submitted, read with a share lock: a
    /// submission waits for this transaction, or this one sees it, so no row lands in a closed month.
    static func closedMonths(from month: YearMonth, on connection: Connection) throws -> Set<String> {
        Set(try connection.query(
            "SELECT month, state FROM finance.reports WHERE month >= $1 FOR SHARE", [month.description]
        ).rows.compactMap { row in try row.decode("state", as: String.self) == "draft" ? nil : try row.decode("month", as: String.self) })
    }

    /// The first month from `month` on that is not closed: a closed report is never edited.
    static func openMonth(from month: YearMonth, closed: Set<String>) -> YearMonth {
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

    /// What each author of each item already has in the ledger.
    static func authorTotals(of ids: [UUID], on connection: Connection) throws -> [UUID: [String: Int64]] {
        guard !ids.isEmpty else { return [:] }
        var totals = [UUID: [String: Int64]]()
        for row in try connection.query(
            """
            SELECT article_id, payee_name, sum(amount_vnd)::bigint AS total FROM finance.ledger
            WHERE article_id = ANY($1::uuid[]) AND role = 'author' GROUP BY article_id, payee_name
            """, [SQLArray.literal(ids.map(\.uuidString))]
        ).rows {
            totals[try row.decode("article_id"), default: [:]][try row.decode("payee_name")] = try row.decode("total")
        }
        return totals
    }

    /// The rows that bring an item's author lines from `current` to `target`: the difference per
    /// author; nothing when they are equal.
    static func differences(item: RoyaltyFeed.Item, target: [Target], current: [String: Int64], kind: String, reason: String) -> [Entry] {
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

    /// A row to post for an item, and the event that causes it.
    struct Pending {
        var articleId: UUID
        var item: RoyaltyFeed.Item
        var entry: Entry
        var eventId: UUID
    }

    /// Posts rows of many items, each in the first open month from its publication's, a thousand
    /// rows a statement.
    static func post(_ rows: [Pending], on connection: Connection) throws {
        let days = rows.compactMap(\.item.publishedOn)
        guard let earliest = days.min() else { return }
        let closed = try closedMonths(from: YearMonth.of(earliest), on: connection)
        for start in stride(from: 0, to: rows.count, by: 1_000) {
            var placeholders = [String]()
            var values = [any SQLParameter]()
            for pending in rows[start..<min(start + 1_000, rows.count)] {
                guard let day = pending.item.publishedOn else { continue }
                let month = openMonth(from: YearMonth.of(day), closed: closed)
                let base = values.count
                placeholders.append("(" + (1...18).map { column in
                    let cast = column == 11 ? "::text[]" : column == 15 ? "::date" : ""
                    return "$\(base + column)\(cast)"
                }.joined(separator: ", ") + ")")
                let entry = pending.entry, item = pending.item, classification = item.classification
                let authorOnly = entry.role == "author"
                let row: [(any SQLParameter)?] = [
                    pending.articleId, month.description, entry.kind, entry.role, entry.payeeName, entry.payeeUserId, item.unitCode,
                    entry.payer, item.title, authorOnly ? classification.genre : nil,
                    SQLArray.literal(authorOnly ? classification.surcharges : []),
                    authorOnly ? classification.coefficientHundredths : nil,
                    entry.shareBasisPoints, entry.baseSalaryVND, day.description, entry.amountVND, entry.reason, pending.eventId,
                ]
                values += row.map { $0 ?? SQLNull() }
            }
            guard !placeholders.isEmpty else { continue }
            try connection.query(
                """
                INSERT INTO finance.ledger (article_id, month, kind, role, payee_name, payee_user_id, unit_code, payer, title, genre,
                    surcharges, coefficient_hundredths, share_basis_points, base_salary_vnd, published_on, amount_vnd, reason, event_id)
                VALUES \(placeholders.joined(separator: ", "))
                """, values)
        }
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
