import Foundation
import Images
import Models
import Store

/// The pages of a site that list its items or stand beside them: the home page (the latest
/// twenty), a page and RSS/Atom feeds per category, the legal documents, the sitemap for
/// people and as XML, the site's feeds, the links to other agencies, the English
/// page and the privacy notice. Taken-down and scheduled items are in none of them.
/// Everything here is read from the database, so a rebuild writes the same bytes.
public struct SiteLists: Sendable {
    let renderer: PageRenderer
    let files: SiteFiles

    public init(renderer: PageRenderer, files: SiteFiles) {
        self.renderer = renderer
        self.files = files
    }

    struct Item {
        var listed: PageRenderer.Listed
        /// The first image's blob and name and alt text, resolved to files only for the home page.
        var leadImage: (sha256: String, filename: String, alt: String)?
    }

    /// How many of the newest items the lists carry: the sitemap page a hundred (the archive by
    /// month and the monthly sitemaps have the rest), feeds and category pages fifty, the home page 13.
    static let sitemapPageLength = 100
    static let feedLength = 50
    static let categoryLength = 50
    static let homeLength = 13

    /// Draws the site's lists from its newest items only, through `publishing.site_items` and
    /// `publishing.category_items`: what a redraw costs does not grow with the archive, which the
    /// archive by month and the monthly sitemaps (`SiteArchive`) serve from the database.
    public func write(_ site: SiteRegistry.Site, on connection: Connection) throws {
        let domain = site.domain
        let items = try Self.newest(domain: domain, limit: Self.sitemapPageLength, on: connection)
        let updated = items.first?.listed.publishedAt ?? site.createdAt
        var listed = items.map(\.listed)
        let answers = AnswerPages(renderer: renderer, files: files)
        try answers.writeIndex(site, on: connection)
        if domain == SiteDomain.portal {
            // Published answers are in the portal's sitemap and feeds, newest first with its items.
            listed = Array((listed + (try AnswerPages.listed(limit: Self.sitemapPageLength, on: connection)))
                .sorted { $0.publishedAt > $1.publishedAt }.prefix(Self.sitemapPageLength))
        }
        let categories = Self.categories(try Self.categoryCounts(domain: domain, on: connection))
        let byCategory = try Self.newestByCategory(domain: domain, categories: categories.map(\.name), limit: Self.categoryLength, on: connection)
        let documents = try LegalDocuments.find(LegalDocuments.Query(), domain: domain, limit: 200, on: connection)
        let batch = files.batch()
        try batch.write(
            renderer.home(site: site, articles: items.prefix(Self.homeLength).map { item in
                var listed = item.listed
                listed.lead = item.leadImage.flatMap { lead(sha256: $0.sha256, filename: $0.filename, alt: $0.alt, domain: domain) }
                return listed
            }, categories: categories, documents: documents, updated: updated),
            domain: domain, page: "index.html")
        for category in categories {
            let members = byCategory[category.name] ?? []
            let pages = renderer.category(category, site: site, articles: members, updated: members.first?.publishedAt ?? updated)
            try batch.write(pages.page, domain: domain, page: "chuyen-muc/\(category.slug)/index.html")
            try batch.write(pages.rss, domain: domain, page: "chuyen-muc/\(category.slug)/rss.xml")
            try batch.write(pages.atom, domain: domain, page: "chuyen-muc/\(category.slug)/atom.xml")
        }
        try batch.write(renderer.categories(categories, site: site, updated: updated), domain: domain, page: "chuyen-muc/index.html")
        let months = try SiteArchive.sitemapMonths(domain: domain, on: connection)
        let indexes = renderer.indexes(site: site, articles: listed, categories: categories, months: months, updated: updated)
        try batch.write(indexes.sitemap, domain: domain, page: "so-do-trang.html")
        try batch.write(indexes.sitemapIndex, domain: domain, page: "sitemap.xml")
        try batch.write(indexes.sitemapPages, domain: domain, page: SiteArchive.pagesSitemap)
        try batch.write(indexes.rss, domain: domain, page: "rss.xml")
        try batch.write(indexes.atom, domain: domain, page: "atom.xml")
        try batch.write(renderer.legal(site: site, documents: documents, query: nil, updated: updated), domain: domain, page: "van-ban/index.html")
        let links = try connection.query("SELECT url, name FROM publishing.agency_links ORDER BY position, url").rows.map {
            PageRenderer.AgencyLink(url: try $0.decode("url"), name: try $0.decode("name"))
        }
        try batch.write(renderer.links(links, site: site, updated: updated), domain: domain, page: "lien-ket.html")
        try batch.write(renderer.english(site: site, units: try unitSites(of: site, on: connection), updated: updated), domain: domain, page: "en/index.html")
        try batch.write(renderer.privacy(site: site, updated: updated), domain: domain, page: "chinh-sach-bao-ve-du-lieu-ca-nhan.html")
        try batch.write(renderer.notFound(site: site), domain: domain, page: SiteServer.notFoundPage)
        if let emblem = PageRenderer.emblem { try batch.write(emblem.bytes, domain: domain, page: emblem.page) }
        // A redraw's twenty-odd files are flushed to the disk together, not one flush each.
        try batch.sync()
    }

