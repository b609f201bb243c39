import Foundation
import Models
import Store
import Testing

/// Legal documents, embargoes, failed publications, the site registry and its compliance report,
/// against the running intake, approval and publishing processes.
@Suite("Publishing: legal documents, schedules, failures and the site registry", .serialized)
struct PublishingSitesTests {
    var publishingPort = 18_214

    func withPublishing(_ s: EditorialFlowTests.Services, _ body: (ServiceProcess) async throws -> Void) async throws {
        let publishing = try ServiceProcess("publishing", port: publishingPort, environment: ["PORTAL_DATA_DIR": "\(s.work)/data"], in: s.env)
        do {
            try await publishing.waitUntilReady()
            try await body(publishing)
        } catch {
            _ = try? await publishing.terminate()
            throw error
        }
        #expect(try await publishing.terminate() == 0)
    }

    /// Sites whose lists wait to be redrawn in the folder under `data` (its writer's marks).
    static func staleMarks(_ pool: DatabasePool, data: String) async throws -> Int {
        let writer = try String(contentsOfFile: "\(data)/sites/.writer", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        return try await pool.withConnection {
            try $0.query("SELECT count(*)::int AS n FROM publishing.stale_sites WHERE writer IN ($1, '')", [writer]).one().decode("n", as: Int.self)
        }
    }

    func page(_ publishing: ServiceProcess, _ domain: String, _ path: String, headers: [String: String] = [:]) -> (status: Int?, body: String, headers: [String: String]) {
        httpRequest("GET", publishing.url(path), headers: ["Host": domain].merging(headers) { $1 })
    }

    /// Submits through intake, classifies with `classification` (JSON members) and has Sở Tư pháp's Board member approve it.
    func approved(_ s: EditorialFlowTests.Services, title: String, submission: String? = nil, classification: String) async throws -> String {
        let body = submission ?? IntakeAPITests().submission(title: title, body: "Nội dung của \(title).")
        let created = httpRequest("POST", s.intake.url("/api/v1/submissions"),
                                  headers: ["Authorization": "Bearer \(try s.token("ctv.tuphap"))", "Content-Type": "application/json"], body: body)
        let id = try #require((try? JSONSerialization.jsonObject(with: Data(created.body.utf8)) as? [String: Any])?["id"] as? String, "\(created.body)")
        try await eventually("queued") { try s.api("GET", "/articles/\(id)", as: "btv.lan").status == 200 }
        let edited = try s.api(
            "PUT", "/articles/\(id)", as: "btv.lan",
            body: #"{"classification": {"genre": "news", "coefficient": 8, "authors": [{"name": "Nguyễn Văn An", "share": 100}], \#(classification)}, "changeNote": "Phân loại"}"#,
            headers: ["If-Match": "\"1\""])
        #expect(edited.status == 200, "\(edited.text)")
        #expect(try s.api("POST", "/articles/\(id)/submit-for-approval", as: "btv.lan", body: "{}").status == 200)
        let approval = try s.api("POST", "/articles/\(id)/approve", as: "gd.tuphap", body: #"{"revision": 2}"#)
        #expect(approval.status == 200, "\(approval.text)")
        return id
    }

    @Test("R-3.5: a legal document is listed with its number, form, issuer and dates and found by each; categories have pages and feeds; English and links pages; gzip")
    func legalDocumentsAndLists() async throws {
        try await EditorialFlowTests().withServices { s in
            try await withPublishing(s) { publishing in
                let tag = String(UUID().uuidString.prefix(4))
                let number = "\(Int.random(in: 100...999))/2026/QĐ-UBND"
                let title = "Quyết định ban hành Quy chế \(tag)"
                let submission = """
                    {"title": "\(title)", "body": "Ban hành kèm theo Quyết định này Quy chế.", "bodyFormat": "markdown",
                     "kind": "legal_document", "language": "vi", "authors": [{"name": "Văn phòng UBND tỉnh"}], "targetSites": ["longan.gov.vn"],
                     "legalDocument": {"number": "\(number)", "issuer": "Ủy ban nhân dân tỉnh Long An", "issueDate": "2026-11-20",
                                       "effectiveDate": "2026-12-01", "summary": "Quy định quản lý Cổng Thông tin điện tử \(tag)"},
                     "attachments": [{"filename": "quyet-dinh.pdf", "contentType": "application/pdf",
                                      "dataBase64": "JVBERi0xLjQKJeLjz9MKMSAwIG9iago8PD4+CmVuZG9iagp0cmFpbGVyCjw8Pj4KJSVFT0YK"}]}
                    """
                let id = try await approved(
                    s, title: title, submission: submission,
                    classification: #""targetSites": ["longan.gov.vn"], "categories": ["Văn bản chỉ đạo", "Pháp luật"]"#)
                let path = "/bai-viet/\(id).html"
                try await eventually("the document is listed", within: 10, every: .milliseconds(50)) {
                    page(publishing, "longan.gov.vn", "/van-ban/").body.contains(number)
                }
                let article = page(publishing, "longan.gov.vn", path).body
                #expect(article.contains("<th scope=\"row\">Số ký hiệu</th><td>\(number)</td>"), "R-3.5: the number")
                #expect(article.contains("<td>Quyết định</td>"), "the form read from the number")
                #expect(article.contains("Ủy ban nhân dân tỉnh Long An") && article.contains("20/11/2026") && article.contains("01/12/2026"))
                let listing = page(publishing, "longan.gov.vn", "/van-ban/").body
                #expect(listing.contains("quyet-dinh.pdf"), "R-3.5: the file to download")
                func search(_ query: String) -> (status: Int?, body: String) {
                    let found = page(publishing, "longan.gov.vn", "/van-ban/tra-cuu?\(query)")
                    return (found.status, found.body)
                }
                let encodedNumber = number.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
                #expect(search("so=\(encodedNumber)").body.contains(path), "by number")
                #expect(search("so=\(number.prefix(3))%2F2026%2FQD").body.contains(path), "by number without diacritics")
                #expect(search("co-quan=uy+ban+nhan+dan+tinh&tu-ngay=2026-11-01&den-ngay=2026-11-30").body.contains(path), "by issuer and issue dates, as a browser sends the form")
                #expect(search("hieu-luc=2026-12-15&hinh-thuc=quyet%20dinh").body.contains(path), "in effect on a day, by form")
                #expect(!search("hieu-luc=2026-11-25&so=\(encodedNumber)").body.contains(path), "not yet in effect on 25/11")
                #expect(!search("tu-ngay=2026-11-21&so=\(encodedNumber)").body.contains(path), "issued before the range")
                let bad = search("tu-ngay=20-11-2026")
                #expect(bad.status == 400 && bad.body.contains("YYYY-MM-DD"), "a malformed date is named, not ignored")
                // R-3.1: the site search finds it by number too.
                #expect(page(publishing, "longan.gov.vn", "/tim-kiem?q=\(encodedNumber)").body.contains(title))

                // Categories: a page and feeds for each, listed in the sitemap.
                let category = page(publishing, "longan.gov.vn", "/chuyen-muc/van-ban-chi-dao/")
                #expect(category.status == 200 && category.body.contains(title), "the category page")
                #expect(page(publishing, "longan.gov.vn", "/chuyen-muc/van-ban-chi-dao/rss.xml").body.contains("<title>\(title)</title>"))
                #expect(page(publishing, "longan.gov.vn", "/chuyen-muc/phap-luat/atom.xml").body.contains(path))
                #expect(page(publishing, "longan.gov.vn", "/chuyen-muc/").body.contains("/chuyen-muc/van-ban-chi-dao/"))
                #expect(Sitemaps.crawl(domain: "longan.gov.vn") { page(publishing, "longan.gov.vn", $0) }.addresses
                    .contains("https://longan.gov.vn/chuyen-muc/phap-luat/"))

                // R-3.4: English pages; R-3.2: links to other agencies.
                let english = page(publishing, "longan.gov.vn", "/en/")
                #expect(english.body.contains(#"<html lang="en">"#) && english.body.contains("Long An Provincial Portal"))
                #expect(english.body.contains("Department of Justice") && english.body.contains("https://sotuphap.longan.gov.vn/en/"))
                #expect(english.body.contains(#"<meta name="DC.language" content="en">"#))
                // A site with nothing published yet has its pages too.
                try await eventually("the unit's English page") { page(publishing, "sotuphap.longan.gov.vn", "/en/").status == 200 }
                #expect(page(publishing, "sotuphap.longan.gov.vn", "/en/").body.contains("Department of Justice"))
                #expect(page(publishing, "longan.gov.vn", "/lien-ket.html").body.contains("https://chinhphu.vn"))
                #expect(page(publishing, "longan.gov.vn", "/").body.contains(#"href="/lien-ket.html""#))

                // gzip for clients that take it, with its own validator.
                let plain = page(publishing, "longan.gov.vn", path)
                let zipped = page(publishing, "longan.gov.vn", path, headers: ["Accept-Encoding": "gzip, deflate"])
                #expect(zipped.headers["content-encoding"] == "gzip" && zipped.headers["vary"] == "Accept-Encoding")
                #expect(plain.headers["content-encoding"] == nil)
                #expect(zipped.headers["etag"] != plain.headers["etag"])
                let unzipped = try s.env.run("/usr/bin/env", ["curl", "-s", "--compressed", "-H", "Host: longan.gov.vn", publishing.url(path)])
                #expect(unzipped.output == plain.body, "the gzip body is the page")

                // Development's address, `/sites/<domain>/`: every address on its pages, three levels
                // deep, stays under the prefix and answers a page of the site.
                let prefix = "/sites/longan.gov.vn/"
                #expect(httpRequest("GET", publishing.url("/sites/longan.gov.vn")).headers["location"] == prefix)
                var seen: Set<String> = [prefix], frontier = [prefix], crawled = 0
                let reference = try Regex(##"(?:href|src|action)="([^"#?]*)"##)
                for _ in 0..<3 {
                    var next = [String]()
                    for address in frontier.prefix(60) {
                        let answer = httpRequest("GET", publishing.url(address))
                        crawled += 1
                        #expect(answer.status == 200, "\(address) answered \(answer.status ?? 0)")
                        guard answer.headers["content-type"]?.hasPrefix("text/html") == true else { continue }
                        #expect(answer.body.contains(#"<html lang="#), "\(address) is a page of the site")
                        for match in answer.body.matches(of: reference) {
                            let target = String(match.output[1].substring ?? "")
                            guard target.hasPrefix("/"), !target.hasPrefix("//") else { continue }
                            #expect(target.hasPrefix(prefix), "\(address) links to \(target), outside \(prefix)")
                            // Articles and answers of other tests share the database, not this instance's files: only this
                            // test's own article is followed.
                            let otherArticle = (target.contains("/bai-viet/") && !target.hasSuffix(path))
                                || (target.contains("/hoi-dap/") && target.hasSuffix(".html"))
                            if target.hasPrefix(prefix), !otherArticle, seen.insert(target).inserted { next.append(target) }
                        }
                    }
                    frontier = next
                }
                #expect(crawled > 12, "the crawl reached the site's pages: \(crawled)")
                let missing = httpRequest("GET", publishing.url(prefix + "khong-co.html"))
                #expect(missing.status == 404 && missing.body.contains("lang=\"vi\"") && missing.body.contains("href=\"\(prefix)\""),
                        "the site's 404 page, with links under the prefix")

                // In a real browser: the legal document, its list and search, categories, English and links pages.
                let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                    .appendingPathComponent("Browser/public_pages_check.py").path
                let browser = try s.env.run("/usr/bin/env", ["python3", script], environment: [
                    "PORT": String(publishing.port), "ARTICLE": path, "UNIT_DOMAIN": "sotuphap.longan.gov.vn",
                    "CATEGORY": "/chuyen-muc/van-ban-chi-dao/", "LEGAL_ARTICLE": path, "LEGAL_NUMBER": number,
                    "SEARCH": "quyet dinh ban hanh quy che \(tag)", "UNIT_ARTICLE": "",
                ])
                #expect(browser.status == 0 && browser.output.contains("public pages check passed"), "\(browser.output)")

                // A rebuild from the database writes the same bytes as publication did, file for file.
                // The home page shows each item's photo only when the site's folder has it; this
                // test's folder has only the items this test published while the database has every
                // test's, so the home page is compared between two rebuilds instead.
                let rebuilt = "\(s.work)/rebuilt"
                try await eventually("nothing left to redraw") {
                    try await Self.staleMarks(s.pool, data: "\(s.work)/data") == 0
                }
                let run = try s.env.run(try s.env.executable("portalctl"), ["publish", "rebuild"], environment: ["PORTAL_DATA_DIR": rebuilt])
                #expect(run.status == 0 && run.output.contains("Rebuilt"), "\(run.output)")
                let incremental = "\(s.work)/data/sites"
                var compared = 0
                for site in ["longan.gov.vn", "sotuphap.longan.gov.vn"] {
                    let files = try FileManager.default.subpathsOfDirectory(atPath: "\(incremental)/\(site)")
                    for file in files where !file.hasPrefix(".") && !file.contains("/.") && file != "index.html" {
                        var isFolder: ObjCBool = false
                        guard FileManager.default.fileExists(atPath: "\(incremental)/\(site)/\(file)", isDirectory: &isFolder), !isFolder.boolValue else { continue }
                        let before = FileManager.default.contents(atPath: "\(incremental)/\(site)/\(file)")
                        let after = FileManager.default.contents(atPath: "\(rebuilt)/sites/\(site)/\(file)")
                        #expect(after != nil && before == after, "\(site)/\(file) differs after a rebuild")
                        compared += 1
                    }
                }
                #expect(compared > 20)
                let again = try s.env.run(try s.env.executable("portalctl"), ["publish", "rebuild"], environment: ["PORTAL_DATA_DIR": "\(s.work)/rebuilt-again"])
                #expect(again.status == 0)
                for site in ["longan.gov.vn", "sotuphap.longan.gov.vn"] {
                    let first = FileManager.default.contents(atPath: "\(rebuilt)/sites/\(site)/index.html")
                    #expect(first != nil && first == FileManager.default.contents(atPath: "\(s.work)/rebuilt-again/sites/\(site)/index.html"),
                            "\(site)/index.html: two rebuilds write the same home page")
                }
                let one = try s.env.run(try s.env.executable("portalctl"), ["publish", "rebuild", "--site", "sotuphap.longan.gov.vn"],
                                        environment: ["PORTAL_DATA_DIR": "\(s.work)/one-site"])
                #expect(one.status == 0)
                #expect(try FileManager.default.contentsOfDirectory(atPath: "\(s.work)/one-site/sites").filter { !$0.hasSuffix(".map") } == ["sotuphap.longan.gov.vn"])
                let unknown = try s.env.run(try s.env.executable("portalctl"), ["publish", "rebuild", "--site", "khongco.longan.gov.vn"],
                                            environment: ["PORTAL_DATA_DIR": "\(s.work)/none"])
                #expect(unknown.status != 0 && unknown.output.contains("not an active site"), "\(unknown.output)")
            }
        }
    }

    /// The `src` of every `<img>` of a page.
    static func imageSources(_ html: String) -> [String] {
        html.matches(of: /<img src="([^"]*)"/).map { String($0.output.1) }
    }

