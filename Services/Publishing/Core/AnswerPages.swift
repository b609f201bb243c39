import Foundation
import Models
import ServiceKit
import Store

/// Citizens' questions and their answers on the portal (Art. 13.4, R-3.6), from
/// `answer.published`: a page per answer at `/hoi-dap/<id>.html` with the notice that an answer
/// guides and is no legal basis, and the list by field at `/hoi-dap/`. The event carries only
/// what the Center approved for the public; no name, contact or address reaches these pages
/// (R-5.4). Every site has a `/hoi-dap/` page that leads to the form and the lookup; the answers
/// are listed on the portal's.
public struct AnswerPages: Sendable {
    let renderer: PageRenderer
    let files: SiteFiles
    /// Where citizens' forms are served (`PORTAL_FEEDBACK_URL`), when not on the site's own host
    /// behind nginx: development, where each service has its own port.
    let feedbackBase: String

    public init(renderer: PageRenderer, files: SiteFiles, feedbackBase: String = AnswerPages.configuredFeedbackBase) {
        self.renderer = renderer
        self.files = files
        self.feedbackBase = feedbackBase
    }

    /// Stores the answer, writes its page and marks the portal's lists (the Q&A page, sitemap and
    /// feeds) for redrawing. The same event again writes the same page.
    func publish(_ answer: AnswerPublished, on connection: Connection) throws {
        let searchText = [answer.title, answer.question, answer.answer, answer.fieldName, answer.unitName].joined(separator: " ")
        let row = try connection.query(
            """
            INSERT INTO publishing.answers (question_id, field_code, field_name, unit_code, unit_name, title, question, answer, asked_on,
                answered_on, search)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::date, $10::date, to_tsvector('simple', unaccent(lower($11))))
            ON CONFLICT (question_id) DO UPDATE SET field_code = EXCLUDED.field_code, field_name = EXCLUDED.field_name,
                unit_code = EXCLUDED.unit_code, unit_name = EXCLUDED.unit_name, title = EXCLUDED.title, question = EXCLUDED.question,
                answer = EXCLUDED.answer, answered_on = EXCLUDED.answered_on, search = EXCLUDED.search
            RETURNING published_at
            """,
            [answer.questionId, answer.fieldCode, answer.fieldName, answer.unitCode, answer.unitName, answer.title, answer.question,
             answer.answer, answer.askedOn.description, answer.answeredOn.description, searchText]).one()
        guard let site = try SiteRegistry.sites([SiteDomain.portal], on: connection).first else {
            throw PermanentFailure("the portal's site is not registered")
        }
        let published: Date = try row.decode("published_at")
        try files.write(renderer.answer(answer, site: site, publishedAt: published), domain: site.domain, page: Self.page(answer.questionId))
        try SiteIndexes.markStale(site.domain, on: connection)
    }

    /// `PORTAL_FEEDBACK_URL`, read once; empty behind nginx, where the site's own host serves the forms.
    public static let configuredFeedbackBase = ProcessInfo.processInfo.environment["PORTAL_FEEDBACK_URL"] ?? ""

    static let answerColumns = """
        SELECT question_id, field_code, field_name, unit_code, unit_name, title, question, answer, asked_on::text AS asked_on,
            answered_on::text AS answered_on, published_at
        FROM publishing.answers
        """

    static func answer(_ row: Row) throws -> (AnswerPublished, Date) {
        let answer = AnswerPublished(
            questionId: try row.decode("question_id"), fieldCode: try row.decode("field_code"), fieldName: try row.decode("field_name"),
            unitCode: try row.decode("unit_code"), unitName: try row.decode("unit_name"), title: try row.decode("title"),
            question: try row.decode("question"), answer: try row.decode("answer"),
            askedOn: LocalDate(iso: try row.decode("asked_on")) ?? .today, answeredOn: LocalDate(iso: try row.decode("answered_on")) ?? .today)
        return (answer, try row.decode("published_at"))
    }

    /// Writes one stored answer's page again, from the database (another folder's publication);
    /// the caller marks the portal's lists.
    func rewrite(_ questionId: UUID, on connection: Connection) throws {
        guard let row = try connection.query("\(Self.answerColumns) WHERE question_id = $1", [questionId]).rows.first,
              let site = try SiteRegistry.sites([SiteDomain.portal], on: connection).first else { return }
        let (answer, published) = try Self.answer(row)
        try files.write(renderer.answer(answer, site: site, publishedAt: published), domain: site.domain, page: Self.page(answer.questionId))
    }

