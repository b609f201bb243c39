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
        var categories: [String]
        /// The first image's blob and name and alt text, resolved to files only for the home page.
        var leadImage: (sha256: String, filename: String, alt: String)?
    }

    public func write(_ site: SiteRegistry.Site, on connection: Connection) throws {
        let items = try connection.query(
            """
            SELECT title, summary, path, published_at,
                   array_to_json(categories)::text AS categories, lead_sha256, lead_filename, lead_alt
            FROM publishing.articles WHERE state = 'published' AND $1 = ANY(domains) ORDER BY published_at DESC, id
            """, [site.domain]
        ).rows.map { row in
            let listed = PageRenderer.Listed(
                title: try row.decode("title"), path: try row.decode("path"), summary: try row.decodeIfPresent("summary"),
                publishedAt: try row.decode("published_at"))
            let leadImage = try row.decodeIfPresent("lead_sha256", as: String.self).map {
                ($0, try row.decodeIfPresent("lead_filename") ?? "", try row.decodeIfPresent("lead_alt") ?? "")
            }
            return Item(listed: listed, categories: try JSONDecoder().decode([String].self, from: Data(try row.decode("categories", as: String.self).utf8)),
                        leadImage: leadImage)
        }
        let updated = items.first?.listed.publishedAt ?? site.createdAt
        var listed = items.map(\.listed)
        let answers = AnswerPages(renderer: renderer, files: files)
        try answers.writeIndex(site, on: connection)
        if site.domain == SiteDomain.portal {
            // Published answers are in the portal's sitemap and feeds, newest first with its items.
            listed = (listed + (try AnswerPages.listed(limit: 50_000, on: connection))).sorted { $0.publishedAt > $1.publishedAt }
        }

        var byCategory = [String: [PageRenderer.Listed]]()
        for item in items {
            for name in Set(item.categories) { byCategory[name, default: []].append(item.listed) }
        }
        let categories = Self.categories(byCategory)
        let domain = site.domain
        let documents = try LegalDocuments.find(LegalDocuments.Query(), domain: domain, limit: 200, on: connection)
        try files.write(
            renderer.home(site: site, articles: items.prefix(13).map { item in
                var listed = item.listed
                listed.lead = item.leadImage.flatMap { lead(sha256: $0.sha256, filename: $0.filename, alt: $0.alt, domain: domain) }
                return listed
            }, categories: categories, documents: documents, updated: updated),
            domain: domain, page: "index.html")
        for category in categories {
            let members = byCategory[category.name] ?? []
            let pages = renderer.category(category, site: site, articles: Array(members.prefix(50)), updated: members.first?.publishedAt ?? updated)
            try files.write(pages.page, domain: domain, page: "chuyen-muc/\(category.slug)/index.html")
            try files.write(pages.rss, domain: domain, page: "chuyen-muc/\(category.slug)/rss.xml")
            try files.write(pages.atom, domain: domain, page: "chuyen-muc/\(category.slug)/atom.xml")
        }
        try files.write(renderer.categories(categories, site: site, updated: updated), domain: domain, page: "chuyen-muc/index.html")
        let indexes = renderer.indexes(site: site, articles: listed, categories: categories, updated: updated)
        try files.write(indexes.sitemap, domain: domain, page: "so-do-trang.html")
        try files.write(indexes.sitemapXML, domain: domain, page: "sitemap.xml")
        try files.write(indexes.rss, domain: domain, page: "rss.xml")
        try files.write(indexes.atom, domain: domain, page: "atom.xml")
        try files.write(renderer.legal(site: site, documents: documents, query: nil, updated: updated), domain: domain, page: "van-ban/index.html")
        let links = try connection.query("SELECT url, name FROM publishing.agency_links ORDER BY position, url").rows.map {
            PageRenderer.AgencyLink(url: try $0.decode("url"), name: try $0.decode("name"))
        }
        try files.write(renderer.links(links, site: site, updated: updated), domain: domain, page: "lien-ket.html")
        try files.write(renderer.english(site: site, units: try unitSites(of: site, on: connection), updated: updated), domain: domain, page: "en/index.html")
        try files.write(renderer.privacy(site: site, updated: updated), domain: domain, page: "chinh-sach-bao-ve-du-lieu-ca-nhan.html")
        try files.write(renderer.notFound(site: site), domain: domain, page: SiteServer.notFoundPage)
        if let emblem = PageRenderer.emblem { try files.write(emblem.bytes, domain: domain, page: emblem.page) }
    }

    /// An item's lead image as the lists show it: the thumbnails written at publication, the
    /// original where none could be made; none when the site's folder lacks the file (the item's
    /// pages are always written before the lists, at publication and in a rebuild alike).
    func lead(sha256: String, filename: String, alt: String, domain: String) -> PageRenderer.Listed.Lead? {
        func exists(_ path: String) -> Bool { files.exists(domain: domain, page: String(path.dropFirst())) }
        let original = PublishedFiles.path(sha256: sha256, filename: filename)
        guard exists(original) else { return nil }
        func thumbnail(_ width: Int) -> String? {
            let path = Thumbnails.path(sha256: sha256, width: width, folder: PublishedFiles.folder)
            return exists(path) ? path : nil
        }
        return .init(src: original, alt: alt, small: thumbnail(320), large: thumbnail(640))
    }

    /// Categories in alphabetical order, each with a slug unique on the site.
    static func categories(_ byCategory: [String: [PageRenderer.Listed]]) -> [PageRenderer.Category] {
        var taken = Set<String>()
        // By the name without diacritics, so that the order never depends on the machine's locale data.
        return byCategory.keys.sorted { (Slug.make($0), $0) < (Slug.make($1), $1) }
            .map { name in
                var slug = Slug.make(name), suffix = 2
                while taken.contains(slug) { slug = "\(Slug.make(name))-\(suffix)"; suffix += 1 }
                taken.insert(slug)
                return PageRenderer.Category(name: name, slug: slug, count: byCategory[name]?.count ?? 0)
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
