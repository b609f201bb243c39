import Foundation
import MessageBus
import Models
import ServiceKit
import Store
import Testing

/// The intake API through the running `intake` process, as a unit's script would use it.
@Suite("Intake HTTP API", .serialized)
struct IntakeAPITests {
    static let port = 18_194

    func token(_ login: String, _ env: TestEnvironment) throws -> String {
        let result = try env.run(try env.executable("portalctl"), ["token", "create", "--user", login])
        guard result.status == 0, let line = result.output.split(separator: "\n").first(where: { $0.hasPrefix("lap_") }) else {
            throw SetupError("token create failed: \(result.output)")
        }
        return String(line)
    }

    func submission(title: String = "Sở Tư pháp tổ chức hội nghị", body: String = "Nội dung **chính**.", extra: String = "") -> String {
        """
        {"title": \(Self.json(title)), "body": \(Self.json(body)), "bodyFormat": "markdown", "kind": "news", "language": "vi",
         "authors": [{"name": "Nguyễn Văn An", "share": 60}, {"name": "Lê Thị Bình", "share": 40}],
         "targetSites": ["longan.gov.vn", "sotuphap.longan.gov.vn"], "alsoOnOwnSite": true,
         "attachments": [{"filename": "hoi-nghi.png", "contentType": "image/png", "dataBase64": "\(Self.onePixelPNG)"}]\(extra)}
        """
    }

    /// A real GIF of one pixel, with bytes no text could hold.
    static let onePixelGIF = Array(Data(base64Encoded: "R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")!)

    /// A real PNG of one pixel: a picture a browser shows.
    static let onePixelPNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="

    static func json(_ text: String) -> String {
        String(decoding: try! JSONEncoder().encode(text), as: UTF8.self)
    }

    func count(_ pool: DatabasePool) async throws -> Int {
        try await pool.withConnection { try $0.query("SELECT count(*) AS n FROM intake.submissions").one().decode("n") }
    }