    /// Writes every answer's page again (a rebuild), a batch at a time; returns how many.
    public static func rewriteAll(renderer: PageRenderer, files: SiteFiles, database: DatabasePool) async throws -> Int {
        var after = Date(timeIntervalSince1970: 0), done = 0
        while true {
            let from = after
            let count = try await database.withConnection { connection -> (Int, Date?) in
                guard let site = try SiteRegistry.sites([SiteDomain.portal], on: connection).first else { return (0, nil) }
                let rows = try connection.query(
                    "\(answerColumns) WHERE published_at > $1 ORDER BY published_at LIMIT 200", [from]).rows
                var last: Date?
                for row in rows {
                    let (answer, published) = try Self.answer(row)
                    try files.write(renderer.answer(answer, site: site, publishedAt: published), domain: site.domain, page: page(answer.questionId))
                    last = published
                }
                return (rows.count, last)
            }
            done += count.0
            guard let last = count.1, count.0 == 200 else { return done }
            after = last
        }
    }

    static func page(_ id: UUID) -> String { "hoi-dap/\(id.uuidString.lowercased()).html" }

    /// The latest answers, for the portal's sitemap and feeds.
    static func listed(limit: Int, on connection: Connection) throws -> [PageRenderer.Listed] {
        try connection.query(
            "SELECT question_id, title, field_name, published_at FROM publishing.answers ORDER BY published_at DESC LIMIT $1", [limit]
        ).rows.map(listed)
    }

    /// A month's answers, newest first, for the portal's monthly sitemap.
    static func listed(in month: YearMonth, limit: Int, on connection: Connection) throws -> [PageRenderer.Listed] {
        guard limit > 0 else { return [] }
        return try connection.query(
            """
            SELECT question_id, title, field_name, published_at FROM publishing.answers
            WHERE published_at >= \(SiteArchive.monthStart("$1")) AND published_at < \(SiteArchive.monthStart("$1", plus: 1))
            ORDER BY published_at DESC LIMIT $2
            """, [month.description, limit]
        ).rows.map(listed)
    }

    static func listed(_ row: Row) throws -> PageRenderer.Listed {
        PageRenderer.Listed(title: "Hỏi đáp: " + (try row.decode("title", as: String.self)), path: "/" + page(try row.decode("question_id")),
                            summary: try row.decode("field_name"), publishedAt: try row.decode("published_at"))
    }

    /// A site's `/hoi-dap/` page: the way to ask and to follow a question; on the portal, the
    /// latest answers of each field (twenty each, one short walk down the index on field and
    /// date per field, found by `publishing.answer_fields`).
    func writeIndex(_ site: SiteRegistry.Site, on connection: Connection) throws {
        var groups = [(name: String, items: [PageRenderer.Listed])]()
        if site.domain == SiteDomain.portal {
            let rows = try connection.query(
                """
                SELECT a.question_id, a.title, a.field_name, a.published_at
                FROM publishing.answer_fields() AS f(code)
                CROSS JOIN LATERAL (
                    SELECT question_id, title, field_name, published_at FROM publishing.answers
                    WHERE field_code = f.code ORDER BY published_at DESC LIMIT 20
                ) a
                ORDER BY a.field_name, a.published_at DESC
                """).rows
            for row in rows {
                let field: String = try row.decode("field_name")
                let listed = PageRenderer.Listed(title: try row.decode("title"), path: "/" + Self.page(try row.decode("question_id")),
                                                 summary: nil, publishedAt: try row.decode("published_at"))
                if groups.last?.name == field { groups[groups.count - 1].items.append(listed) } else { groups.append((field, [listed])) }
            }
        }
        try files.write(renderer.answers(site: site, groups: groups, feedbackBase: feedbackBase), domain: site.domain, page: "hoi-dap/index.html")
    }
}

extension PageRenderer {
    func answer(_ answer: AnswerPublished, site: SiteRegistry.Site, publishedAt: Date) -> String {
        let path = "/" + AnswerPages.page(answer.questionId)
        return render("answer", [
            "lang": "vi", "pageTitle": answer.title, "site": Self.site(site), "t": Self.text,
            "title": answer.title, "question": answer.question, "answer": answer.answer, "field": answer.fieldName, "unit": answer.unitName,
            "askedOn": answer.askedOn.vietnamese, "answeredOn": answer.answeredOn.vietnamese, "answeredOnISO": answer.answeredOn.description,
            "notice": AnswerNotice.vietnamese, "noticeEn": AnswerNotice.english,
            "dc": Self.siteMetadata(site, path: path, description: "Hỏi đáp: \(answer.title)", updated: publishedAt),
        ])
    }

    func answers(site: SiteRegistry.Site, groups: [(name: String, items: [Listed])], feedbackBase: String) -> String {
        render("answers", [
            "lang": "vi", "pageTitle": "Hỏi đáp", "site": Self.site(site), "t": Self.text, "feedbackBase": feedbackBase,
            "isPortal": site.domain == SiteDomain.portal, "noAnswers": groups.isEmpty, "notice": AnswerNotice.vietnamese,
            "groups": groups.map { ["name": $0.name, "items": $0.items.map(\.values)] },
            "dc": Self.siteMetadata(site, path: "/hoi-dap/", description: "Hỏi đáp của người dân và tổ chức", updated: groups.first?.items.first?.publishedAt ?? site.createdAt),
        ])
    }
}
