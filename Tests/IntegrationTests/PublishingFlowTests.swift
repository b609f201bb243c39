import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import MessageBus
import Models
import ServiceKit
import Store
import Testing

/// From approval to the page on the portal and on the unit's site, through the running intake,
/// approval and publishing processes.
@Suite("Publishing: approved items on the portal and component sites", .serialized)
struct PublishingFlowTests {
    static let publishingPort = 18_213

    @Test("An approved item appears on the portal and its unit's site within a second, with Dublin Core metadata; a tampered approval is refused; a takedown answers 410 everywhere")
    func approvedToPage() async throws {
        try await EditorialFlowTests().withServices { s in
            try await PublishingSitesTests(publishingPort: Self.publishingPort).withPublishing(s) { publishing in
                try await run(s, publishing)
            }
        }
    }

    func page(_ publishing: ServiceProcess, _ domain: String, _ path: String, viaHost: Bool = false) -> (status: Int?, body: String, headers: [String: String]) {
        viaHost
            ? httpRequest("GET", publishing.url(path), headers: ["Host": domain])
            : httpRequest("GET", publishing.url("/sites/\(domain)\(path)"))
    }

    func run(_ s: EditorialFlowTests.Services, _ publishing: ServiceProcess) async throws {
        let title = "Sở Tư pháp phổ biến pháp luật tại Bến Lức \(UUID().uuidString.prefix(4))"
        let body = IntakeAPITests().submission(title: title, body: "Ngày 30/11, Sở Tư pháp tổ chức **phổ biến pháp luật** cho người dân.")
            // A real 1×1 picture, which the browser must be able to show, with its text alternative.
            .replacingOccurrences(
                of: #""dataBase64": "\#(IntakeAPITests.onePixelPNG)""#,
                with: #""dataBase64": "\#(IntakeAPITests.onePixelPNG)", "altText": "Quang cảnh buổi phổ biến""#)
            // And a PDF of its own (no other item shows these bytes), which the takedown removes.
            .replacingOccurrences(
                of: #""attachments": ["#,
                with: #""attachments": [{"filename": "tai-lieu.pdf", "contentType": "application/pdf", "dataBase64": "\#(Data("%PDF-1.4\n% \(title)\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n".utf8).base64EncodedString())"}, "#)
        let created = httpRequest("POST", s.intake.url("/api/v1/submissions"),
                                  headers: ["Authorization": "Bearer \(try s.token("ctv.tuphap"))", "Content-Type": "application/json"], body: body)
        let id = try #require(try JSONDecoder().decode([String: String].self, from: Data(created.body.utf8))["id"])
        try await eventually("queued") { try s.api("GET", "/articles/\(id)", as: "btv.lan").status == 200 }
        let edited = try s.api(
            "PUT", "/articles/\(id)", as: "btv.lan",
            body: #"{"summary": "Phổ biến pháp luật cho người dân huyện Bến Lức", "classification": {"genre": "news", "coefficient": 8, "authors": [{"name": "Nguyễn Văn An", "share": 100}], "targetSites": ["longan.gov.vn"], "alsoOnOwnSite": true, "categories": ["Pháp luật"]}, "changeNote": "Phân loại"}"#,
            headers: ["If-Match": "\"1\""])
        #expect(edited.status == 200, "\(edited.text)")
        #expect(try s.api("POST", "/articles/\(id)/submit-for-approval", as: "btv.lan", body: "{}").status == 200)
        let approvedAt = Date()
        #expect(try s.api("POST", "/articles/\(id)/approve", as: "gd.tuphap", body: #"{"revision": 2}"#).status == 200)

        // On the portal and on Sở Tư pháp's own site (R-4.7), within a second.
        let path = "/bai-viet/\(id).html"
        try await eventually("the page is on the portal", within: 10, every: .milliseconds(20)) { page(publishing, "longan.gov.vn", path).status == 200 }
        let elapsed = Date().timeIntervalSince(approvedAt)
        #expect(elapsed < 1.0, "approval to page took \(elapsed) s")
        let portal = page(publishing, "longan.gov.vn", path)
        let pdf = try #require(portal.body.firstMatch(of: #//tep/[0-9a-f]{64}\.pdf/#).map { String($0.output) }, "the PDF is offered on the page")
        #expect(page(publishing, "longan.gov.vn", pdf, viaHost: true).status == 200)
        let own = page(publishing, "sotuphap.longan.gov.vn", path, viaHost: true)
        #expect(own.status == 200, "served by Host header on the unit's domain")
        for html in [portal.body, own.body] {
            #expect(html.contains(#"<html lang="vi">"#))
            #expect(html.contains(#"<link rel="schema.DC" href="http://purl.org/dc/elements/1.1/">"#))
            for element in ["title", "creator", "date", "description", "publisher", "identifier"] {
                // R-2.1: the six mandatory elements, never empty.
                #expect(html.range(of: #"<meta name="DC.\#(element)" content="[^"]+">"#, options: .regularExpression) != nil, "DC.\(element)")
            }
            #expect(html.contains("<h1>\(title)</h1>"))
            #expect(html.contains("Nguồn: Sở Tư pháp") && html.contains("Tác giả: Nguyễn Văn An"), "R-1.5: source and author")
            #expect(html.contains("In bài viết") && html.contains("download"), "R-3.3: print and save")
            #expect(html.contains(#"alt="Quang cảnh buổi phổ biến""#), "R-3.8: the photo's alt text")
            #expect(html.contains("<strong>phổ biến pháp luật</strong>"))
        }
        // The lists are redrawn right after the page, once for a burst of publications.
        try await eventually("the home page, sitemaps and feeds list it", within: 10, every: .milliseconds(20)) {
            page(publishing, "longan.gov.vn", "/").body.contains(title)
                && page(publishing, "sotuphap.longan.gov.vn", "/rss.xml", viaHost: true).body.contains(title)
                && page(publishing, "longan.gov.vn", "/atom.xml").body.contains(path)
                && page(publishing, "longan.gov.vn", "/so-do-trang.html").body.contains(title)
        }
        let crawled = Sitemaps.crawl(domain: "longan.gov.vn") { page(publishing, "longan.gov.vn", $0, viaHost: true) }
        #expect(crawled.problems.isEmpty, "\(crawled.problems)")
        #expect(crawled.addresses.contains("https://longan.gov.vn\(path)"), "R-3.7: sitemap.xml lists the sitemap of the month that has it")
        #expect(crawled.addresses.contains("https://longan.gov.vn/luu-tru/"), "the archive by month")
        let month = try #require(crawled.addresses.first { $0.hasPrefix("https://longan.gov.vn/luu-tru/2") })
        #expect(page(publishing, "longan.gov.vn", String(month.dropFirst("https://longan.gov.vn".count)), viaHost: true).body.contains(path),
                "the month's archive page lists it")
        #expect(page(publishing, "longan.gov.vn", "/so-do-trang.html").body.contains(title), "R-3.7: the sitemap page")
        #expect(page(publishing, "sotuphap.longan.gov.vn", "/rss.xml", viaHost: true).body.contains("<title>\(title)</title>"), "RSS 2.0")
        #expect(page(publishing, "longan.gov.vn", "/atom.xml").body.contains("<id>https://longan.gov.vn\(path)</id>"), "Atom")
        for feed in ["/rss.xml", "/atom.xml", "/sitemap.xml"] {
            // Well-formed XML, as feed readers and search engines require.
            let parsed = try? XMLDocument(data: Data(page(publishing, "longan.gov.vn", feed).body.utf8))
            #expect(parsed != nil, "\(feed) is not well-formed XML")
        }
        let etag = try #require(portal.headers["etag"])
        #expect(httpRequest("GET", publishing.url("/sites/longan.gov.vn\(path)"), headers: ["If-None-Match": etag]).status == 304)
        // R-3.1: search, with or without diacritics.
        for question in ["phổ biến pháp luật", "pho bien phap luat", "Sở Tư pháp"] {
            let found = page(publishing, "longan.gov.vn", "/tim-kiem?q=\(question.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)!)", viaHost: true)
            #expect(found.status == 200)
            #expect(found.body.contains(title), "searching '\(question)' finds the item")
        }
        #expect(!page(publishing, "longan.gov.vn", "/tim-kiem?q=khongtontai", viaHost: true).body.contains(title))

        // The public pages in a real browser, by their own names, with axe-core.
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Browser/public_pages_check.py").path
        let browser = try s.env.run("/usr/bin/env", ["python3", script], environment: [
            "PORT": String(publishing.port), "ARTICLE": path, "UNIT_DOMAIN": "sotuphap.longan.gov.vn", "CATEGORY": "/chuyen-muc/phap-luat/",
        ])
        #expect(browser.status == 0 && browser.output.contains("public pages check passed"), "\(browser.output)")
        try await eventually("approval hears it was published") {
            try s.api("GET", "/articles/\(id)", as: "btv.lan").json["state"] as? String == "published"
        }

        // An approval whose content differs from what was signed is refused and dead-lettered.
        let envelopeText = try await s.pool.withConnection {
            try $0.query("SELECT envelope FROM editorial.outbox WHERE routing_key = 'article.approved' AND envelope ILIKE $1", ["%\(id)%"])
                .one().decode("envelope", as: String.self)
        }
        var forged = try EventEnvelope.decode(from: Array(envelopeText.utf8)).decode(ArticleApproved.self)
        forged.content.title = "Tin giả mạo"
        let link = try await s.env.link("forger", topology: ServiceConfiguration(service: .publishing).topology)
        let forgedEnvelope = try EventEnvelope(forged, correlationId: "it-forged", producer: "approval")
        try await link.publish([try OutgoingMessage(event: forgedEnvelope)])
        await link.close()
        try await eventually("the forged approval is dead-lettered with the reason") {
            let listed = try s.env.run(try s.env.executable("portalctl"), ["dead-letters", "list", "--queue", "publishing.events", "--json"])
            return listed.output.contains(forgedEnvelope.id.uuidString) && listed.output.contains("content differs from what was approved")
        }
        #expect(!page(publishing, "longan.gov.vn", path).body.contains("Tin giả mạo"), "the page is unchanged")

        // The Head takes it down: 410 with the explanation on every site, gone from the home page.
        let explanation = "Thông tin đã được gỡ bỏ theo quyết định của Trưởng Ban Biên tập ngày 30/11/2026."
        let down = try s.api("POST", "/articles/\(id)/take-down", as: "truongban",
                             body: #"{"reason": "Thông tin đã cũ", "publicExplanation": "\#(explanation)"}"#)
        #expect(down.json["state"] as? String == "taken_down", "\(down.text)")
        try await eventually("410 on the portal") { page(publishing, "longan.gov.vn", path).status == 410 }
        let gone = page(publishing, "sotuphap.longan.gov.vn", path, viaHost: true)
        #expect(gone.status == 410)
        #expect(gone.body.contains("ngày 30/11/2026"))
        // The lists are redrawn together, one file after another: wait for the last of them.
        try await eventually("the item leaves the home page, sitemaps and feeds", within: 10, every: .milliseconds(20)) {
            !page(publishing, "longan.gov.vn", "/").body.contains(title)
                && ["/rss.xml", "/atom.xml", "/so-do-trang.html"].allSatisfy { !page(publishing, "longan.gov.vn", $0).body.contains(path) }
                && !Sitemaps.crawl(domain: "longan.gov.vn") { page(publishing, "longan.gov.vn", $0, viaHost: true) }.addresses.contains("https://longan.gov.vn\(path)")
        }
        #expect(!page(publishing, "longan.gov.vn", "/tim-kiem?q=pho%20bien", viaHost: true).body.contains(title), "nor is it found")
        let archived = try await s.pool.withConnection {
            try $0.query("SELECT state, content->>'title' AS title FROM publishing.articles WHERE id = $1", [UUID(uuidString: id)!]).one()
        }
        // Its own file leaves the sites with it: a taken-down item's files are not served on.
        for site in ["longan.gov.vn", "sotuphap.longan.gov.vn"] {
            #expect(page(publishing, site, pdf, viaHost: true).status == 404, "\(site)\(pdf) is gone with its item")
        }
        #expect(try archived.decode("state", as: String.self) == "taken_down")
        #expect(try archived.decode("title", as: String.self) == title, "the text stays archived")
    }
}
