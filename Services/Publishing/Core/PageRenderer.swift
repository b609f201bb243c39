import ContentSafety
import Foundation
import Models
import Mustache

/// Renders the pages of a site from Mustache templates: Vietnamese text, Dublin Core metadata
/// with the six mandatory elements never empty (R-2.1), source and author (R-1.5), print and save
/// (R-3.3), and the footer of R-3.7.
public struct PageRenderer: Sendable {
    let library: MustacheLibrary

    public init(library: MustacheLibrary) {
        self.library = library
    }

    public static func templates() async throws -> MustacheLibrary {
        guard let folder = Bundle.module.path(forResource: "Templates", ofType: nil) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "Templates in the publishing bundle"])
        }
        // Before the templates are read: their first tag names it.
        MustacheContentTypes.register(PortalHTML(), named: "PortalHTML")
        return try await MustacheLibrary(directory: folder)
    }

    /// HTML escaping through `HTMLSanitizer.escape`, which works on bytes and returns text without
    /// special characters as it is: the library's own escaping looked each character up in a
    /// dictionary, 11 % of the publisher's time. The templates rendered as pages start with
    /// `{{% CONTENT_TYPE: PortalHTML}}`, and so do their partials: the library renders a partial
    /// with its own content type, HTML unless it names one.
    struct PortalHTML: MustacheContentType {
        func escapeText(_ text: String) -> String { HTMLSanitizer.escape(text) }
    }

    static let publisher = "Cổng Thông tin điện tử tỉnh Long An"

    /// The emblem in the banner of every site: the image at `PUBLISHING_EMBLEM_PATH` (PNG, JPEG or
    /// SVG), published with each site's lists as `/giao-dien/bieu-trung.<ext>`; without one, the
    /// banner keeps its place empty.
    public static let emblem: (page: String, bytes: [UInt8])? = {
        guard let path = ProcessInfo.processInfo.environment["PUBLISHING_EMBLEM_PATH"], !path.isEmpty,
              let data = FileManager.default.contents(atPath: path) else { return nil }
        let ext = (path as NSString).pathExtension.lowercased()
        guard ["png", "jpg", "jpeg", "svg"].contains(ext) else { return nil }
        return ("giao-dien/bieu-trung.\(ext)", [UInt8](data))
    }()

    static let text: [String: String] = [
        "skip": "Bỏ qua, đến nội dung chính", "menu": "Trình đơn", "home": "Trang chủ", "source": "Nguồn", "author": "Tác giả",
        "correction": "Đính chính", "files": "Tệp đính kèm", "sourceLine": "Nguồn tin", "print": "In bài viết",
        "save": "Lưu bài viết", "printVersion": "bản in", "latest": "Tin mới", "noArticles": "Chưa có tin, bài.",
        "privacy": "Chính sách bảo vệ thông tin cá nhân", "goneHeading": "Thông tin đã được gỡ bỏ",
        "archive": "Lưu trữ", "moreNews": "Xem tin cũ hơn theo tháng", "newDocuments": "Văn bản mới", "allDocuments": "Tất cả văn bản",
        "publicServices": "Dịch vụ công trực tuyến", "ownerLabel": "Cơ quan chủ quản", "responsibleLabel": "Chịu trách nhiệm chính",
        "addressLabel": "Địa chỉ", "phoneLabel": "Điện thoại", "emailLabel": "Thư điện tử", "archiveHeading": "Tin, bài theo tháng",
        "monthHeading": "Tin, bài tháng", "previousPage": "Trang trước", "nextPage": "Trang sau", "pages": "Trang",
        "sitemap": "Sơ đồ trang", "allArticles": "Tin, bài mới nhất", "search": "Tìm kiếm", "searchLabel": "Từ khóa (có dấu hoặc không dấu)",
        "searchButton": "Tìm", "results": "Kết quả", "noResults": "Không tìm thấy tin, bài nào.",
        "footerOwner": "Cơ quan chủ quản: Ủy ban nhân dân tỉnh Long An.",
        "footerResponsible": "Chịu trách nhiệm chính: Chánh Văn phòng Ủy ban nhân dân tỉnh.",
        "footerAddress": "Địa chỉ: số 61 Nguyễn Huệ, Phường 1, thành phố Tân An, tỉnh Long An.",
        "footerContact": "Điện thoại: (0272) 3 552 466 · Thư điện tử: webmaster@longan.gov.vn",
        "categories": "Chuyên mục", "legalDocuments": "Văn bản", "questions": "Hỏi đáp", "legalDocument": "Thông tin văn bản", "links": "Liên kết",
        "legalNumber": "Số ký hiệu", "legalForm": "Loại văn bản", "legalIssuer": "Cơ quan ban hành", "issueDate": "Ngày ban hành",
        "effectiveDate": "Ngày hiệu lực", "legalSummary": "Trích yếu", "issuedFrom": "Ban hành từ ngày", "issuedTo": "đến ngày",
        "effectiveOn": "Có hiệu lực vào ngày", "noDocuments": "Không có văn bản nào.",
    ]

    /// The same labels on the English pages (R-3.4).
    static let english: [String: String] = [
        "skip": "Skip to main content", "menu": "Menu", "home": "Home", "sitemap": "Site map", "search": "Search",
        "categories": "Categories", "legalDocuments": "Legal documents", "questions": "Q&A", "links": "Links", "privacy": "Personal data protection policy",
        "archive": "Archive", "ownerLabel": "Owner", "responsibleLabel": "Responsible", "addressLabel": "Address", "phoneLabel": "Phone",
        "emailLabel": "Email",
        "footerOwner": "Owner: People's Committee of Long An Province.",
        "footerResponsible": "Responsible: Chief of the Office of the Provincial People's Committee.",
        "footerAddress": "Address: 61 Nguyen Hue Street, Ward 1, Tan An City, Long An Province, Viet Nam.",
        "footerContact": "Phone: +84 272 3 552 466 · Email: webmaster@longan.gov.vn",
    ]

    struct Image: Sendable {
        var src: String
        var alt: String
        /// The thumbnails, as `srcset` lists them ("/tep/…-320.jpg 320w, …"); empty when none could be made.
        var srcset: String = ""
    }

    struct File: Sendable {
        var src: String
        var filename: String
    }

    /// The article page and its print version for `site`.
    func article(
        _ content: CanonicalRevision, site: SiteRegistry.Site, unitName: String, path: String, publishedAt: Date, images: [Image], files: [File],
        legal: LegalDocumentDetails? = nil
    ) -> (page: String, print: String) {
        let authors = content.classification.authors.map(\.name).joined(separator: "; ")
        let description = content.summary ?? String(HTMLSanitizer.plainText(content.bodyHTML).prefix(200))
        let date = Self.isoDate(publishedAt)
        var values: [String: Any] = [
            "lang": content.language, "pageTitle": content.title, "title": content.title, "site": Self.site(site),
            "dc": [
                "title": content.title, "creator": authors.isEmpty ? unitName : authors, "date": date,
                "description": description.isEmpty ? content.title : description, "publisher": Self.publisher,
                "identifier": "https://\(site.domain)\(path)", "source": unitName,
                "subject": (content.classification.categories + content.classification.fields).joined(separator: "; "),
            ],
            "t": Self.text, "publishedLocal": PortalCalendar.date(publishedAt), "source": unitName,
            "authors": authors.isEmpty ? unitName : authors, "bodyHTML": content.bodyHTML,
            "images": images.map { ["src": $0.src, "alt": $0.alt, "srcset": $0.srcset] }, "files": files.map { ["src": $0.src, "filename": $0.filename] },
            "hasFiles": !files.isEmpty, "path": path, "printPath": path.replacingOccurrences(of: ".html", with: ".in.html"),
        ]
        if let summary = content.summary { values["summary"] = summary }
        if let note = content.correctionNote { values["correctionNote"] = note }
        if let legal { values["legal"] = Self.legalValues(legal, path: path, files: files) }
        return (render("article", values), render("print", values))
    }

    struct Listed: Sendable {
        var title: String
        var path: String
        var summary: String?
        var publishedAt: Date
        /// The item's first image and its thumbnails, when it has one.
        var lead: Lead? = nil

        struct Lead: Sendable {
            var src: String
            var alt: String
            var small: String?
            var large: String?
        }

        var values: [String: Any] {
            var values: [String: Any] = [
                "title": title, "path": path, "date": PageRenderer.isoDate(publishedAt), "dateLocal": PortalCalendar.date(publishedAt),
                "rfc822": PageRenderer.rfc822(publishedAt), "iso": Timestamp.format(publishedAt),
            ]
            if let summary { values["summary"] = summary }
            if let lead {
                var image: [String: Any] = ["src": lead.small ?? lead.src, "alt": lead.alt, "full": lead.large ?? lead.src]
                let sources = [lead.small.map { "\($0) 320w" }, lead.large.map { "\($0) 640w" }].compactMap { $0 }
                if !sources.isEmpty { image["srcset"] = sources.joined(separator: ", ") }
                values["lead"] = image
            }
            return values
        }
    }

    struct Category: Sendable {
        var name: String
        var slug: String
        var count: Int
        var values: [String: Any] { ["name": name, "slug": slug, "count": VietnameseNumber.grouped(count)] }
    }

    /// The home page as citizens know it from provincial portals: a featured story with its photo,
    /// the latest news with thumbnails, and beside them the categories, the newest legal documents
    /// and the links to online public services.
    func home(site: SiteRegistry.Site, articles: [Listed], categories: [Category], documents: [LegalListing], updated: Date) -> String {
        let featured = articles.first { $0.lead != nil }
        let rest = articles.filter { $0.path != featured?.path }
        var values: [String: Any] = [
            "lang": "vi", "pageTitle": "Trang chủ", "site": Self.site(site), "t": Self.text, "noArticles": articles.isEmpty,
            "dc": Self.siteMetadata(site, path: "/", description: "Tin tức, văn bản và thông tin của \(site.name)", updated: updated),
            "articles": rest.map(\.values), "categories": categories.map(\.values), "hasCategories": !categories.isEmpty,
            "documents": documents.prefix(5).map { Self.legalValues($0.details, path: $0.path, files: $0.files) }, "hasDocuments": !documents.isEmpty, "services": Self.publicServices,
        ]
        if let featured { values["featured"] = featured.values }
        return render("home", values)
    }

    struct ArchiveMonth: Sendable {
        var month: YearMonth
        var count: Int
    }

    /// The archive's index: every month with items, newest first.
    func archive(site: SiteRegistry.Site, months: [ArchiveMonth]) -> String {
        render("archive", [
            "lang": "vi", "pageTitle": Self.text["archiveHeading"] ?? "", "site": Self.site(site), "t": Self.text,
            "heading": Self.text["archiveHeading"] ?? "", "isIndex": true,
            "months": months.map { ["code": $0.month.description, "label": $0.month.vietnamese, "count": VietnameseNumber.grouped($0.count)] },
            "noArticles": months.isEmpty,
            "dc": Self.siteMetadata(site, path: "/luu-tru/", description: "Tin, bài của \(site.name) theo tháng", updated: Date(timeIntervalSince1970: 0)),
        ])
    }

    /// One month of the archive, a page at a time.
    func archiveMonth(site: SiteRegistry.Site, month: YearMonth, articles: [Listed], page: Int, hasNext: Bool) -> String {
        let base = "/luu-tru/\(month)"
        var values: [String: Any] = [
            "lang": "vi", "pageTitle": "\(Self.text["monthHeading"] ?? "") \(month.vietnamese)\(page > 1 ? " – trang \(page)" : "")",
            "site": Self.site(site), "t": Self.text, "heading": "\(Self.text["monthHeading"] ?? "") \(month.vietnamese)",
            "articles": articles.map(\.values), "noArticles": articles.isEmpty, "page": page,
            "dc": Self.siteMetadata(site, path: base, description: "Tin, bài tháng \(month.vietnamese) của \(site.name)",
                                    updated: articles.first?.publishedAt ?? Date(timeIntervalSince1970: 0)),
        ]
        if page > 1 { values["previousPage"] = page == 2 ? base : "\(base)?trang=\(page - 1)" }
        if hasNext { values["nextPage"] = "\(base)?trang=\(page + 1)" }
        return render("archive", values)
    }

    /// Online public services the province's citizens use (links out).
    static let publicServices: [[String: String]] = [
        ["name": "Cổng Dịch vụ công quốc gia", "url": "https://dichvucong.gov.vn"],
        ["name": "Hệ thống thông tin giải quyết thủ tục hành chính tỉnh", "url": "https://dichvucong.longan.gov.vn"],
        ["name": "Tra cứu hồ sơ thủ tục hành chính", "url": "https://dichvucong.longan.gov.vn/tra-cuu"],
        ["name": "Cổng Thông tin điện tử Chính phủ", "url": "https://chinhphu.vn"],
    ]

    /// A month in the sitemap index, with the time of its newest item.
    struct SitemapMonth: Sendable {
        var month: String
        var latest: Date
    }

    /// The sitemap for people (R-3.7) with the newest items, the sitemap index with the site's own
    /// pages and a sitemap per month, and the RSS 2.0 and Atom feeds of the site.
    func indexes(
        site: SiteRegistry.Site, articles: [Listed], categories: [Category], months: [SitemapMonth], updated: Date
    ) -> (sitemap: String, sitemapIndex: String, sitemapPages: String, rss: String, atom: String) {
        var values: [String: Any] = [
            "lang": "vi", "pageTitle": Self.text["sitemap"] ?? "", "site": Self.site(site), "t": Self.text,
            "articles": articles.map(\.values),
            "categories": categories.map(\.values), "feedTitle": site.name, "feedBase": "", "updated": Timestamp.format(updated),
            "dc": Self.siteMetadata(site, path: "/so-do-trang.html", description: "Sơ đồ trang của \(site.name)", updated: updated),
            "pagesSitemap": SiteArchive.pagesSitemap, "pagesUpdated": Self.isoDate(updated),
            "months": months.map { ["month": $0.month, "date": Self.isoDate($0.latest)] },
        ]
        let sitemap = render("sitemap", values)
        let sitemapIndex = render("sitemap-index", values)
        let sitemapPages = render("sitemap-xml", values)
        values["articles"] = articles.prefix(SiteLists.feedLength).map(\.values)
        return (sitemap, sitemapIndex, sitemapPages, render("rss", values), render("atom", values))
    }

    /// One month's sitemap: every item of the month with its date.
    func sitemapMonth(site: SiteRegistry.Site, articles: [Listed]) -> String {
        render("sitemap-month", ["site": Self.site(site), "articles": articles.map(\.values)])
    }

    /// A category's page and its RSS and Atom feeds.
    func category(_ category: Category, site: SiteRegistry.Site, articles: [Listed], updated: Date) -> (page: String, rss: String, atom: String) {
        let base = "/chuyen-muc/\(category.slug)"
        let values: [String: Any] = [
            "lang": "vi", "pageTitle": category.name, "site": Self.site(site), "t": Self.text, "articles": articles.map(\.values),
            "noArticles": articles.isEmpty, "categoryName": category.name, "slug": category.slug,
            "feedTitle": "\(category.name) · \(site.name)", "feedBase": base, "updated": Timestamp.format(updated),
            "dc": Self.siteMetadata(site, path: base + "/", description: "\(category.name): tin, bài của \(site.name)", updated: updated)
                .merging(["title": category.name, "subject": category.name]) { $1 },
        ]
        return (render("category", values), render("rss", values), render("atom", values))
    }

    func categories(_ categories: [Category], site: SiteRegistry.Site, updated: Date) -> String {
        render("categories", [
            "lang": "vi", "pageTitle": Self.text["categories"] ?? "", "site": Self.site(site), "t": Self.text,
            "categories": categories.map(\.values), "noCategories": categories.isEmpty,
            "dc": Self.siteMetadata(site, path: "/chuyen-muc/", description: "Các chuyên mục của \(site.name)", updated: updated),
        ])
    }

    struct LegalListing: Sendable {
        var details: LegalDocumentDetails
        var path: String
        var files: [File]
    }

    struct LegalQuery: Sendable {
        var number = "", issuer = "", form = "", from = "", to = "", effective = ""
        var values: [String: Any] { ["number": number, "issuer": issuer, "form": form, "from": from, "to": to, "effective": effective] }
    }

    /// The legal documents of a site with the search form of R-3.5; `query` set for a search's results.
    func legal(site: SiteRegistry.Site, documents: [LegalListing], query: LegalQuery?, problem: String? = nil, updated: Date) -> String {
        var values: [String: Any] = [
            "lang": "vi", "pageTitle": Self.text["legalDocuments"] ?? "", "site": Self.site(site), "t": Self.text,
            "documents": documents.map { Self.legalValues($0.details, path: $0.path, files: $0.files) }, "noDocuments": documents.isEmpty,
            "query": (query ?? LegalQuery()).values, "asked": query != nil,
            "dc": Self.siteMetadata(site, path: "/van-ban/", description: "Văn bản quy phạm pháp luật, văn bản chỉ đạo điều hành", updated: updated),
        ]
        if let problem { values["problem"] = problem }
        return render("legal", values)
    }

    static func legalValues(_ legal: LegalDocumentDetails, path: String, files: [File]) -> [String: Any] {
        [
            "number": legal.number, "form": legal.formName, "issuer": legal.issuer, "summary": legal.summary, "path": path,
            "issueDate": legal.issueDate.description, "issueDateLocal": legal.issueDate.vietnamese,
            "effectiveDate": legal.effectiveDate.description, "effectiveDateLocal": legal.effectiveDate.vietnamese,
            "files": files.map { ["src": $0.src, "filename": $0.filename] },
        ]
    }

    struct AgencyLink: Sendable {
        var url: String
        var name: String
    }

    /// Links to other state agencies' portals (R-3.2).
    func links(_ links: [AgencyLink], site: SiteRegistry.Site, updated: Date) -> String {
        render("links", [
            "lang": "vi", "pageTitle": Self.text["links"] ?? "", "site": Self.site(site), "t": Self.text,
            "links": links.map { ["url": $0.url, "name": $0.name] },
            "dc": Self.siteMetadata(site, path: "/lien-ket.html", description: "Liên kết đến cổng thông tin của các cơ quan nhà nước", updated: updated),
        ])
    }

    struct UnitSite: Sendable {
        var name: String
        var nameEn: String
        var domain: String
    }

    /// The English page of a site (R-3.4): the organisation, its functions and contacts; on the portal,
    /// the units and their sites too.
    func english(site: SiteRegistry.Site, units: [UnitSite], updated: Date) -> String {
        let nameEn = site.nameEn ?? site.name
        let isPortal = site.domain == SiteDomain.portal
        let about = isPortal
            ? "The Long An Provincial Portal is the official website of the People's Committee of Long An Province. It is run by the Office of the Provincial People's Committee, with the component websites of the province's departments, agencies, communes and wards."
            : "\(nameEn) is a unit of Long An Province. This component website of the Long An Provincial Portal publishes its news, documents and information."
        let functions = isPortal
            ? "The portal publishes the news, policies, legal documents and administrative information of the province; answers citizens' questions; and publishes draft documents for public comment."
            : "\(nameEn) advises the Provincial People's Committee and carries out state administration in its field or area, as the province's decisions set out."
        return render("english", [
            "lang": "en", "pageTitle": "English", "site": Self.site(site).merging(["nameEn": nameEn]) { $1 }, "t": Self.english,
            "about": about, "functions": functions, "units": units.map { ["name": $0.name, "nameEn": $0.nameEn, "domain": $0.domain] },
            "hasUnits": !units.isEmpty,
            "dc": ["title": nameEn, "creator": nameEn, "date": Self.isoDate(updated), "description": about, "publisher": "Long An Provincial Portal",
                   "identifier": "https://\(site.domain)/en/", "source": nameEn],
        ])
    }

    func search(site: SiteRegistry.Site, question: String?, hits: [Listed]) -> String {
        var values: [String: Any] = [
            "lang": "vi", "pageTitle": Self.text["search"] ?? "", "site": Self.site(site), "t": Self.text, "asked": question != nil,
            "noHits": hits.isEmpty,
            "hits": hits.map(\.values),
            "dc": Self.siteMetadata(site, path: "/tim-kiem", description: "Tìm kiếm thông tin trên \(site.name)", updated: Date()),
        ]
        if let question { values["question"] = question }
        return render("search", values)
    }

    /// RFC 822 dates for RSS, in the province's time zone (which keeps +0700 all year).
    static func rfc822(_ date: Date) -> String {
        let calendar = PortalCalendar.gregorian
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let offset = PortalCalendar.timeZone.secondsFromGMT(for: date) / 60
        return String(format: "%@, %02d %@ %04d %02d:%02d:%02d %@%02d%02d", days[(parts.weekday ?? 1) - 1], parts.day ?? 1,
                      months[(parts.month ?? 1) - 1], parts.year ?? 1970, parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0,
                      offset < 0 ? "-" : "+", abs(offset) / 60, abs(offset) % 60)
    }

    func gone(site: SiteRegistry.Site, title: String, explanation: String, path: String) -> String {
        render("gone", [
            "lang": "vi", "pageTitle": Self.text["goneHeading"] ?? "", "site": Self.site(site), "t": Self.text, "explanation": explanation,
            "dc": Self.siteMetadata(site, path: path, description: explanation, updated: Date(timeIntervalSince1970: 0)),
        ])
    }

    public func render(_ template: String, _ values: [String: Any]) -> String {
        library.render(values, withTemplate: template) ?? ""
    }

    /// The site's name and the footer of R-3.7: its own unit, the person responsible, address and
    /// contacts (`core.unit_contacts`); the province's office when the unit has none on record.
    static func site(_ site: SiteRegistry.Site) -> [String: Any] {
        let contact = site.contact
        var values: [String: Any] = [
            "name": site.name, "domain": site.domain, "isPortal": site.domain == SiteDomain.portal,
            "owner": site.domain == SiteDomain.portal ? "Ủy ban nhân dân tỉnh Long An" : site.ownerName,
            "responsible": contact?.responsible ?? "Chánh Văn phòng Ủy ban nhân dân tỉnh",
            "address": contact?.address ?? "Số 61 Nguyễn Huệ, phường Tân An, tỉnh Long An",
            "phone": contact?.phone ?? "(0272) 3 552 466", "email": contact?.email ?? "webmaster@longan.gov.vn",
        ]
        if let emblem { values["emblem"] = "/" + emblem.page }
        return values
    }

    /// A list page's metadata; its date is the newest item's, so that a rebuild writes the same bytes.
    static func siteMetadata(_ site: SiteRegistry.Site, path: String, description: String, updated: Date) -> [String: Any] {
        ["title": site.name, "creator": site.name, "date": isoDate(updated), "description": description, "publisher": publisher,
         "identifier": "https://\(site.domain)\(path)", "source": site.name]
    }

    static func isoDate(_ date: Date) -> String { LocalDate.of(date).description }
}

