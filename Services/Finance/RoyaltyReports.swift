import Foundation
import Models
import ServiceKit
import Store

/// The monthly reports: generated (at month end by `MonthEndReports`, or on demand), then moved
/// draft → submitted to the Board → approved → paid, each step recorded with who and when. A draft
/// shows the ledger as it stands; from submission the report is frozen and new entries for that
/// month go to the next open month.
struct RoyaltyReports: Sendable {
    let database: DatabasePool

    static let steps: [String: (from: String, to: String)] = [
        "submit": ("draft", "submitted"), "approve": ("submitted", "approved"), "pay": ("approved", "paid"),
    ]

    /// Creates the month's report as a draft if it has none, and posts the editors' monthly
    /// remuneration. Running it twice changes nothing.
    static func generate(_ month: YearMonth, by actor: String, on connection: Connection) throws -> Bool {
        let created = try connection.query(
            "INSERT INTO finance.reports (month, state, generated_by) VALUES ($1, 'draft', $2) ON CONFLICT (month) DO NOTHING RETURNING month",
            [month.description, actor]
        ).rows.first != nil
        if created {
            try connection.query(
                "INSERT INTO finance.report_steps (month, from_state, to_state, actor) VALUES ($1, NULL, 'draft', $2)", [month.description, actor])
            try Ledger.postEditors(for: month, on: connection)
        }
        return created
    }

    func generate(_ month: YearMonth, by user: AuthenticatedUser) async throws {
        try Self.requireFinance(user)
        try Self.requireNotFuture(month)
        _ = try await database.withTransaction { try Self.generate(month, by: user.login, on: $0) }
    }

    /// The report of `month`; nil when none was generated.
    func report(_ month: YearMonth) async throws -> RoyaltyReport? {
        try await database.withConnection { connection in try Self.report(month, on: connection) }
    }

    static func report(_ month: YearMonth, on connection: Connection) throws -> RoyaltyReport? {
        guard let row = try connection.query(
            """
            SELECT state, generated_at, generated_by, snapshot::text AS snapshot, payment_reference, payment_date::text AS payment_date
            FROM finance.reports WHERE month = $1
            """, [month.description]
        ).rows.first else { return nil }
        let state: String = try row.decode("state")
        var report: RoyaltyReport
        if let frozen: String = try row.decodeIfPresent("snapshot") {
            report = try EventCoding.decoder.decode(RoyaltyReport.self, from: Data(frozen.utf8))
            report.state = state
        } else {
            report = RoyaltyReport.build(month: month, state: state, entries: try entries(month, on: connection), today: LocalDate.today)
            report.remuneration = try withEditorItems(report.remuneration, month: month, on: connection)
        }
        report.generatedAt = try row.decode("generated_at")
        report.generatedBy = try row.decode("generated_by")
        report.paymentReference = try row.decodeIfPresent("payment_reference")
        report.paymentDate = try row.decodeIfPresent("payment_date", as: String.self).flatMap(LocalDate.init(iso:))
        return report
    }

    /// Editors are paid by the month, not by the item; their rows show how many items each edited
    /// in the month (distinct items with an `article.edited` line in the audit log), so that the
    /// report says what the pay was for.
    static func withEditorItems(_ rows: [RoyaltyReport.RemunerationTotal], month: YearMonth, on connection: Connection) throws -> [RoyaltyReport.RemunerationTotal] {
        guard rows.contains(where: { $0.role == "editor" }) else { return rows }
        let counts = try connection.query(
            """
            SELECT u.full_name, count(DISTINCT a.subject) AS n
            FROM core.audit_log a JOIN core.users u ON u.login = a.actor
            WHERE a.action = 'article.edited'
              AND a.at >= ($1::date::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh')
              AND a.at < (($1::date + interval '1 month')::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh')
            GROUP BY u.full_name
            """, [month.firstDay.description]
        ).rows.reduce(into: [String: Int]()) { $0[try $1.decode("full_name")] = try $1.decode("n") }
        return rows.map { row in
            var row = row
            if row.role == "editor" { row.items = counts[row.name] ?? 0 }
            return row
        }
    }

