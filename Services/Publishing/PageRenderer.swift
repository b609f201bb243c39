import ContentSafety
import Foundation
import Models
import Mustache

/// Renders the pages of a site from Mustache templates: Vietnamese text, Dublin Core metadata
/// with the six mandatory elements never empty, source and author, print and save
/// and the footer of.
struct PageRenderer: Sendable {
    let library: MustacheLibrary

    static func templates() async throws -> MustacheLibrary {
        guard let folder = Bundle.module.path(forResource: "Templates", ofType: nil) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "Templates in the publishing bundle"])
        }
        return try await MustacheLibrary(directory: folder)
    }

    static let publisher = "Cổng Thông tin điện tử tỉnh Long An"

    static let text: [String: String] = [
        "skip": "Bỏ qua, đến nội dung chính", "menu": "Trình đơn", "home": "Trang chủ", "source": "Nguồn", "author": "Tác giả",
        "correction": "Đính chính", "files": "Tệp đính kèm", "sourceLine": "Nguồn tin", "print": "In bài viết",
        "save": "Lưu bài viết", "printVersion": "bản in", "latest": "Tin mới", "noArticles": "Chưa có tin, bài.",
        "privacy": "Chính sách bảo vệ dữ liệu cá nhân", "goneHeading": "Thông tin đã được gỡ bỏ",
        "sitemap": "Sơ đồ trang", "allArticles": "Tất cả tin, bài", "search": "Tìm kiếm", "searchLabel": "Từ khóa (có dấu hoặc không dấu)",
        "searchButton": "Tìm", "results": "Kết quả", "noResults": "Không tìm thấy tin, bài nào.",
        "footerOwner": "Cơ quan chủ quản: Ủy ban nhân dân tỉnh Long An.",
        "footerResponsible": "Chịu trách nhiệm chính: Chánh Văn phòng Ủy ban nhân dân tỉnh.",
        "footerAddress": "Địa chỉ: số 61 Nguyễn Huệ, Phường 1, thành phố Tân An, tỉnh Long An.",
        "footerContact": "Điện thoại: (0272) 3 552 466 · Thư điện tử: webmaster@longan.gov.vn",
    ]

    struct Image: Sendable {
        var src: String
        var alt: String
    }

    struct File: Sendable {
        var src: String
        var filename: String
    }

    /// The article page and its print version for `site`.
    func article(
        _ content: CanonicalRevision, site: SiteRegistry.Site, unitName: String, path: String, publishedAt: Date, images: [Image], files: [File]
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
            "images": images.map { ["src": $0.src, "alt": $0.alt] }, "files": files.map { ["src": $0.src, "filename": $0.filename] },
            "hasFiles": !files.isEmpty, "path": path, "printPath": path.replacingOccurrences(of: ".html", with: ".in.html"),
        ]
        if let summary = content.summary { values["summary"] = summary }
        if let note = content.correctionNote { values["correctionNote"] = note }
        return (render("article", values), render("print", values))
    }

    struct Listed: Sendable {
        var title: String
        var path: String
        var summary: String?
        var publishedAt: Date
    }

    func home(site: SiteRegistry.Site, articles: [Listed]) -> String {
        render("home", [
            "lang": "vi", "pageTitle": "Trang chủ", "site": Self.site(site), "t": Self.text, "noArticles": articles.isEmpty,
            "dc": Self.siteMetadata(site, path: "/", description: "Tin tức, văn bản và thông tin của \(site.name)"),
            "articles": articles.map { item -> [String: Any] in
                var values: [String: Any] = ["title": item.title, "path": item.path, "date": Self.isoDate(item.publishedAt),
                                             "dateLocal": PortalCalendar.date(item.publishedAt)]
                if let summary = item.summary { values["summary"] = summary }
                return values
            },
        ])
    }

    /// The sitemap for people and as XML, and the RSS 2.0 and Atom feeds of the site.
    func indexes(site: SiteRegistry.Site, articles: [Listed]) -> (sitemap: String, sitemapXML: String, rss: String, atom: String) {
        let items = articles.map { item -> [String: Any] in
            var values: [String: Any] = [
                "title": item.title, "path": item.path, "date": Self.isoDate(item.publishedAt), "dateLocal": PortalCalendar.date(item.publishedAt),
                "rfc822": Self.rfc822(item.publishedAt), "iso": Timestamp.format(item.publishedAt),
            ]
            if let summary = item.summary { values["summary"] = summary }
            return values
        }
        let values: [String: Any] = [
            "lang": "vi", "pageTitle": Self.text["sitemap"] ?? "", "site": Self.site(site), "t": Self.text, "articles": items,
            "updated": Timestamp.format(articles.first?.publishedAt ?? Date(timeIntervalSince1970: 0)),
            "dc": Self.siteMetadata(site, path: "/so-do-trang.html", description: "Sơ đồ trang của \(site.name)"),
        ]
        return (render("sitemap", values), render("sitemap-xml", values), render("rss", values), render("atom", values))
    }

    func search(site: SiteRegistry.Site, question: String?, hits: [Listed]) -> String {
        var values: [String: Any] = [
            "lang": "vi", "pageTitle": Self.text["search"] ?? "", "site": Self.site(site), "t": Self.text, "asked": question != nil,
            "noHits": hits.isEmpty,
            "hits": hits.map { hit -> [String: Any] in
                var item: [String: Any] = ["title": hit.title, "path": hit.path, "date": Self.isoDate(hit.publishedAt),
                                           "dateLocal": PortalCalendar.date(hit.publishedAt)]
                if let summary = hit.summary { item["summary"] = summary }
                return item
            },
            "dc": Self.siteMetadata(site, path: "/tim-kiem", description: "Tìm kiếm thông tin trên \(site.name)"),
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
            "dc": Self.siteMetadata(site, path: path, description: explanation),
        ])
    }

    func render(_ template: String, _ values: [String: Any]) -> String {
        library.render(values, withTemplate: template) ?? ""
    }

    static func site(_ site: SiteRegistry.Site) -> [String: Any] { ["name": site.name, "domain": site.domain] }

    static func siteMetadata(_ site: SiteRegistry.Site, path: String, description: String) -> [String: Any] {
        ["title": site.name, "creator": site.name, "date": isoDate(Date()), "description": description, "publisher": publisher,
         "identifier": "https://\(site.domain)\(path)", "source": site.name]
    }

    static func isoDate(_ date: Date) -> String { LocalDate.of(date).description }
}

extension PageRenderer {
    /// The privacy notice linked from every home page.
    func privacy(site: SiteRegistry.Site) -> String {
        render("gone", [
            "lang": "vi", "pageTitle": "Chính sách bảo vệ dữ liệu cá nhân", "site": Self.site(site), "t": Self.text.merging(["goneHeading": "Chính sách bảo vệ dữ liệu cá nhân"]) { $1 },
            "explanation": """
                Cổng Thông tin điện tử tỉnh Long An chỉ thu thập dữ liệu cá nhân khi người dân gửi câu hỏi, góp ý và đã đồng ý \
                ở một bước riêng; dữ liệu chỉ dùng để trả lời và không công bố kèm câu trả lời.
                """,
            "dc": Self.siteMetadata(site, path: "/chinh-sach-bao-ve-du-lieu-ca-nhan.html", description: "Chính sách bảo vệ dữ liệu cá nhân"),
        ])
    }
}
