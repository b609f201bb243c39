import Foundation
import Models
import Store

/// Everything a site ever published, by month (`/luu-tru/`, `/luu-tru/2026-11?trang=2`): read
/// from the database on request through the index on publication time, a page at a time, so
/// that an archive of many years costs what one page costs.
public struct SiteArchive: Sendable {
    let database: DatabasePool
    let renderer: PageRenderer
    static let pageSize = 30

    public init(database: DatabasePool, renderer: PageRenderer) {
        self.database = database
        self.renderer = renderer
    }

    /// The months that have items, newest first, with their counts.
    func months(domain: String) async throws -> String? {
        try await database.withConnection { connection in
            guard let site = try SiteRegistry.sites([domain], on: connection).first else { return nil }
            let months = try connection.query(
                """
                SELECT to_char(published_at AT TIME ZONE 'Asia/Ho_Chi_Minh', 'YYYY-MM') AS month, count(*) AS n
                FROM publishing.articles WHERE state = 'published' AND $1 = ANY(domains)
                GROUP BY 1 ORDER BY 1 DESC
                """, [domain]
            ).rows.compactMap { row -> PageRenderer.ArchiveMonth? in
                guard let month = YearMonth(try row.decode("month", as: String.self)) else { return nil }
                return PageRenderer.ArchiveMonth(month: month, count: try row.decode("n"))
            }
            return renderer.archive(site: site, months: months)
        }
    }

    /// One month's items, newest first, `page` counted from 1; nil for a month or page with nothing.
    func month(_ text: String, page: Int, domain: String) async throws -> String? {
        guard let month = YearMonth(text), page >= 1, page <= 10_000 else { return nil }
        return try await database.withConnection { connection in
            guard let site = try SiteRegistry.sites([domain], on: connection).first else { return nil }
            let rows = try connection.query(
                """
                SELECT title, summary, path, published_at
                FROM publishing.articles
                WHERE state = 'published' AND $1 = ANY(domains)
                  AND published_at >= ($2::date::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh')
                  AND published_at < (($2::date + interval '1 month')::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh')
                ORDER BY published_at DESC, id LIMIT $3 OFFSET $4
                """, [domain, month.firstDay.description, Self.pageSize + 1, (page - 1) * Self.pageSize]
            ).rows
            guard !rows.isEmpty || page == 1 else { return nil }
            let items = try rows.prefix(Self.pageSize).map { row in
                PageRenderer.Listed(title: try row.decode("title"), path: try row.decode("path"), summary: try row.decodeIfPresent("summary"),
                                    publishedAt: try row.decode("published_at"))
            }
            return renderer.archiveMonth(site: site, month: month, articles: items, page: page, hasNext: rows.count > Self.pageSize)
        }
    }
}