    @Test("A unit submits, follows its submission, and gets the same answer for the same Idempotency-Key")
    func submitAndFollow() async throws {
        let env = try TestEnvironment()
        let pool = try await env.database()
        let intake = try ServiceProcess("intake", port: Self.port, in: env)
        try await intake.waitUntilReady()
        let token = try self.token("ctv.tuphap", env)
        let headers = ["Authorization": "Bearer \(token)", "Content-Type": "application/json", "Idempotency-Key": UUID().uuidString]
        let body = submission(body: "# Hội nghị\n\n<script>alert('x')</script> [xem](javascript:alert(1)) Bến Lức")

        let first = httpRequest("POST", intake.url("/api/v1/submissions"), headers: headers, body: body)
        #expect(first.status == 202, "\(first.body)")
        let accepted = try JSONDecoder().decode([String: String].self, from: Data(first.body.utf8))
        let id = try #require(accepted["id"])
        #expect(accepted["status"] == "received")
        #expect(first.headers["location"] == "/api/v1/submissions/\(id)")

        // The same key and body: the same answer, one submission.
        let again = httpRequest("POST", intake.url("/api/v1/submissions"), headers: headers, body: body)
        #expect(again.status == 202)
        #expect(try JSONDecoder().decode([String: String].self, from: Data(again.body.utf8))["id"] == id)
        let stored = try await pool.withConnection {
            try $0.query("SELECT count(*) AS n FROM intake.submissions WHERE id = $1", [UUID(uuidString: id)!]).one().decode("n", as: Int.self)
        }
        #expect(stored == 1)
        // The same key with another body is refused.
        let reused = httpRequest("POST", intake.url("/api/v1/submissions"), headers: headers, body: submission(title: "Khác"))
        #expect(reused.status == 409)
        #expect(reused.body.contains("idempotency_key_reused"))

        // The submitter sees the status in Vietnamese, with the missing alt text flagged.
        let status = httpRequest("GET", intake.url("/api/v1/submissions/\(id)"), headers: ["Authorization": "Bearer \(token)"])
        #expect(status.status == 200)
        #expect(status.body.contains(#""statusLabel":"Đã tiếp nhận""#))
        #expect(status.body.contains("missing_alt_text:hoi-nghi.png"))
        let listed = httpRequest("GET", intake.url("/api/v1/submissions?status=received"), headers: ["Authorization": "Bearer \(token)"])
        #expect(listed.body.contains(id))

        // Another unit cannot see it.
        let other = try self.token("ctv.yte", env)
        let hidden = httpRequest("GET", intake.url("/api/v1/submissions/\(id)"), headers: ["Authorization": "Bearer \(other)"])
        #expect(hidden.status == 404)
        #expect(!httpRequest("GET", intake.url("/api/v1/submissions"), headers: ["Authorization": "Bearer \(other)"]).body.contains(id))

        // Stored: NFC text, HTML without script, the raw request by its SHA-256, the event published.
        let row = try await pool.withConnection {
            try $0.query(
                """
                SELECT s.body_html, b.data
                FROM intake.submissions s JOIN core.blobs b ON b.sha256 = s.raw_sha256
                JOIN intake.attachments a ON a.submission_id = s.id WHERE s.id = $1
                """, [UUID(uuidString: id)!]
            ).one()
        }
        let html = try row.decode("body_html", as: String.self)
        #expect(!html.lowercased().contains("<script"))
        #expect(!html.lowercased().contains("javascript:"))
        #expect(html.contains("<h1>Hội nghị</h1>"))
        #expect(String(decoding: try row.decode("data", as: ByteA.self).bytes, as: UTF8.self) == body)
        try await eventually("submission.received is published") {
            try await pool.withConnection {
                try $0.query(
                    "SELECT count(*) AS n FROM intake.outbox WHERE routing_key = 'submission.received' AND published_at IS NOT NULL AND envelope ILIKE $1",
                    ["%\(id)%"]
                ).one().decode("n", as: Int.self)
            } == 1
        }
        // An HTML body is reduced to the allowlist before it is stored.
        let htmlBody = submission(body: #"<h2>Tin</h2><p onclick="x()">Bến Lức<script>alert(1)</script></p>"#)
            .replacingOccurrences(of: #""bodyFormat": "markdown""#, with: #""bodyFormat": "html""#)
        let htmlResponse = httpRequest(
            "POST", intake.url("/api/v1/submissions"), headers: headers.merging(["Idempotency-Key": UUID().uuidString]) { $1 }, body: htmlBody)
        #expect(htmlResponse.status == 202, "\(htmlResponse.body)")
        let htmlId = try #require(try JSONDecoder().decode([String: String].self, from: Data(htmlResponse.body.utf8))["id"])
        let storedHTML = try await pool.withConnection {
            try $0.query("SELECT body_html FROM intake.submissions WHERE id = $1", [UUID(uuidString: htmlId)!]).one().decode("body_html", as: String.self)
        }
        #expect(storedHTML == "<h2>Tin</h2><p>Bến Lức</p>")

        // What mail takes, the API takes: a title and a body; the rest defaults to a news item in
        // Vietnamese, plain text, written by the person who sends it.
        let bare = httpRequest("POST", intake.url("/api/v1/submissions"), headers: ["Authorization": "Bearer \(token)", "Content-Type": "application/json"],
                               body: #"{"title": "Tin ngắn Bến Lức", "body": "Sáng nay *xã* tổ chức họp dân."}"#)
        #expect(bare.status == 202, "\(bare.body)")
        let bareId = try #require(try JSONDecoder().decode([String: String].self, from: Data(bare.body.utf8))["id"])
        let defaults = try await pool.withConnection {
            try $0.query("SELECT kind, language, body_format, authors::text AS authors FROM intake.submissions WHERE id = $1",
                         [UUID(uuidString: bareId)!]).one()
        }
        #expect(try defaults.decode("kind", as: String.self) == "news" && defaults.decode("language", as: String.self) == "vi")
        #expect(try defaults.decode("body_format", as: String.self) == "text")
        let authors = try defaults.decode("authors", as: String.self)
        #expect(authors.contains("Nguyễn Văn An"), "the sender's full name (seeds/users.csv), not a login: \(authors)")
        #expect(try await intake.terminate() == 0)
        await pool.close()
    }

    @Test("The submitter sees the editorial decisions, in order, with the refusal reason in the regulation's words")
    func followsTheEditorialFlow() async throws {
        let env = try TestEnvironment()
        let intake = try ServiceProcess("intake", port: Self.port, in: env)
        try await intake.waitUntilReady()
        let token = try self.token("ctv.benluc", env)
        let auth = ["Authorization": "Bearer \(token)"]
        let created = httpRequest(
            "POST", intake.url("/api/v1/submissions"), headers: auth.merging(["Content-Type": "application/json"]) { $1 },
            body: submission().replacingOccurrences(of: "sotuphap.longan.gov.vn", with: "benluc.longan.gov.vn"))
        #expect(created.status == 202, "\(created.body)")
        let id = try #require(try JSONDecoder().decode([String: String].self, from: Data(created.body.utf8))["id"])
        let submissionId = try #require(UUID(uuidString: id))
        let link = try await env.link("test", topology: ServiceConfiguration(service: .intake).topology)

        func send(_ type: String, _ payload: ArticleStatusPayload, at occurredAt: Date) async throws {
            let envelope = try EventEnvelope(
                type: type, occurredAt: occurredAt, correlationId: "it", producer: "approval",
                payload: EventCoding.decoder.decode(JSONValue.self, from: EventCoding.encoder.encode(payload)))
            try await link.publish([try OutgoingMessage(event: envelope)])
        }
        func status() -> String { httpRequest("GET", intake.url("/api/v1/submissions/\(id)"), headers: auth).body }

        let article = UUID(), now = Date()
        try await send("article.returned", .init(articleId: article, submissionId: submissionId, state: .returned, note: "Bổ sung ảnh"), at: now)
        try await eventually("the return shows") { status().contains(#""statusLabel":"Trả lại""#) }
        #expect(status().contains("Bổ sung ảnh"))

        try await send(
            "article.rejected",
            .init(articleId: article, submissionId: submissionId, state: .rejected, note: "Có dấu MẬT", refusalReason: .stateSecret),
            at: now.addingTimeInterval(60))
        try await eventually("the refusal shows") { status().contains(#""status":"rejected""#) }
        #expect(status().contains("Thông tin thuộc bí mật Nhà nước. Có dấu MẬT"))

        // An older event arriving late (a retry) does not bring back an earlier state.
        try await send("article.approved", .init(articleId: article, submissionId: submissionId, state: .approved), at: now.addingTimeInterval(30))
        try await Task.sleep(for: .seconds(2))
        #expect(status().contains(#""status":"rejected""#))
        #expect(try await intake.terminate() == 0)
        await link.close()
    }

    /// A form as a browser or `curl -F` sends it.
    func form(boundary: String, fields: [(String, String)], file: (name: String, type: String, bytes: [UInt8])) -> Data {
        var body = ""
        for (name, value) in fields {
            body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n"
        }
        body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"attachments\"; filename=\"\(file.name)\"\r\n"
        body += "Content-Type: \(file.type)\r\n\r\n"
        return Data(body.utf8) + file.bytes + Data("\r\n--\(boundary)--\r\n".utf8)
    }

    @Test("The same submission as multipart/form-data with a file part; a repeat with a new boundary is the same request")
    func submitsAsAForm() async throws {
        let env = try TestEnvironment()
        let pool = try await env.database()
        let intake = try ServiceProcess("intake", port: Self.port, in: env)
        try await intake.waitUntilReady()
        let token = try self.token("ctv.hungdien", env)
        let key = UUID().uuidString
        let fields = [
            ("title", "Xã Hưng Điền ra quân làm sạch kênh"), ("body", "Sáng nay, **người dân** tham gia."),
            ("bodyFormat", "markdown"), ("kind", "photo"), ("language", "vi"),
            ("authors", #"[{"name": "Trần Văn Sáng"}]"#), ("targetSites", "hungdien.longan.gov.vn"),
            ("altText:kenh.gif", "Người dân vớt lục bình trên kênh"),
        ]
        var ids = [String]()
        for boundary in ["----formA1b2", "----formC3d4"] {
            let response = httpRequest(
                "POST", intake.url("/api/v1/submissions"),
                headers: ["Authorization": "Bearer \(token)", "Content-Type": "multipart/form-data; boundary=\(boundary)", "Idempotency-Key": key],
                bytes: form(boundary: boundary, fields: fields, file: ("kenh.gif", "image/gif", Self.onePixelGIF)))
            #expect(response.status == 202, "\(response.body)")
            ids.append(try #require(try JSONDecoder().decode([String: String].self, from: Data(response.body.utf8))["id"]))
        }
        #expect(ids[0] == ids[1])
        let submissionId = try #require(UUID(uuidString: ids[0]))
        let row = try await pool.withConnection {
            try $0.query(
                """
                SELECT s.title, s.kind, array_to_json(s.flags)::text AS flags, a.filename, a.content_type, a.alt_text, b.data
                FROM intake.submissions s JOIN intake.attachments a ON a.submission_id = s.id JOIN core.blobs b ON b.sha256 = a.sha256
                WHERE s.id = $1
                """, [submissionId]
            ).one()
        }
        #expect(try row.decode("title", as: String.self) == "Xã Hưng Điền ra quân làm sạch kênh")
        #expect(try row.decode("alt_text", as: String.self) == "Người dân vớt lục bình trên kênh")
        #expect(try row.decode("flags", as: String.self) == "[]")
        #expect(try row.decode("content_type", as: String.self) == "image/gif")
        #expect(try row.decode("data", as: ByteA.self).bytes == Self.onePixelGIF, "the picture's bytes as sent")
        let missing = httpRequest(
            "POST", intake.url("/api/v1/submissions"),
            headers: ["Authorization": "Bearer \(token)", "Content-Type": "multipart/form-data; boundary=xyz"],
            bytes: form(boundary: "xyz", fields: Array(fields.dropFirst()), file: ("kenh.gif", "image/gif", Self.onePixelGIF)))
        #expect(missing.status == 400)
        #expect(missing.body.contains(#""code":"title_required""#))
        #expect(try await intake.terminate() == 0)
        await pool.close()
    }

    @Test("Bad input gets a clear 4xx with a code, and nothing is stored")
    func refusesBadInput() async throws {
        let env = try TestEnvironment()
        let pool = try await env.database()
        let intake = try ServiceProcess("intake", port: Self.port, in: env)
        try await intake.waitUntilReady()
        let token = try self.token("ctv.tuphap", env)
        let json = ["Authorization": "Bearer \(token)", "Content-Type": "application/json"]
        let before = try await count(pool)
        let cases: [(String, [String: String], String, Int, String)] = [
            ("no token", ["Content-Type": "application/json"], submission(), 401, "unauthorized"),
            ("not JSON", ["Authorization": "Bearer \(token)", "Content-Type": "text/plain"], "hello", 415, "unsupported_media_type"),
            ("broken JSON", json, "{\"title\": ", 400, "invalid_json"),
            ("no title", json, submission(title: "  "), 400, "title_required"),
            ("unknown kind", json, submission().replacingOccurrences(of: #""kind": "news""#, with: #""kind": "poem""#), 400, "invalid_kind"),
            ("shares over 100", json, submission().replacingOccurrences(of: #""share": 40"#, with: #""share": 50"#), 400, "invalid_author_shares"),
            ("legal document without details", json,
             submission().replacingOccurrences(of: #""kind": "news""#, with: #""kind": "legal_document""#), 400, "legal_document_details_required"),
            ("draft closing before it opens", json,
             submission(extra: #", "draft": {"opensOn": "2026-12-10", "closesOn": "2026-12-01"}"#)
                .replacingOccurrences(of: #""kind": "news""#, with: #""kind": "draft_for_comment""#), 400, "draft_dates_invalid"),
            // Year 0000 parsed, but PostgreSQL refuses it: the item was received, approved, then never published.
            ("a legal document issued in year 0000", json,
             submission(extra: #", "legalDocument": {"number": "01/QĐ-UBND", "issuer": "UBND tỉnh", "issueDate": "0000-01-01", "effectiveDate": "2026-12-01", "summary": "Quy chế"}"#)
                .replacingOccurrences(of: #""kind": "news""#, with: #""kind": "legal_document""#), 400, "legal_document_details_required"),
            ("a draft opening in year 0000", json,
             submission(extra: #", "draft": {"opensOn": "0000-01-01", "closesOn": "2026-12-01"}"#)
                .replacingOccurrences(of: #""kind": "news""#, with: #""kind": "draft_for_comment""#), 400, "draft_dates_required"),
            ("foreign target site", json,
             submission().replacingOccurrences(of: "sotuphap.longan.gov.vn", with: "example.com"), 400, "invalid_target_site"),
            ("a target site no unit has", json,
             submission().replacingOccurrences(of: "sotuphap.longan.gov.vn", with: "khongco.longan.gov.vn"), 400, "unknown_target_site"),
            ("bad base64", json, submission().replacingOccurrences(of: Self.onePixelPNG, with: "***"), 400, "invalid_attachment"),
            ("a PNG that is not one", json, submission().replacingOccurrences(of: Self.onePixelPNG, with: "PGh0bWw+"), 400, "content_type_mismatch"),
            // A PNG's signature and nothing after it: the home page showed it as a broken picture.
            ("a PNG's signature alone", json, submission().replacingOccurrences(of: Self.onePixelPNG, with: "iVBORw0KGgo="), 400, "unreadable_image"),
            // A picture in the body naming no file sent: a broken picture on every page it reaches.
            ("a body's picture without its file", json, submission(body: "Sơ đồ tổ chức: ![Sơ đồ](so-do.png)"), 400, "picture_not_attached"),
            ("a body's HTML picture without its file", json,
             submission(body: "<p>Ảnh: <img src='/tep/khong-co.png' alt='Ảnh'></p>").replacingOccurrences(of: #""bodyFormat": "markdown""#, with: #""bodyFormat": "html""#),
             400, "picture_not_attached"),
            ("path in the file name", json, submission().replacingOccurrences(of: "hoi-nghi.png", with: "../../etc/passwd"), 400, "invalid_file_name"),
            ("control character in the file name", json, submission().replacingOccurrences(of: "hoi-nghi.png", with: #"a\u0007.png"#), 400, "invalid_file_name"),
        ]
        for (name, headers, body, status, code) in cases {
            let response = httpRequest("POST", intake.url("/api/v1/submissions"), headers: headers, body: body)
            #expect(response.status == status, "\(name): \(response.body)")
            #expect(response.body.contains(#""code":"\#(code)""#), "\(name): \(response.body)")
        }
        // An editor is not a submitter.
        let editor = try self.token("btv.lan", env)
        let forbidden = httpRequest(
            "POST", intake.url("/api/v1/submissions"), headers: ["Authorization": "Bearer \(editor)", "Content-Type": "application/json"],
            body: submission())
        #expect(forbidden.status == 403)
        #expect(try await count(pool) == before)
        #expect(try await intake.terminate() == 0)
        await pool.close()
    }
}
