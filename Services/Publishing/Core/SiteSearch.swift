import Foundation
import Models
import Store

/// Search over everything published on a site, with or without Vietnamese diacritics:
/// both the text and the question go through `unaccent`, so "ben luc" finds "Bến Lức".
public struct SiteSearch: Sendable {
    let database: DatabasePool
    let renderer: PageRenderer

    public init(database: DatabasePool, renderer: PageRenderer) {
        self.database = database
        self.renderer = renderer
    }

    struct Hit: Sendable {
        var title: String
        var path: String
        var summary: String?
        var publishedAt: Date
    }

    func find(_ question: String, domain: String, limit: Int = 50) async throws -> [Hit] {
        let words = question.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !words.isEmpty, words.count <= 200 else { return [] }
        return try await database.withConnection { connection in
            try connection.query(
                """
                SELECT title, summary, path, published_at FROM (
                    SELECT title, summary, path, published_at, ts_rank(search, q) AS rank
                    FROM publishing.articles, plainto_tsquery('simple', unaccent(lower($1))) AS q
                    WHERE state = 'published' AND $2 = ANY(domains) AND search @@ q
                    UNION ALL
                    -- Published answers are on the portal (R-3.6).
                    SELECT 'Hỏi đáp: ' || title, field_name, '/hoi-dap/' || question_id || '.html', published_at, ts_rank(search, q)
                    FROM publishing.answers, plainto_tsquery('simple', unaccent(lower($1))) AS q
                    WHERE $2 = '\(SiteDomain.portal)' AND search @@ q
                ) hits
                ORDER BY rank DESC, published_at DESC LIMIT $3
                """, [words, domain, limit]
            ).rows.map { row in
                Hit(title: try row.decode("title"), path: try row.decode("path"), summary: try row.decodeIfPresent("summary"),
                    publishedAt: try row.decode("published_at"))
            }
        }
    }

    /// The search page of `domain`, with the form and the results of `question`.
    func page(_ question: String?, domain: String) async throws -> String? {
        let site = try await database.withConnection { try SiteRegistry.sites([domain], on: $0).first }
        guard let site else { return nil }
        var hits = [Hit]()
        if let question { hits = try await find(question, domain: domain) }
        return renderer.search(site: site, question: question, hits: hits.map {
            PageRenderer.Listed(title: $0.title, path: $0.path, summary: $0.summary, publishedAt: $0.publishedAt)
        })
    }

    /// The legal-document search of: `so` (number), `co-quan` (issuer), `hinh-thuc` (form),
    /// `tu-ngay` and `den-ngay` (issued between), `hieu-luc` (in effect on). A date that is not
    /// YYYY-MM-DD is named on the page rather than ignored.
    func legalPage(_ parameters: [String: String], domain: String) async throws -> (html: String, badRequest: Bool)? {
        let renderer = self.renderer
        return try await database.withConnection { connection -> (html: String, badRequest: Bool)? in
            guard let site = try SiteRegistry.sites([domain], on: connection).first else { return nil }
            var shown = PageRenderer.LegalQuery()
            var query = LegalDocuments.Query()
            shown.number = String((parameters["so"] ?? "").prefix(100))
            shown.issuer = String((parameters["co-quan"] ?? "").prefix(200))
            shown.form = String((parameters["hinh-thuc"] ?? "").prefix(100))
            query.number = shown.number
            query.issuer = shown.issuer
            query.form = shown.form
            var problems = [String]()
            func date(_ name: String, _ label: String) -> LocalDate? {
                guard let text = parameters[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
                guard let day = LocalDate(iso: text) else {
                    problems.append("\(label): “\(text.prefix(40))” không phải ngày dạng năm-tháng-ngày (YYYY-MM-DD).")
                    return nil
                }
                return day
            }
            query.issuedFrom = date("tu-ngay", "Ban hành từ ngày")
            query.issuedTo = date("den-ngay", "Đến ngày")
            query.effectiveOn = date("hieu-luc", "Có hiệu lực vào ngày")
            shown.from = query.issuedFrom?.description ?? ""
            shown.to = query.issuedTo?.description ?? ""
            shown.effective = query.effectiveOn?.description ?? ""
            let documents = problems.isEmpty ? try LegalDocuments.find(query, domain: domain, limit: 200, on: connection) : []
            let html = renderer.legal(
                site: site, documents: documents, query: shown, problem: problems.isEmpty ? nil : problems.joined(separator: " "),
                updated: Date())
            return (html, !problems.isEmpty)
        }
    }
}