    /// The site's newest published items, newest first (backwards along `site_items`' key).
    static func newest(domain: String, limit: Int, on connection: Connection) throws -> [Item] {
        try connection.query(
            """
            SELECT a.title, a.summary, a.path, a.published_at, a.lead_sha256, a.lead_filename, a.lead_alt
            FROM (SELECT article_id, published_at FROM publishing.site_items WHERE domain = $1
                  ORDER BY published_at DESC, article_id DESC LIMIT $2) s
            JOIN publishing.articles a ON a.id = s.article_id
            ORDER BY s.published_at DESC, s.article_id DESC
            """, [domain, limit]
        ).rows.map { row in
            let leadImage = try row.decodeIfPresent("lead_sha256", as: String.self).map {
                ($0, try row.decodeIfPresent("lead_filename") ?? "", try row.decodeIfPresent("lead_alt") ?? "")
            }
            return Item(listed: try listed(row), leadImage: leadImage)
        }
    }

    /// How many published items each category of the site has (an index-only count).
    static func categoryCounts(domain: String, on connection: Connection) throws -> [String: Int] {
        var counts = [String: Int]()
        for row in try connection.query(
            "SELECT category, count(*) AS n FROM publishing.category_items WHERE domain = $1 GROUP BY category", [domain]
        ).rows {
            counts[try row.decode("category")] = try row.decode("n")
        }
        return counts
    }

    /// Each category's newest items, newest first: one short walk down the index per category.
    static func newestByCategory(domain: String, categories: [String], limit: Int, on connection: Connection) throws -> [String: [PageRenderer.Listed]] {
        guard !categories.isEmpty else { return [:] }
        var byCategory = [String: [PageRenderer.Listed]]()
        for row in try connection.query(
            """
            SELECT c.name AS category, a.title, a.summary, a.path, a.published_at
            FROM unnest($2::text[]) AS c(name)
            CROSS JOIN LATERAL (
                SELECT article_id, published_at FROM publishing.category_items
                WHERE domain = $1 AND category = c.name ORDER BY published_at DESC, article_id DESC LIMIT $3
            ) i
            JOIN publishing.articles a ON a.id = i.article_id
            ORDER BY c.name, i.published_at DESC, i.article_id DESC
            """, [domain, SQLArray.literal(categories), limit]
        ).rows {
            byCategory[try row.decode("category"), default: []].append(try listed(row))
        }
        return byCategory
    }

    static func listed(_ row: Row) throws -> PageRenderer.Listed {
        PageRenderer.Listed(
            title: try row.decode("title"), path: try row.decode("path"), summary: try row.decodeIfPresent("summary"),
            publishedAt: try row.decode("published_at"))
    }

    /// An item's lead image as the lists show it: the thumbnails written at publication. None
    /// when the site's folder lacks them (the item's pages are always written before the lists,
    /// at publication and in a rebuild alike), and none when libvips could not make one: a file
    /// it cannot read would be a broken picture on the home page (intake refuses such files now;
    /// this keeps those accepted before it did off the lists).
    func lead(sha256: String, filename: String, alt: String, domain: String) -> PageRenderer.Listed.Lead? {
        func exists(_ path: String) -> Bool { files.exists(domain: domain, page: String(path.dropFirst())) }
        func thumbnail(_ width: Int) -> String? {
            let path = Thumbnails.path(sha256: sha256, width: width, folder: PublishedFiles.folder)
            return exists(path) ? path : nil
        }
        let original = PublishedFiles.path(sha256: sha256, filename: filename)
        guard let small = thumbnail(Thumbnails.widths[0]), exists(original) else { return nil }
        return .init(src: original, alt: alt, small: small, large: thumbnail(Thumbnails.widths[1]))
    }

    /// Categories in alphabetical order, each with a slug unique on the site.
    static func categories(_ counts: [String: Int]) -> [PageRenderer.Category] {
        var taken = Set<String>()
        // By the name without diacritics, so that the order never depends on the machine's locale data.
        return counts.keys.sorted { (Slug.make($0), $0) < (Slug.make($1), $1) }
            .map { name in
                var slug = Slug.make(name), suffix = 2
                while taken.contains(slug) { slug = "\(Slug.make(name))-\(suffix)"; suffix += 1 }
                taken.insert(slug)
                return PageRenderer.Category(name: name, slug: slug, count: counts[name] ?? 0)
            }
    }

    /// On the portal, every component site in force; on a unit's site, none.
    func unitSites(of site: SiteRegistry.Site, on connection: Connection) throws -> [PageRenderer.UnitSite] {
        guard site.domain == SiteDomain.portal else { return [] }
        return try connection.query(
            "SELECT domain, name, coalesce(name_en, name) AS name_en FROM publishing.sites WHERE status = 'active' AND kind NOT IN ('portal', 'bench') ORDER BY domain"
        ).rows.map { PageRenderer.UnitSite(name: try $0.decode("name"), nameEn: try $0.decode("name_en"), domain: try $0.decode("domain")) }
    }
}

/// A category's name as a path segment: lower-case ASCII, đ → d, diacritics dropped, words joined by '-'.
enum Slug {
    static func make(_ name: String) -> String {
        let mapped = name.precomposedStringWithCanonicalMapping.map { $0 == "đ" || $0 == "Đ" ? "d" : String($0) }.joined()
        var slug = "", pendingDash = false
        for scalar in mapped.decomposedStringWithCanonicalMapping.lowercased().unicodeScalars {
            if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) {
                if pendingDash, !slug.isEmpty { slug += "-" }
                slug.unicodeScalars.append(scalar)
                pendingDash = false
            } else if scalar.properties.generalCategory != .nonspacingMark {
                pendingDash = true
            }
        }
        return slug.isEmpty ? "chuyen-muc" : String(slug.prefix(80))
    }
}
