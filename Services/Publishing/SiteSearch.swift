import Foundation
import Store

/// Search over everything published on a site, with or without Vietnamese diacritics:
/// both the text and the question go through `unaccent`, so "ben luc" finds "Bến Lức".
struct SiteSearch: Sendable {
    let database: DatabasePool
    let renderer: PageRenderer

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
                SELECT content->>'title' AS title, content->>'summary' AS summary, path, published_at
                FROM publishing.articles, plainto_tsquery('simple', unaccent(lower($1))) AS q
                WHERE state = 'published' AND $2 = ANY(domains) AND search @@ q
                ORDER BY ts_rank(search, q) DESC, published_at DESC LIMIT $3
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
}