    @Test("A picture the portal cannot draw (a phone's HEIC; a file accepted before intake read pictures; a picture from another site in the body) is offered as a file or a link, never shown as a broken picture on its page or as the item's picture on the home page")
    func unreadablePictureIsAFile() async throws {
        try await EditorialFlowTests().withServices { s in
            try await withPublishing(s) { publishing in
                let title = "Ảnh chụp bằng điện thoại \(UUID().uuidString.prefix(4))"
                // The body also shows a picture from another site, which the page's policy would block.
                let submission = IntakeAPITests().submission(title: title, body: "Ảnh hiện trường đính kèm. ![Bản đồ khu vực](https://example.com/ban-do.png)")
                    .replacingOccurrences(
                        of: #"{"filename": "hoi-nghi.png", "contentType": "image/png", "dataBase64": "\#(IntakeAPITests.onePixelPNG)"}"#,
                        with: #"{"filename": "IMG_0412.heic", "contentType": "image/heic", "dataBase64": "\#(Data("ftypheic, not read here".utf8).base64EncodedString())", "altText": "Hiện trường"}"#)
                #expect(submission.contains("IMG_0412.heic"))
                let id = try await approved(s, title: title, submission: submission, classification: #""targetSites": ["longan.gov.vn"]"#)
                // The editors are told which picture came from another site.
                let status = httpRequest("GET", s.intake.url("/api/v1/submissions/\(id)"), headers: ["Authorization": "Bearer \(try s.token("ctv.tuphap"))"])
                let flags = (try JSONSerialization.jsonObject(with: Data(status.body.utf8)) as? [String: Any])?["flags"] as? [String]
                #expect(flags?.contains("picture_from_another_site:https://example.com/ban-do.png") == true, "\(status.body)")
                try await eventually("published", within: 10, every: .milliseconds(50)) {
                    page(publishing, "longan.gov.vn", "/bai-viet/\(id).html").status == 200
                }
                let article = page(publishing, "longan.gov.vn", "/bai-viet/\(id).html").body
                #expect(article.contains(#".heic" download="IMG_0412.heic">IMG_0412.heic</a>"#), "offered as a file to download")
                #expect(!Self.imageSources(article).contains { $0.hasSuffix(".heic") }, "not drawn as a picture on its page")
                #expect(article.contains(#"<a href="https://example.com/ban-do.png">Bản đồ khu vực</a>"#), "the other site's picture is a link")
                #expect(!Self.imageSources(article).contains { $0.contains("example.com") }, "and never a blocked picture")
                try await eventually("listed on the home page", within: 10, every: .milliseconds(50)) {
                    page(publishing, "longan.gov.vn", "/").body.contains(title)
                }
                let home = page(publishing, "longan.gov.vn", "/").body
                #expect(!Self.imageSources(home).contains { $0.hasSuffix(".heic") }, "no broken picture on the home page")
            }
        }
    }

    @Test("R-3.8: a picture in the body that names one of the item's files by its name is drawn from the file as the site publishes it, with its alt text")
    func bodyPictureNamesItsFile() async throws {
        try await EditorialFlowTests().withServices { s in
            try await withPublishing(s) { publishing in
                let title = "Hội nghị tổng kết có ảnh trong bài \(UUID().uuidString.prefix(4))"
                let submission = IntakeAPITests().submission(
                    title: title, body: "Quang cảnh:\n\n![Quang cảnh hội nghị](hoi-nghi.png)\n\nĐồng chí Giám đốc phát biểu.")
                let id = try await approved(s, title: title, submission: submission, classification: #""targetSites": ["longan.gov.vn"]"#)
                try await eventually("published", within: 10, every: .milliseconds(50)) {
                    page(publishing, "longan.gov.vn", "/bai-viet/\(id).html").status == 200
                }
                let article = page(publishing, "longan.gov.vn", "/bai-viet/\(id).html").body
                let body = try #require(article.firstMatch(of: /<img src="(\/tep\/[0-9a-f]{64}\.png)" alt="Quang cảnh hội nghị">/), "\(article)")
                #expect(!article.contains(#"src="hoi-nghi.png""#), "never the name alone, which no page has")
                let file = page(publishing, "longan.gov.vn", String(body.output.1))
                #expect(file.status == 200, "the picture is there to draw")
                #expect(Self.imageSources(article).filter { $0 == String(body.output.1) }.count == 2, "the body's picture and the item's figure are the same file")
            }
        }
    }

    @Test("An embargoed item waits for its time across a restart; a publication that fails is visible with its reason and retried until it succeeds")
    func scheduleAndFailure() async throws {
        try await EditorialFlowTests().withServices { s in
            let tag = String(UUID().uuidString.prefix(4))
            // Whole seconds: an embargo is signed to the second.
            let publishAt = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + 6).rounded(.down))
            var scheduledId = ""
            try await withPublishing(s) { publishing in
                scheduledId = try await approved(
                    s, title: "Thông báo có hẹn giờ \(tag)",
                    classification: #""targetSites": ["longan.gov.vn"], "publishAt": "\#(Timestamp.format(publishAt))""#)
                try await eventually("publishing holds it as scheduled") {
                    let status = httpRequest("GET", publishing.url("/api/v1/publications/\(scheduledId)"))
                    return status.body.contains(#""state":"scheduled""#)
                }
                #expect(page(publishing, "longan.gov.vn", "/bai-viet/\(scheduledId).html").status == 404, "not before its time")
                #expect(!page(publishing, "longan.gov.vn", "/").body.contains(tag))
            }
            // A restart in between: the schedule is in the database.
            try await withPublishing(s) { publishing in
                let path = "/bai-viet/\(scheduledId).html"
                try await eventually("published at its time", within: 20, every: .milliseconds(100)) {
                    page(publishing, "longan.gov.vn", path).status == 200
                }
                #expect(Date() >= publishAt.addingTimeInterval(-0.01), "never early")
                let status = try #require(try JSONSerialization.jsonObject(
                    with: Data(httpRequest("GET", publishing.url("/api/v1/publications/\(scheduledId)")).body.utf8)) as? [String: Any])
                #expect(status["state"] as? String == "published" && (status["urls"] as? [String])?.first == "https://longan.gov.vn\(path)", "\(status)")
                #expect(page(publishing, "longan.gov.vn", path).body.contains(#"<meta name="DC.date" content="\#(LocalDate.of(publishAt))">"#))
                try await eventually("approval hears it was published") {
                    try s.api("GET", "/articles/\(scheduledId)", as: "btv.lan").json["state"] as? String == "published"
                }

                // The page's place is blocked (a folder where the file goes): the publication fails,
                // is shown as failed with its reason, is retried, and succeeds once the place is free.
                let id = try await approvedBlocking(s, publishing, tag: tag)
                let failures = httpRequest("GET", publishing.url("/api/v1/publications/failures"), headers: ["Authorization": "Bearer \(try s.token("btv.lan"))"])
                #expect(failures.body.contains(id) && failures.body.contains(#""permanent":false"#), "\(failures.body)")
                #expect(httpRequest("GET", publishing.url("/api/v1/publications/failures")).status == 401)
                #expect(httpRequest("GET", publishing.url("/api/v1/publications/failures"), headers: ["Authorization": "Bearer \(try s.token("ctv.tuphap"))"]).status == 403)
                try FileManager.default.removeItem(atPath: "\(s.work)/data/sites/longan.gov.vn/bai-viet/\(id).html")
                try await eventually("the retry publishes it", within: 30, every: .milliseconds(200)) {
                    page(publishing, "longan.gov.vn", "/bai-viet/\(id).html").status == 200
                }
                let cleared = httpRequest("GET", publishing.url("/api/v1/publications/failures"), headers: ["Authorization": "Bearer \(try s.token("btv.lan"))"])
                #expect(!cleared.body.contains(id), "the failure is cleared once it succeeds")
            }
        }
    }

    /// Approves an item whose page cannot be written yet, and waits until publishing reports the failure.
    func approvedBlocking(_ s: EditorialFlowTests.Services, _ publishing: ServiceProcess, tag: String) async throws -> String {
        // The article id is known once approval has the item; block its page's place before approving.
        let title = "Tin bị chặn \(tag)"
        let body = IntakeAPITests().submission(title: title, body: "Nội dung.")
        let created = httpRequest("POST", s.intake.url("/api/v1/submissions"),
                                  headers: ["Authorization": "Bearer \(try s.token("ctv.tuphap"))", "Content-Type": "application/json"], body: body)
        let id = try #require(try JSONDecoder().decode([String: String].self, from: Data(created.body.utf8))["id"])
        try await eventually("queued") { try s.api("GET", "/articles/\(id)", as: "btv.lan").status == 200 }
        let blocked = "\(s.work)/data/sites/longan.gov.vn/bai-viet/\(id).html"
        try FileManager.default.createDirectory(atPath: blocked + "/occupied", withIntermediateDirectories: true)
        #expect(try s.api(
            "PUT", "/articles/\(id)", as: "btv.lan",
            body: #"{"classification": {"genre": "news", "coefficient": 8, "authors": [{"name": "Nguyễn Văn An", "share": 100}], "targetSites": ["longan.gov.vn"]}}"#,
            headers: ["If-Match": "\"1\""]).status == 200)
        #expect(try s.api("POST", "/articles/\(id)/submit-for-approval", as: "btv.lan", body: "{}").status == 200)
        #expect(try s.api("POST", "/articles/\(id)/approve", as: "gd.tuphap", body: #"{"revision": 2}"#).status == 200)
        try await eventually("the failure is recorded", within: 15, every: .milliseconds(100)) {
            httpRequest("GET", publishing.url("/api/v1/publications/failures"), headers: ["Authorization": "Bearer \(try s.token("btv.lan"))"])
                .body.contains(id)
        }
        #expect(page(publishing, "longan.gov.vn", "/bai-viet/\(id).html").status != 200)
        return id
    }

    @Test("Art. 3 and R-7: the registry lists every site; the compliance report names each non-compliant site and why; an operator settles a collision; a district site redirects after July 2025 (R-7.3)")
    func siteRegistry() async throws {
        try await EditorialFlowTests().withServices { s in
            try await withPublishing(s) { publishing in
                let tag = String(Int.random(in: 1000...9999))
                // A commune whose label collided at seed time (R-7.2), a site with a broken label, and a
                // district site registered before the districts ended (Châu Thành's label went to no commune).
                try await s.pool.withConnection { connection in
                    try connection.query(
                        """
                        INSERT INTO core.units (code, kind, name, name_en, parent_code, label, label_status, valid_from)
                        VALUES ($1, 'commune', 'Xã Tân Thành', 'Tan Thanh Commune', 'longan', NULL, 'collision', '2025-07-01')
                        """, ["commune-test-\(tag)"])
                    try connection.query(
                        """
                        INSERT INTO publishing.sites (domain, unit_code, name, kind) VALUES ($1, 'department-syt', 'Trang sai tên', 'department')
                        ON CONFLICT DO NOTHING
                        """, ["so-y-te-\(tag).longan.gov.vn"])
                    try connection.query(
                        """
                        INSERT INTO publishing.sites (domain, unit_code, name, kind, status, redirect_to)
                        VALUES ('chauthanh.longan.gov.vn', 'district-chauthanh', 'Huyện Châu Thành', 'district', 'active', NULL)
                        ON CONFLICT (domain) DO UPDATE SET status = 'active', redirect_to = NULL
                        """)
                }
                let listed = httpRequest("GET", publishing.url("/api/v1/sites"))
                let sites = try #require((try JSONSerialization.jsonObject(with: Data(listed.body.utf8)) as? [String: Any])?["items"] as? [[String: Any]])
                let portal = try #require(sites.first { $0["domain"] as? String == "longan.gov.vn" })
                #expect(portal["compliant"] as? Bool == true)
                #expect(sites.contains { $0["domain"] as? String == "sotuphap.longan.gov.vn" && $0["compliant"] as? Bool == true })
                #expect(sites.contains { $0["domain"] as? String == "hungdien.longan.gov.vn" }, "a commune under the province after R-7.3")
                #expect(sites.contains { $0["domain"] as? String == "doandbqhhdnd.longan.gov.vn" }, "Art. 19.3: the HĐND delegation page")
                let district = try #require(sites.first { $0["domain"] as? String == "chauthanh.longan.gov.vn" })
                #expect(district["status"] as? String == "redirect" && district["redirectTo"] as? String == "longan.gov.vn", "R-7.3")

                let report = try #require(try JSONSerialization.jsonObject(with: Data(httpRequest("GET", publishing.url("/api/v1/sites/compliance")).body.utf8)) as? [String: Any])
                let bad = (report["nonCompliant"] as? [[String: Any]] ?? []).first { $0["domain"] as? String == "so-y-te-\(tag).longan.gov.vn" }
                let codes = ((bad?["problems"] as? [[String: Any]]) ?? []).compactMap { $0["code"] as? String }
                #expect(codes.contains("invalid_label") && codes.contains("label_mismatch"), "R-7.4: why it does not comply: \(codes)")
                let missing = (report["unitsWithoutSite"] as? [[String: Any]] ?? []).first { $0["unitCode"] as? String == "commune-test-\(tag)" }
                #expect(missing?["labelStatus"] as? String == "collision", "the collision waits for an operator")
                let html = httpRequest("GET", publishing.url("/bao-cao/ten-mien"))
                #expect(html.status == 200 && html.body.contains("so-y-te-\(tag).longan.gov.vn") && html.body.contains("Xã Tân Thành"))
                // People read the reasons in Vietnamese, citing the regulation; no internal codes or ids.
                #expect(html.body.contains("Nhãn tên miền trùng với đơn vị khác") && html.body.contains("Điều 3 khoản 1"))
                #expect(!html.body.contains("commune-test-") && !html.body.contains("invalid_label") && !html.body.contains("R-7."))

                // The operator settles the collision; bad requests change nothing.
                func post(_ body: String, as login: String?) throws -> (status: Int?, body: String) {
                    var headers = ["Content-Type": "application/json"]
                    if let login { headers["Authorization"] = "Bearer \(try s.token(login))" }
                    let response = httpRequest("POST", publishing.url("/api/v1/sites"), headers: headers, body: body)
                    return (response.status, response.body)
                }
                let wanted = "tanthanh\(tag).longan.gov.vn"
                let request = #"{"domain": "\#(wanted)", "unitCode": "commune-test-\#(tag)"}"#
                #expect(try post(request, as: nil).status == 401)
                #expect(try post(request, as: "btv.lan").body.contains("operator_role_required"))
                #expect(try post(#"{"domain": "tânthành\#(tag).longan.gov.vn", "unitCode": "commune-test-\#(tag)"}"#, as: "vanhanh.hcc").body.contains("invalid_label"))
                #expect(try post(#"{"domain": "tanthanh.benluc.longan.gov.vn", "unitCode": "commune-test-\#(tag)"}"#, as: "vanhanh.hcc").body.contains("wrong_level"))
                #expect(try post(#"{"domain": "sotuphap.longan.gov.vn", "unitCode": "commune-test-\#(tag)"}"#, as: "vanhanh.hcc").body.contains("domain_taken"))
                #expect(try post(#"{"domain": "x\#(tag).longan.gov.vn", "unitCode": "no-such-unit"}"#, as: "vanhanh.hcc").body.contains("unknown_unit"))
                #expect(try post(#"{"domain": 12}"#, as: "vanhanh.hcc").status == 400)
                let created = try post(request, as: "vanhanh.hcc")
                #expect(created.status == 201 && created.body.contains(#""compliant":true"#), "\(created.body)")
                #expect(try post(#"{"domain": "khac\#(tag).longan.gov.vn", "unitCode": "commune-test-\#(tag)"}"#, as: "vanhanh.hcc").body.contains("unit_has_site"))
                try await eventually("the new site has its pages") { page(publishing, wanted, "/").status == 200 }
                let after = try #require(try JSONSerialization.jsonObject(with: Data(httpRequest("GET", publishing.url("/api/v1/sites/compliance")).body.utf8)) as? [String: Any])
                #expect(!((after["unitsWithoutSite"] as? [[String: Any]]) ?? []).contains { $0["unitCode"] as? String == "commune-test-\(tag)" })

                // R-7.3: the old district domain answers 301 to the portal.
                let moved = page(publishing, "chauthanh.longan.gov.vn", "/bai-viet/khong-co.html")
                #expect(moved.status == 301 && moved.headers["location"] == "https://longan.gov.vn/", "\(moved.status ?? 0) \(moved.headers)")
            }
        }
    }
}
