import Foundation
import Models
import Store

/// Everything a site ever published, by month: the archive (`/luu-tru/`, `/luu-tru/2026-11?trang=2`)
/// and the monthly sitemaps (`/sitemap-2026-11.xml`) that `sitemap.xml` lists. Read from the
/// database on request through `publishing.site_items`, a page or a month at a time, so that an
/// archive of many years costs what one page costs and a publication never rewrites it.
public struct SiteArchive: Sendable {
    let database: DatabasePool
    let renderer: PageRenderer
    static let pageSize = 30
    /// The sitemap of the site's own pages and categories, written with the lists.
    static let pagesSitemap = "sitemap-trang.xml"
    /// The sitemaps protocol's limit of addresses in one file; a site publishes far fewer in a month.
    static let sitemapLimit = 50_000

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
                SELECT m.month, (SELECT count(*) FROM publishing.site_items i
                                 WHERE i.domain = $1 AND i.published_at >= \(Self.monthStart("m.month")) AND i.published_at <= m.latest) AS n
                FROM publishing.site_months($1) m
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
            let rows = try Self.items(of: month, domain: domain, limit: Self.pageSize + 1, offset: (page - 1) * Self.pageSize, on: connection)
            guard !rows.isEmpty || page == 1 else { return nil }
            return renderer.archiveMonth(site: site, month: month, articles: Array(rows.prefix(Self.pageSize)), page: page,
                                         hasNext: rows.count > Self.pageSize)
        }
    }

    /// A month's sitemap (`sitemap-YYYY-MM.xml`): every item of the month, and on the portal
    /// every answer; nil for a month with nothing.
    func sitemap(_ text: String, domain: String) async throws -> String? {
        guard let month = YearMonth(text) else { return nil }
        return try await database.withConnection { connection in
            guard let site = try SiteRegistry.sites([domain], on: connection).first else { return nil }
            var items = try Self.items(of: month, domain: domain, limit: Self.sitemapLimit, offset: 0, on: connection)
            if domain == SiteDomain.portal {
                items += try AnswerPages.listed(in: month, limit: Self.sitemapLimit - items.count, on: connection)
            }
            return items.isEmpty ? nil : renderer.sitemapMonth(site: site, articles: items)
        }
    }

    /// The months the sitemap index lists, newest first, with their newest item's time: found
    /// one step down the index per month (`publishing.site_months`), answers included on the portal.
    static func sitemapMonths(domain: String, on connection: Connection) throws -> [PageRenderer.SitemapMonth] {
        var latest = [String: Date]()
        let sources = domain == SiteDomain.portal
            ? "SELECT month, latest FROM publishing.site_months($1) UNION ALL SELECT month, latest FROM publishing.answer_months()"
            : "SELECT month, latest FROM publishing.site_months($1)"
        for row in try connection.query(sources, [domain]).rows {
            let month: String = try row.decode("month"), time: Date = try row.decode("latest")
            latest[month] = max(time, latest[month] ?? time)
        }
        return latest.sorted { $0.key > $1.key }.map { PageRenderer.SitemapMonth(month: $0.key, latest: $0.value) }
    }

    /// A month's items on a site, newest first.
    static func items(of month: YearMonth, domain: String, limit: Int, offset: Int, on connection: Connection) throws -> [PageRenderer.Listed] {
        try connection.query(
            """
            SELECT a.title, a.summary, a.path, a.published_at
            FROM (SELECT article_id, published_at FROM publishing.site_items
                  WHERE domain = $1 AND published_at >= \(monthStart("$2")) AND published_at < \(monthStart("$2", plus: 1))
                  ORDER BY published_at DESC, article_id DESC LIMIT $3 OFFSET $4) i
            JOIN publishing.articles a ON a.id = i.article_id
            ORDER BY i.published_at DESC, i.article_id DESC
            """, [domain, month.description, limit, offset]
        ).rows.map(SiteLists.listed)
    }

    /// SQL for the first instant of a month (`YYYY-MM`, a column or parameter) in Ho Chi Minh City's time.
    static func monthStart(_ month: String, plus months: Int = 0) -> String {
        "((\(month) || '-01')::date + interval '\(months) month')::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh'"
    }
}