    /// The month's ledger rows in the order people read them (publication date, then as posted),
    /// 5,000 at a time so that the database's answer never holds a whole month.
    static func forEachPage(_ month: YearMonth, on connection: Connection, _ body: ([RoyaltyReport.Entry]) throws -> Void) throws {
        var after: (day: String, id: Int64) = ("0001-01-01", 0)
        while true {
            let rows = try connection.query(
                """
                SELECT l.id, l.article_id, l.kind, l.role, l.payee_name, l.unit_code, coalesce(u.name, l.unit_code) AS unit_name, l.payer,
                       l.title, l.genre, (SELECT g.name_vi FROM core.royalty_genres g WHERE g.genre = l.genre
                                          ORDER BY g.effective_from DESC LIMIT 1) AS genre_name, l.coefficient_hundredths, l.share_basis_points, l.base_salary_vnd, l.amount_vnd,
                       l.published_on::text AS published_on, l.reason
                FROM finance.ledger l LEFT JOIN core.units u ON u.code = l.unit_code
                WHERE l.month = $1 AND (l.published_on, l.id) > ($2::date, $3) ORDER BY l.published_on, l.id LIMIT 5000
                """, [month.description, after.day, after.id]
            ).rows
            guard let last = rows.last else { return }
            after = (try last.decode("published_on"), try last.decode("id"))
            try body(try rows.map { row in
                RoyaltyReport.Entry(
                    articleId: try row.decodeIfPresent("article_id"), kind: try row.decode("kind"), role: try row.decode("role"),
                    payeeName: try row.decode("payee_name"), unitCode: try row.decode("unit_code"), unitName: try row.decode("unit_name"),
                    payer: try row.decode("payer"), title: try row.decode("title"), genre: try row.decodeIfPresent("genre"), genreName: try row.decodeIfPresent("genre_name"),
                    coefficientHundredths: try row.decodeIfPresent("coefficient_hundredths"),
                    shareBasisPoints: try row.decodeIfPresent("share_basis_points"), baseSalaryVND: try row.decodeIfPresent("base_salary_vnd"),
                    amountVND: try row.decode("amount_vnd"),
                    publishedOn: LocalDate(iso: try row.decode("published_on", as: String.self)) ?? LocalDate(daysSinceEpoch: 0),
                    reason: try row.decode("reason"))
            })
        }
    }

    static func entries(_ month: YearMonth, on connection: Connection) throws -> [RoyaltyReport.Entry] {
        var entries = [RoyaltyReport.Entry]()
        try forEachPage(month, on: connection) { entries += $0 }
        return entries
    }

    /// The month's report as a workbook, its rows streamed from the database into the detail sheet
    /// while the totals are added up; nil when the month has no report. Reading the next pages and
    /// writing the last ones go on side by side (a reader thread, a few pages ahead).
    func xlsx(_ month: YearMonth) async throws -> [UInt8]? {
        try await database.withConnection { connection in
            guard let state: String = try connection.query("SELECT state FROM finance.reports WHERE month = $1", [month.description])
                .rows.first?.decode("state") else { return nil }
            let pages = PageQueue<RoyaltyReport.Entry>(capacity: 3)
            // The connection passes to the reader thread: this thread does not touch it until
            // `drain` has seen the reader finish.
            let lent = Lent(connection)
            let reader = Thread {
                do {
                    try Self.forEachPage(month, on: lent.value) { try pages.put($0) }
                    pages.finish(nil)
                } catch {
                    pages.finish(error)
                }
            }
            reader.start()
            defer { pages.drain() }
            return try ReportExports.xlsx(month: month, state: state) { body in
                while let page = try pages.take() {
                    for entry in page { try body(entry) }
                }
            }
        }
    }

    struct Payment: Codable, Sendable {
        var paymentReference: String?
        var paymentDate: String?
    }

    /// Moves the report one step: `submit` and `pay` by finance staff, `approve` by the Head of
    /// the Board (R-4.8: the Center submits to the Board). Out of order → 409, nothing changed.
    func move(_ month: YearMonth, action: String, payment: Payment?, by user: AuthenticatedUser, correlationId: String) async throws -> String {
        guard let step = Self.steps[action] else {
            throw APIError.notFound("unknown_action", "Use submit, approve or pay.")
        }
        if action == "approve" {
            guard user.has(.boardHead) || user.has(.boardDeputy) else {
                throw APIError.forbidden("board_head_required", "The Head (or a Deputy Head) of the Board approves the report.")
            }
        } else {
            try Self.requireFinance(user)
        }
        var givenReference: String?, givenDate: LocalDate?
        if action == "pay" {
            givenReference = payment?.paymentReference?.trimmingCharacters(in: .whitespaces)
            guard let reference = givenReference, !reference.isEmpty, reference.count <= 100 else {
                throw APIError(.unprocessableContent, code: "payment_reference_required", message: "Give the payment reference (số chứng từ), up to 100 characters.")
            }
            guard let text = payment?.paymentDate, let day = LocalDate(iso: text) else {
                throw APIError(.unprocessableContent, code: "invalid_payment_date", message: "Give the payment date as YYYY-MM-DD.")
            }
            guard day <= LocalDate.today else {
                throw APIError(.unprocessableContent, code: "payment_date_in_future", message: "The payment date cannot be after today.")
            }
            givenDate = day
        }
        let reference = givenReference, paidOn = givenDate
        return try await database.withTransaction { connection in
            guard let state: String = try connection.query(
                "SELECT state FROM finance.reports WHERE month = $1 FOR UPDATE", [month.description]
            ).rows.first?.decode("state") else {
                throw APIError.notFound("report_not_found", "No report for \(month) yet; generate it first.")
            }
            guard state == step.from else {
                throw APIError.conflict(
                    "invalid_transition", "The report of \(month) is \(state); \(action) needs it to be \(step.from).")
            }
            if action == "submit" {
                // Frozen from here: what the Board approves is what is paid.
                guard var report = try Self.report(month, on: connection) else { throw APIError.notFound("report_not_found", "") }
                report.state = "submitted"
                try connection.query(
                    "UPDATE finance.reports SET snapshot = $2::jsonb WHERE month = $1",
                    [month.description, String(decoding: try EventCoding.encoder.encode(report), as: UTF8.self)])
            }
            try connection.query(
                "UPDATE finance.reports SET state = $2, payment_reference = coalesce($3, payment_reference), payment_date = coalesce($4::date, payment_date) WHERE month = $1",
                [month.description, step.to, reference, paidOn?.description])
            try connection.query(
                "INSERT INTO finance.report_steps (month, from_state, to_state, actor, note) VALUES ($1, $2, $3, $4, $5)",
                [month.description, step.from, step.to, user.login, reference ?? ""])
            try AuditLog.append(
                service: "finance", actor: user.login, action: "royalty_report.\(action)", subject: month.description,
                correlationId: correlationId, detail: reference.map { ["paymentReference": $0] } ?? [:], on: connection)
            return step.to
        }
    }