extension PageRenderer {
    /// The privacy notice linked from every home page (R-5.1).
    func privacy(site: SiteRegistry.Site, updated: Date) -> String {
        render("gone", [
            "lang": "vi", "pageTitle": "Chính sách bảo vệ dữ liệu cá nhân", "site": Self.site(site), "t": Self.text.merging(["goneHeading": "Chính sách bảo vệ dữ liệu cá nhân"]) { $1 },
            "explanation": """
                Cổng Thông tin điện tử tỉnh Long An chỉ thu thập dữ liệu cá nhân khi người dân gửi câu hỏi, góp ý và đã đồng ý \
                ở một bước riêng; dữ liệu chỉ dùng để trả lời và không công bố kèm câu trả lời.
                """,
            "dc": Self.siteMetadata(site, path: "/chinh-sach-bao-ve-du-lieu-ca-nhan.html", description: "Chính sách bảo vệ dữ liệu cá nhân", updated: updated),
        ])
    }

    /// The site's page for an address it does not have: in the site's style, with the way home.
    func notFound(site: SiteRegistry.Site) -> String {
        render("gone", [
            "lang": "vi", "pageTitle": "Không tìm thấy trang", "site": Self.site(site),
            "t": Self.text.merging(["goneHeading": "Không tìm thấy trang"]) { $1 },
            "explanation": "Địa chỉ này không có trên trang. Xin dùng trình đơn, sơ đồ trang hoặc tìm kiếm. (Page not found.)",
            "dc": Self.siteMetadata(site, path: "/404.html", description: "Không tìm thấy trang", updated: Date(timeIntervalSince1970: 0)),
        ])
    }
}