    struct Step: Codable, Sendable {
        var fromState: String?
        var toState: String
        var actor: String
        var at: Date
        var note: String
    }

    func steps(_ month: YearMonth) async throws -> [Step] {
        try await database.withConnection { connection in
            try connection.query(
                "SELECT from_state, to_state, actor, at, note FROM finance.report_steps WHERE month = $1 ORDER BY id", [month.description]
            ).rows.map {
                Step(fromState: try $0.decodeIfPresent("from_state"), toState: try $0.decode("to_state"), actor: try $0.decode("actor"),
                     at: try $0.decode("at"), note: try $0.decode("note"))
            }
        }
    }

    /// The last twelve months' portal totals, for the chart.
    func lastTwelve(ending month: YearMonth) async throws -> [(YearMonth, Int64)] {
        var window = [month]
        while window.count < 12 { window.insert(window[0].previous, at: 0) }
        let months = window
        let totals = try await database.withConnection { connection -> [String: Int64] in
            var totals = [String: Int64]()
            for row in try connection.query(
                "SELECT month, sum(amount_vnd)::bigint AS total FROM finance.ledger WHERE month >= $1 AND month <= $2 AND payer = 'portal' GROUP BY month",
                [months[0].description, month.description]
            ).rows {
                totals[try row.decode("month")] = try row.decode("total")
            }
            return totals
        }
        return months.map { ($0, totals[$0.description] ?? 0) }
    }

    static func requireFinance(_ user: AuthenticatedUser) throws {
        guard user.has(.finance) || user.has(.admin) else {
            throw APIError.forbidden("finance_role_required", "Royalty reports are for the finance staff of the Center.")
        }
    }

    /// A month that has not begun has no report.
    static func requireNotFuture(_ month: YearMonth) throws {
        guard month <= YearMonth.of(LocalDate.today) else {
            throw APIError(.unprocessableContent, code: "month_in_future", message: "\(month) has not begun; a report covers a month that has.")
        }
    }

    static func month(_ text: String?) throws -> YearMonth {
        guard let text, let month = YearMonth(text) else {
            throw APIError.badRequest("invalid_month", "Give the month as YYYY-MM, e.g. 2026-11.")
        }
        return month
    }
}

/// Pages handed from a reader thread to a writer: at most `capacity` waiting, then the reader waits.
final class PageQueue<Element>: @unchecked Sendable {
    private let condition = NSCondition()
    private var pages = [[Element]]()
    private var finished = false
    private var failure: (any Error)?
    private var abandoned = false
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Waits while the queue is full; throws when the writer has gone, so the reader stops reading.
    func put(_ page: [Element]) throws {
        condition.lock()
        defer { condition.unlock() }
        while pages.count >= capacity && !abandoned { condition.wait() }
        guard !abandoned else { throw CancellationError() }
        pages.append(page)
        condition.broadcast()
    }

    func finish(_ error: (any Error)?) {
        condition.lock()
        finished = true
        failure = error
        condition.broadcast()
        condition.unlock()
    }

    /// The next page; nil at the end; the reader's error if it failed.
    func take() throws -> [Element]? {
        condition.lock()
        defer { condition.unlock() }
        while pages.isEmpty && !finished { condition.wait() }
        if !pages.isEmpty {
            let page = pages.removeFirst()
            condition.broadcast()
            return page
        }
        if let failure { throw failure }
        return nil
    }

    /// The writer is done (or failed): stops the reader at its next page and waits for it, so that
    /// the connection is free again before it goes back to the pool.
    func drain() {
        condition.lock()
        abandoned = true
        pages.removeAll()
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }
}

/// A value handed to one other thread while its owner waits for it back (see `PageQueue.drain`).
struct Lent<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

