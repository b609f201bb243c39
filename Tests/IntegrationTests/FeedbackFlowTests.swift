import Foundation
import Images
import Models
import Store
import Testing

/// Citizens' questions against the running services (issue: citizen feedback): intake, approval,
/// publishing and feedback as processes, PostgreSQL and RabbitMQ as deploy/test starts them.
@Suite("Citizen feedback", .serialized)
struct FeedbackFlowTests {
    static let feedbackPort = 18_284
    static let publishingPort = 18_283
    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Browser/feedback_check.py").path
    }

    struct Services {
        let s: EditorialFlowTests.Services
        let feedback: ServiceProcess
        let publishing: ServiceProcess
        var pool: DatabasePool { s.pool }
    }

    /// Intake and approval (for drafts), publishing and feedback, with one mail folder.
    func withServices(_ body: (Services) async throws -> Void) async throws {
        try await EditorialFlowTests().withServices { s in
            try await PublishingSitesTests(publishingPort: Self.publishingPort).withPublishing(s) { publishing in
                let feedback = try ServiceProcess("feedback", port: Self.feedbackPort, environment: [
                    "PORTAL_MAIL_RELAY": "folder:\(s.work)/outgoing",
                    "FEEDBACK_DATA_KEYS": "k1:" + Data((0..<32).map { UInt8($0) }).base64EncodedString(),
                    "FEEDBACK_PUBLIC_URL": "https://longan.gov.vn",
                    // The deadline watch looks every second, so that a test sees its emails at once.
                    "FEEDBACK_SCHEDULE_SECONDS": "1",
                ], in: s.env)
                do {
                    try await feedback.waitUntilReady()
                    try await body(Services(s: s, feedback: feedback, publishing: publishing))
                } catch {
                    _ = try? await feedback.terminate()
                    throw error
                }
                #expect(try await feedback.terminate() == 0)
            }
        }
    }

    /// The messages in the outgoing mail folder addressed to `address`.
    func mails(to address: String, in work: String) -> [String] {
        let folder = "\(work)/outgoing/new"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.compactMap { try? String(contentsOfFile: "\(folder)/\($0)", encoding: .utf8) }
            .filter { $0.contains("To: \(address)") || $0.contains("To: <\(address)>") }
    }

    func question(_ s: Services, _ json: String, address: String = "203.0.113.7") -> (status: Int?, json: [String: Any], text: String) {
        let response = httpRequest("POST", s.feedback.url("/api/v1/questions"),
                                   headers: ["Content-Type": "application/json", "Host": "longan.gov.vn", "X-Forwarded-For": address], body: json)
        return (response.status, (try? JSONSerialization.jsonObject(with: Data(response.body.utf8))) as? [String: Any] ?? [:], response.body)
    }

    func status(_ s: Services, _ code: String) -> [String: Any] {
        let response = httpRequest("GET", s.feedback.url("/api/v1/questions/\(code)"), headers: ["X-Forwarded-For": "198.51.100.\(Int.random(in: 1...250))"])
        return (try? JSONSerialization.jsonObject(with: Data(response.body.utf8))) as? [String: Any] ?? [:]
    }

    func id(of code: String, _ s: Services) async throws -> UUID {
        try await s.pool.withConnection {
            try $0.query("SELECT id FROM feedback.questions WHERE tracking_sha256 = sha256(convert_to($1, 'UTF8'))", [code]).one().decode("id")
        }
    }

    @Test("A citizen asks in the browser, the Center routes it across Tết, the unit answers, the Center publishes it without personal data, and the citizen is emailed at each step (R-5, R-6.1, R-6.3)")
    func askRouteAnswerPublish() async throws {
        try await withServices { s in
            let password = ProcessInfo.processInfo.environment["PORTAL_DEMO_PASSWORD"] ?? "longan-demo-2026"
            let title = "Hỏi về đăng ký khai sinh cho con \(UUID().uuidString.prefix(4))"
            let email = "beba.\(UUID().uuidString.prefix(6).lowercased())@example.vn"
            let person = ["NAME": "Trần Thị Bé Ba", "EMAIL": email, "PHONE": "0912345678"]
            let asked = try s.s.env.run("/usr/bin/env", ["python3", Self.script], environment: [
                "BASE": s.feedback.url(""), "PHASE": "ask", "TITLE": title, "PASSWORD": password,
            ].merging(person) { $1 })
            #expect(asked.status == 0 && asked.output.contains("ask check passed"), "\(asked.output)")
            let code = try #require(asked.output.firstMatch(of: #/CODE ([A-Z0-9]{20})/#).map { String($0.output.1) }, "\(asked.output)")
            let id = try await id(of: code, s)

            // Stored apart and sealed: the question's row has no personal data, the sealed row no plain text.
            let stored = try await s.pool.withConnection { connection in
                (try connection.query("SELECT row_to_json(q)::text AS row FROM feedback.questions q WHERE id = $1", [id]).one().decode("row", as: String.self),
                 try connection.query("SELECT encode(sealed, 'escape') AS sealed FROM feedback.personal_data WHERE question_id = $1", [id]).one()
                    .decode("sealed", as: String.self))
            }
            for secret in [person["NAME"]!, email, "0912345678", "Mỹ Yên"] {
                #expect(!stored.0.contains(secret) && !stored.1.contains(secret), "R-5.4: \(secret) is neither in the question nor in clear")
            }
            #expect(status(s, code)["status"] as? String == "received", "without a field the question waits for the Center")

            // A question received on Thursday 12 February 2026, the day before Tết's holiday.
            try await s.pool.withConnection { _ = try $0.query("UPDATE feedback.questions SET received_on = '2026-02-12' WHERE id = $1", [id]) }
            let staff = try s.s.env.run("/usr/bin/env", ["python3", Self.script], environment: [
                "BASE": s.feedback.url(""), "PHASE": "staff", "TITLE": title, "PASSWORD": password,
            ].merging(person) { $1 })
            #expect(staff.status == 0 && staff.output.contains("staff check passed"), "\(staff.output)")

            let followed = status(s, code)
            #expect(followed["status"] as? String == "published")
            #expect(followed["dueDate"] as? String == "2026-03-12", "R-6.1, R-6.3: 15 working days across Tết")
            #expect((followed["unit"] as? [String: Any])?["code"] as? String == "department-sotuphap")
            let text = String(describing: followed)
            for secret in [person["NAME"]!, email, "0912345678"] { #expect(!text.contains(secret), "R-5.4: the API never shows \(secret)") }

            // Published by publishing from answer.published, without personal data.
            let path = "/hoi-dap/\(id.uuidString.lowercased()).html"
            try await eventually("the answer's page is on the portal", within: 20) {
                PublishingSitesTests(publishingPort: Self.publishingPort).page(s.publishing, "longan.gov.vn", path).status == 200
            }
            let published = try s.s.env.run("/usr/bin/env", ["python3", Self.script], environment: [
                "BASE": s.feedback.url(""), "PORTAL": s.publishing.url(""), "PHASE": "published", "TITLE": title, "ID": id.uuidString.lowercased(),
                "CODE": code,
            ].merging(person) { $1 })
            #expect(published.status == 0 && published.output.contains("published check passed"), "\(published.output)")
            try await eventually("found by the portal's search without diacritics", within: 20) {
                PublishingSitesTests(publishingPort: Self.publishingPort).page(s.publishing, "longan.gov.vn", "/tim-kiem?q=dang+ky+khai+sinh+cho+con").body
                    .contains(path)
            }

            // The citizen was emailed when it was received, routed and answered.
            try await eventually("the citizen's three emails left", within: 20) { mails(to: email, in: s.s.work).count >= 3 }
            let sent = mails(to: email, in: s.s.work).joined(separator: "\n")
            #expect(sent.contains(code) || sent.contains(String(code.prefix(5))), "the first email carries the tracking code")

            // Every reading of the contact by a person is in the audit log (R-5.4).
            let reads = try await s.pool.withConnection {
                try $0.query("SELECT count(*)::int AS n FROM core.audit_log WHERE action = 'personal_data.read' AND subject = $1 AND actor = 'hoidap.hcc'",
                             [id.uuidString.lowercased()]).one().decode("n", as: Int.self)
            }
            #expect(reads >= 1)
        }
    }

    @Test("Bad input gets a clear 4xx in Vietnamese and stores nothing; the code cannot be guessed; submissions are limited per address")
    func badInput() async throws {
        try await withServices { s in
            let before = try await s.pool.withConnection { try $0.query("SELECT count(*)::int AS n FROM feedback.questions").one().decode("n", as: Int.self) }
            let cases: [(String, Int, String)] = [
                (#"{"name": "A", "email": "a@example.vn", "title": "T", "body": "B"}"#, 422, "consent_required"),
                (#"{"name": "A", "email": "a@", "title": "T", "body": "B", "consent": true}"#, 400, "invalid_email"),
                (#"{"name": "A", "phone": "12345", "title": "T", "body": "B", "consent": true}"#, 400, "invalid_phone"),
                (#"{"name": "A", "email": "a@example.vn", "title": "T", "body": "\#(String(repeating: "x", count: 10_001))", "consent": true}"#, 400, "body_too_long"),
                (#"{"name": "A", "email": "a@example.vn", "title": "T", "body": "B", "field": "nope", "consent": true}"#, 400, "unknown_field"),
                (#"{"name": ["A"], "title": "T"}"#, 400, "invalid_name"),
                ("not json", 400, "invalid_json"),
            ]
            for (body, expected, code) in cases {
                let answer = question(s, body)
                #expect(answer.status == expected, "\(code): \(answer.text.prefix(200))")
                #expect((answer.json["error"] as? [String: Any])?["code"] as? String == code)
            }
            let message = (question(s, cases[0].0).json["error"] as? [String: Any])?["message"] as? String ?? ""
            #expect(message.contains("đồng ý"), "the refusal says why, in Vietnamese")
            let after = try await s.pool.withConnection { try $0.query("SELECT count(*)::int AS n FROM feedback.questions").one().decode("n", as: Int.self) }
            #expect(after == before, "nothing stored half-way")

            // A form body no browser would send (raw UTF-8, a stray %) is read, never a crash, on every service's forms.
            for (service, path) in [(s.feedback, "/hoi-dap/tra-cuu/bo-sung"), (s.feedback, "/feedback/login"), (s.s.intake, "/submit/login"),
                                    (s.s.approval, "/console/login")] {
                let raw = httpRequest("POST", service.url(path), headers: ["Content-Type": "application/x-www-form-urlencoded"],
                                      body: "ma=Đ%ZZ&text=Bổ sung 100%&login=é%&password=%E0%A4%A")
                #expect(raw.status.map { (200..<500).contains($0) } == true, "\(path) answers \(raw.status ?? 0)")
            }
            #expect(httpRequest("GET", s.feedback.url("/healthz")).status == 200, "the service still runs")

            // Markup is kept as text and never rendered as markup.
            let script = question(s, #"{"name": "<b>A</b>", "email": "x1@example.vn", "title": "<script>alert(1)</script>", "body": "<img src=x onerror=alert(1)>", "consent": true}"#)
            #expect(script.status == 202)
            let code = try #require(script.json["trackingCode"] as? String)
            #expect(code.count >= 16)
            let page = httpRequest("GET", s.feedback.url("/hoi-dap/tra-cuu?ma=\(code)"), headers: ["Host": "longan.gov.vn"])
            #expect(page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !page.body.contains("<script>alert(1)"))
            #expect(page.headers["content-security-policy"]?.contains("script-src 'none'") == true)

            // An attachment must be what it says it is: HTML declared as a picture is refused, a real PNG is kept.
            func multipart(_ file: [UInt8], type: String, name: String, path: String = "/api/v1/questions", page: Bool = false) -> (status: Int?, body: String) {
                let folder = NSTemporaryDirectory() + "question-\(UUID().uuidString.prefix(8))"
                try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                defer { try? FileManager.default.removeItem(atPath: folder) }
                FileManager.default.createFile(atPath: "\(folder)/\(name)", contents: Data(file))
                var arguments = ["-s", "-o", "\(folder)/answer", "-w", "%{http_code}", "-H", "X-Forwarded-For: 203.0.113.\(Int.random(in: 1...250))"]
                for (field, value) in [("name", "Đỗ Văn Bảy"), ("email", "bay\(UUID().uuidString.prefix(4))@example.vn"), ("title", "Ảnh biên lai"),
                                       ("body", "Biên lai đính kèm"), ("consent", "dong-y")] {
                    arguments += ["--form-string", "\(field)=\(value)"]
                }
                if page { arguments += ["-H", "Accept: text/html,application/xhtml+xml", "-H", "Host: longan.gov.vn"] }
                arguments += ["-F", "attachment=@\(folder)/\(name);type=\(type)", s.feedback.url(path)]
                let status = (try? s.s.env.run("/usr/bin/curl", arguments))?.output
                let body = (try? String(contentsOfFile: "\(folder)/answer", encoding: .utf8)) ?? ""
                return (status.flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }, body)
            }
            let fake = multipart(Array("<html><script>alert(1)</script></html>".utf8), type: "image/png", name: "bien-lai.png")
            #expect(fake.status == 400 && fake.body.contains("invalid_attachment"), "\(fake.body.prefix(300))")
            // A PNG's signature followed by nothing a picture is made of: staff would open a broken picture.
            let signatureOnly = multipart([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 0, count: 64), type: "image/png", name: "bien-lai.png")
            #expect(signatureOnly.status == 400 && signatureOnly.body.contains("unreadable_image"), "\(signatureOnly.body.prefix(300))")
            // A photo cut off halfway in the upload: its header reads, its pixels do not.
            let photo = try DemoPictures.jpeg(width: 640, height: 480, caption: "Biên lai", red: 200, green: 180, blue: 90)
            let cutOff = multipart(Array(photo.prefix(photo.count / 2)), type: "image/jpeg", name: "bien-lai.jpg")
            #expect(cutOff.status == 400 && cutOff.body.contains("unreadable_image"), "\(cutOff.body.prefix(300))")
            // A scan a little over 5 MB sent from the page: refused by name in the form, with what was typed kept.
            let scan = Array("%PDF-1.4\n".utf8) + Array(repeating: UInt8(ascii: " "), count: 6 * 1024 * 1024)
            let overPage = multipart(scan, type: "application/pdf", name: "bien-lai.pdf", path: "/hoi-dap/gui-cau-hoi", page: true)
            #expect(overPage.status == 400 && overPage.body.contains("lớn hơn 5 MB") && overPage.body.contains("Biên lai đính kèm"),
                    "\(overPage.body.prefix(300))")
            // Over what the proxy lets through: a page a person can read, in Vietnamese, not JSON; the API still answers JSON.
            let huge = Array("%PDF-1.4\n".utf8) + Array(repeating: UInt8(ascii: " "), count: 8 * 1024 * 1024)
            let hugePage = multipart(huge, type: "application/pdf", name: "bien-lai.pdf", path: "/hoi-dap/gui-cau-hoi", page: true)
            #expect(hugePage.status == 413 && hugePage.body.contains("<html lang=\"vi\"") && hugePage.body.contains("quá lớn"), "\(hugePage.body.prefix(300))")
            let hugeAPI = multipart(huge, type: "application/pdf", name: "bien-lai.pdf")
            #expect(hugeAPI.status == 413 && hugeAPI.body.contains(#""code":"payload_too_large""#), "\(hugeAPI.body.prefix(300))")
            let real = multipart(Array(Data(base64Encoded: IntakeAPITests.onePixelPNG)!), type: "image/png", name: "bien-lai.png")
            #expect(real.status == 202, "\(real.body.prefix(300))")

            // A guessed code is a 404, never another's question.
            #expect(httpRequest("GET", s.feedback.url("/api/v1/questions/ABCDEFGHJKMNPQRSTUVW")).status == 404)
            #expect(httpRequest("GET", s.feedback.url("/api/v1/questions/short")).status == 404)

            // Per address: the 21st question within the hour is refused, with a Vietnamese message and Retry-After.
            var refused: (status: Int?, json: [String: Any], text: String)?
            for index in 0..<25 {
                let answer = question(s, #"{"name": "B", "email": "flood\#(index)@example.vn", "title": "T", "body": "B", "consent": true}"#, address: "192.0.2.99")
                if answer.status == 429 { refused = answer; break }
            }
            let limit = try #require(refused, "a flood from one address is limited")
            #expect((limit.json["error"] as? [String: Any])?["code"] as? String == "too_many_questions")
        }
    }

    @Test("Questions sent at once are committed together, yet each keeps its own code, its routing to the field's unit with the due date a question asked alone gets (R-6.1, R-6.3), its history, its two events and one email to its own citizen")
    func questionsAtOnce() async throws {
        try await withServices { s in
            let run = UUID().uuidString.prefix(6).lowercased()
            func body(_ index: Int) -> String {
                #"{"name": "Người hỏi \#(index)", "email": "dong.\#(run).\#(index)@example.vn", "title": "Hỏi cùng lúc \#(run) \#(index)", "body": "Xin hỏi thủ tục đăng ký khai sinh.", "field": "justice_civil_status", "consent": true}"#
            }
            let alone = question(s, body(0), address: "198.51.100.200")
            #expect(alone.status == 202, "\(alone.text.prefix(300))")
            let aloneStatus = status(s, try #require(alone.json["trackingCode"] as? String))
            #expect(aloneStatus["status"] as? String == "routed")
            let unit = (aloneStatus["unit"] as? [String: Any])?["code"] as? String
            let due = try #require(aloneStatus["dueDate"] as? String)

            let count = 48
            let headers = Dictionary(uniqueKeysWithValues: (1...count).map { index in
                (index - 1, ["Content-Type": "application/json", "Host": "longan.gov.vn", "X-Forwarded-For": "198.51.100.\(index)"])
            })
            let answers = httpPostsAtOnce(s.feedback.url("/api/v1/questions"), bodies: (1...count).map(body), headers: headers)
            var codes = [String]()
            for (index, answer) in answers.enumerated() {
                #expect(answer.status == 202, "question \(index + 1): \(answer.body.prefix(200))")
                let json = (try? JSONSerialization.jsonObject(with: Data(answer.body.utf8))) as? [String: Any] ?? [:]
                if let code = json["trackingCode"] as? String { codes.append(code) }
            }
            #expect(codes.count == count && Set(codes).count == count, "each question has its own code")

            for (index, code) in codes.enumerated() {
                let seen = status(s, code)
                #expect(seen["title"] as? String == "Hỏi cùng lúc \(run) \(index + 1)", "the code finds its own question")
                #expect(seen["status"] as? String == "routed")
                #expect((seen["unit"] as? [String: Any])?["code"] as? String == unit)
                #expect(seen["dueDate"] as? String == due, "the same due date as the question asked alone")
            }
            let stored = try await s.pool.withConnection { connection in
                try connection.query(
                    """
                    SELECT (SELECT count(*) FROM feedback.history h WHERE h.question_id = q.id AND h.action IN ('received', 'routed'))::int AS lines,
                           (SELECT count(*) FROM feedback.outbox o WHERE o.routing_key IN ('question.received', 'question.routed')
                              AND lower(o.envelope::jsonb -> 'payload' ->> 'questionId') = q.id::text)::int AS events,
                           (SELECT count(*) FROM feedback.personal_data p WHERE p.question_id = q.id)::int AS sealed
                    FROM feedback.questions q WHERE q.title LIKE $1
                    """, ["Hỏi cùng lúc \(run) %"]
                ).rows.map { (try $0.decode("lines", as: Int.self), try $0.decode("events", as: Int.self), try $0.decode("sealed", as: Int.self)) }
            }
            #expect(stored.count == count + 1)
            #expect(stored.allSatisfy { $0 == (2, 2, 1) }, "received and routed in the history and the outbox, personal data sealed: \(stored)")

            try await eventually("each citizen's email left", within: 30) {
                (1...count).allSatisfy { mails(to: "dong.\(run).\($0)@example.vn", in: s.s.work).count == 1 }
            }
            for (index, code) in codes.enumerated() {
                let mail = mails(to: "dong.\(run).\(index + 1)@example.vn", in: s.s.work)
                // The body is quoted-printable: the grouped code ("ABCDE-FGHIJ-…") sits on a short line, whole.
                #expect(mail.count == 1 && mail[0].contains(TrackingCode.grouped(code)), "citizen \(index + 1) is told their own code, once")
            }
        }
    }

    @Test("A draft for comment opens when published; comments on an article are taken until its closing date and refused after it with the date (R-6.4); the lead unit exports them")
    func draftsForComment() async throws {
        try await withServices { s in
            let today = Date()
            func day(_ offset: Int) -> String {
                var calendar = Calendar(identifier: .gregorian)
                calendar.timeZone = TimeZone(identifier: "Asia/Ho_Chi_Minh")!
                let date = calendar.date(byAdding: .day, value: offset, to: today)!
                let parts = calendar.dateComponents([.year, .month, .day], from: date)
                return String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
            }
            func draft(_ title: String, opens: String, closes: String) -> String {
                #"{"kind": "draft_for_comment", "title": "\#(title)", "body": "Dự thảo quy định.\n\nĐiều 1. Phạm vi điều chỉnh\nQuy định này áp dụng ...\n\nĐiều 2. Hiệu lực\nCó hiệu lực từ ...", "bodyFormat": "text", "draft": {"opensOn": "\#(opens)", "closesOn": "\#(closes)"}}"#
            }
            // A draft in markdown whose text holds a diagram, sent with it, in the paragraph that
            // begins Điều 2: the article is still found, so a comment on it is taken (below).
            func illustrated(_ title: String, opens: String, closes: String) -> String {
                #"{"kind": "draft_for_comment", "title": "\#(title)", "body": "Dự thảo quy định.\n\nĐiều 1. Tổ chức bộ máy\n\n![Sơ đồ tổ chức bộ máy](so-do.png)\nĐiều 2. Hiệu lực\n\nCó hiệu lực từ ...", "bodyFormat": "markdown", "draft": {"opensOn": "\#(opens)", "closesOn": "\#(closes)"}, "attachments": [{"filename": "so-do.png", "contentType": "image/png", "dataBase64": "\#(IntakeAPITests.onePixelPNG)", "altText": "Sơ đồ tổ chức bộ máy"}]}"#
            }
            let tag = String(UUID().uuidString.prefix(4))
            let sites = PublishingSitesTests(publishingPort: Self.publishingPort)
            let open = try await sites.approved(s.s, title: "Dự thảo quy định mở \(tag)", submission: illustrated("Dự thảo quy định mở \(tag)", opens: day(-1), closes: day(10)),
                                                classification: #""targetSites": ["longan.gov.vn"]"#)
            let closed = try await sites.approved(s.s, title: "Dự thảo quy định đã đóng \(tag)", submission: draft("Dự thảo quy định đã đóng \(tag)", opens: day(-10), closes: day(-1)),
                                                  classification: #""targetSites": ["longan.gov.vn"]"#)
            try await eventually("both consultations open once published", within: 30) {
                httpRequest("GET", s.feedback.url("/hoi-dap/y-kien/\(open)")).status == 200 && httpRequest("GET", s.feedback.url("/hoi-dap/y-kien/\(closed)")).status == 200
            }
            // The draft's text beside the comment form keeps its diagram where it stood, as its description.
            let draftPage = httpRequest("GET", s.feedback.url("/hoi-dap/y-kien/\(open)")).body
            #expect(draftPage.contains("[Hình: Sơ đồ tổ chức bộ máy]"), "\(draftPage)")
            #expect(draftPage.contains("Điều 2. Hiệu lực"))
            let form = ["Content-Type": "application/x-www-form-urlencoded", "Host": "longan.gov.vn"]
            let taken = httpRequest("POST", s.feedback.url("/hoi-dap/y-kien/\(open)"), headers: form, body: "article=2&body=Đề+nghị+hiệu+lực+sau+45+ngày&organisation=Hội+Luật+gia")
            #expect(taken.status == 200 && taken.body.contains("Cảm ơn"), "\(taken.body.prefix(300))")
            let late = httpRequest("POST", s.feedback.url("/hoi-dap/y-kien/\(closed)"), headers: form, body: "body=Góp+ý+muộn")
            #expect(late.status == 409)
            #expect(late.body.contains("hết thời gian lấy ý kiến"), "a late comment is refused with a clear message")
            let unknownArticle = httpRequest("POST", s.feedback.url("/hoi-dap/y-kien/\(open)"), headers: form, body: "article=9&body=x")
            #expect(unknownArticle.status == 400)
            let count = try await s.pool.withConnection {
                try $0.query("SELECT count(*)::int AS n FROM feedback.comments WHERE consultation_id = $1", [UUID(uuidString: closed)!]).one().decode("n", as: Int.self)
            }
            #expect(count == 0, "nothing stored from the late comment")

            // The lead unit (Sở Tư pháp's officer) exports the comments as CSV and XLSX.
            let staff = try StaffSession(base: s.feedback.url(""), login: "phananh.tuphap")
            let csv = staff.get("/feedback/consultations/\(open)/comments.csv")
            #expect(csv.status == 200 && csv.body.contains("Điều 2") && csv.body.contains("Hội Luật gia"), "\(csv.body.prefix(300))")
            let xlsx = staff.get("/feedback/consultations/\(open)/comments.xlsx")
            #expect(xlsx.status == 200 && xlsx.headers["content-type"]?.contains("spreadsheetml") == true)
            let summary = staff.post("/feedback/consultations/\(open)/summary", ["summary": "Tiếp thu ý kiến về Điều 2."])
            #expect(summary.status == 200)
            #expect(httpRequest("GET", s.feedback.url("/hoi-dap/y-kien/\(open)")).body.contains("Tiếp thu ý kiến về Điều 2."))
            let events = try await s.pool.withConnection {
                try $0.query("SELECT count(*)::int AS n FROM feedback.outbox WHERE routing_key IN ('consultation.opened', 'comment.received') AND envelope ILIKE $1",
                             ["%\(open)%"]).one().decode("n", as: Int.self)
            }
            #expect(events == 2, "consultation.opened and comment.received through the outbox")

            // The same in the browser, audited: the drafts' pages, a comment on an article, the lead unit's pages.
            let browser = try s.s.env.run("/usr/bin/env", ["python3", Self.script], environment: [
                "BASE": s.feedback.url(""), "PHASE": "pages", "DRAFT": open,
            ])
            #expect(browser.status == 0 && browser.output.contains("pages check passed"), "\(browser.output)")

            // Art. 9.4: the Head takes the draft down; its page here goes with it, text and form.
            let down = try s.s.api("POST", "/articles/\(open)/take-down", as: "truongban",
                                   body: #"{"reason": "Dự thảo bị thay thế", "publicExplanation": "Dự thảo đã được thay thế."}"#)
            #expect(down.status == 200, "\(down.text)")
            try await eventually("the taken-down draft's page is gone", within: 20) {
                httpRequest("GET", s.feedback.url("/hoi-dap/y-kien/\(open)")).status == 410
            }
            let gone = httpRequest("GET", s.feedback.url("/hoi-dap/y-kien/\(open)"))
            #expect(!gone.body.contains("Dự thảo quy định mở") && !gone.body.contains("Điều 2") && !gone.body.contains("Tiếp thu ý kiến"),
                    "nothing of the taken-down draft is shown: \(gone.body)")
            let afterwards = httpRequest("POST", s.feedback.url("/hoi-dap/y-kien/\(open)"), headers: form, body: "article=1&body=Góp+ý+sau+khi+gỡ")
            #expect(afterwards.status == 410 && !afterwards.body.contains("Góp ý sau khi gỡ"))
            #expect(!httpRequest("GET", s.feedback.url("/hoi-dap/y-kien/")).body.contains(open), "the list no longer shows it")
        }
    }

    @Test("An online dialogue: a question for it is routed to the leader taking its field, whose answer appears on the dialogue's page, which refreshes itself")
    func onlineDialogue() async throws {
        try await withServices { s in
            let center = try StaffSession(base: s.feedback.url(""), login: "hoidap.hcc")
            let starts = PortalTestCalendar.localDateTime(Date().addingTimeInterval(-3_600))
            let ends = PortalTestCalendar.localDateTime(Date().addingTimeInterval(3_600))
            let created = center.post("/feedback/dialogues", [
                "title": "Đối thoại về cải cách thủ tục hộ tịch", "description": "Lãnh đạo Sở Tư pháp trả lời.", "startsAt": starts, "endsAt": ends,
                "participant": "gd.tuphap", "fields:gd.tuphap": "justice_civil_status",
            ])
            #expect(created.status == 303, "\(created.body.prefix(300))")
            let dialogue = try #require(created.headers["location"]?.split(separator: "/").last.map(String.init))
            let asked = httpRequest("POST", s.feedback.url("/hoi-dap/gui-cau-hoi"),
                                    headers: ["Content-Type": "application/x-www-form-urlencoded", "Host": "longan.gov.vn", "X-Forwarded-For": "203.0.113.50"],
                                    body: "dialogue=\(dialogue)&title=Trích+lục+khai+sinh+bản+sao&body=Xin+trích+lục+ở+đâu&field=justice_civil_status&name=Lê+Văn+Tư&email=tu.le@example.vn&consent=dong-y")
            #expect(asked.status == 200 && asked.body.contains("tracking-code"), "\(asked.body.prefix(300))")
            let code = try #require(asked.body.firstMatch(of: #/name="ma" value="([A-Z0-9]{20})"/#).map { String($0.output.1) })
            let id = try await id(of: code, s)
            try await eventually("routed to the leader taking the field", within: 15) {
                try await s.pool.withConnection {
                    try $0.query("SELECT u.login FROM feedback.questions q JOIN core.users u ON u.id = q.assigned_user_id WHERE q.id = $1", [id]).rows.first?
                        .decode("login", as: String.self)
                } == "gd.tuphap"
            }
            let leader = try StaffSession(base: s.feedback.url(""), login: "gd.tuphap")
            let answered = leader.post("/feedback/questions/\(id.uuidString.lowercased())/dialogue-answer", ["answer": "Ông/bà xin trích lục tại UBND cấp xã."])
            #expect(answered.status == 303 && answered.headers["location"]?.hasSuffix("?done=dialogue-answer") == true, "\(answered.body.prefix(300))")
            let page = httpRequest("GET", s.feedback.url("/hoi-dap/doi-thoai/\(dialogue)"), headers: ["Host": "longan.gov.vn"])
            #expect(page.body.contains("Ông/bà xin trích lục tại UBND cấp xã.") && page.body.contains("Trích lục khai sinh bản sao"))
            // WCAG 2.2.1: the page refreshes itself only when the reader asks, and says how to stop it.
            #expect(!page.body.contains("http-equiv") && page.headers["refresh"] == nil, "no refresh the reader did not ask for")
            #expect(page.body.contains("?tu-dong=1"), "the reader may turn on the refresh")
            let live = httpRequest("GET", s.feedback.url("/hoi-dap/doi-thoai/\(dialogue)?tu-dong=1"), headers: ["Host": "longan.gov.vn"])
            #expect(live.headers["refresh"] == "60", "a live dialogue's page, asked to, refreshes itself without scripts")
            #expect(live.body.contains("Tắt tự động cập nhật"))
            #expect(!page.body.contains("Lê Văn Tư") && !page.body.contains("tu.le@example.vn"), "R-5.4")

            // R-5.4: a question that names its asker goes on the dialogue's page without its words;
            // an answer that repeats the asker's phone number is refused, the typed answer kept.
            let named = httpRequest("POST", s.feedback.url("/hoi-dap/gui-cau-hoi"),
                                    headers: ["Content-Type": "application/x-www-form-urlencoded", "Host": "longan.gov.vn", "X-Forwarded-For": "203.0.113.51"],
                                    body: "dialogue=\(dialogue)&title=Hỏi+về+hộ+tịch+của+Trần+Văn+Sáu&body=Tôi+là+Trần+Văn+Sáu,+điện+thoại+0912+345+679,+xin+hỏi+cấp+lại+giấy+khai+sinh&field=justice_civil_status&name=Trần+Văn+Sáu&email=sau.tran@example.vn&phone=0912345679&consent=dong-y")
            let namedCode = try #require(named.body.firstMatch(of: #/name="ma" value="([A-Z0-9]{20})"/#).map { String($0.output.1) }, "\(named.body.prefix(300))")
            let namedId = try await self.id(of: namedCode, s)
            try await eventually("the named question reaches the leader", within: 15) {
                try await s.pool.withConnection {
                    try $0.query("SELECT assigned_user_id IS NOT NULL AS routed FROM feedback.questions WHERE id = $1", [namedId]).one().decode("routed", as: Bool.self)
                }
            }
            let leaking = leader.post("/feedback/questions/\(namedId.uuidString.lowercased())/dialogue-answer",
                                      ["answer": "Ông Sáu (0912.345.679) xin cấp lại tại UBND cấp xã."])
            #expect(leaking.status == 422 && leaking.body.contains("số điện thoại"), "\(leaking.body.prefix(400))")
            #expect(leaking.body.contains("Ông Sáu (0912.345.679) xin cấp lại tại UBND cấp xã."), "the refused answer is kept in its form")
            let clean = leader.post("/feedback/questions/\(namedId.uuidString.lowercased())/dialogue-answer",
                                    ["answer": "Người dân xin cấp lại giấy khai sinh tại UBND cấp xã nơi đã đăng ký."])
            #expect(clean.status == 303, "\(clean.body.prefix(300))")
            let withNamed = httpRequest("GET", s.feedback.url("/hoi-dap/doi-thoai/\(dialogue)"), headers: ["Host": "longan.gov.vn"]).body
            #expect(withNamed.contains("Người dân xin cấp lại giấy khai sinh"), "the answer is on the dialogue's page")
            for secret in ["Trần Văn Sáu", "0912 345 679", "sau.tran@example.vn"] {
                #expect(!withNamed.contains(secret), "R-5.4: the dialogue's page shows \(secret)")
            }
            #expect(withNamed.contains("không được công khai vì có thông tin cá nhân"), "the page says why the question is not shown")

            // A form sent from an old tab (its token no longer the session's): the page that says so links
            // back to the page the form was on, never to the action's address, which has no page.
            let questionPage = "/feedback/questions/\(namedId.uuidString.lowercased())"
            let form = ["Cookie": leader.cookie, "Content-Type": "application/x-www-form-urlencoded"]
            let oldTab = httpRequest("POST", s.feedback.url(questionPage + "/dialogue-answer"),
                                     headers: form.merging(["Referer": s.feedback.url(questionPage)]) { $1 }, body: "_csrf=cu&answer=x")
            #expect(oldTab.status == 403 && oldTab.body.contains("href=\"\(questionPage)\""), "\(oldTab.body.prefix(400))")
            let elsewhere = httpRequest("POST", s.feedback.url(questionPage + "/dialogue-answer"),
                                        headers: form.merging(["Referer": "https://longan.gov.vn/hoi-dap/"]) { $1 }, body: "_csrf=cu&answer=x")
            #expect(elsewhere.status == 403 && elsewhere.body.contains("href=\"/feedback\""), "\(elsewhere.body.prefix(400))")
            let browser = try s.s.env.run("/usr/bin/env", ["python3", Self.script], environment: [
                "BASE": s.feedback.url(""), "PHASE": "pages", "DIALOGUE": dialogue,
            ])
            #expect(browser.status == 0 && browser.output.contains("pages check passed"), "\(browser.output)")
        }
    }
}

extension FeedbackFlowTests {
    @Test("Reminders before the due date, escalation to the Board member leading the unit and then to the Head, each an email and an event; finance counts the unit's questions and its answers on time from the events")
    func deadlinesAndActivity() async throws {
        try await withServices { s in
            let finance = try ServiceProcess("finance", port: 18_285, environment: [:], in: s.s.env)
            do {
                try await deadlines(s, finance: finance)
            } catch {
                _ = try? await finance.terminate()
                throw error
            }
            #expect(try await finance.terminate() == 0)
        }
    }

    func deadlines(_ s: Services, finance: ServiceProcess) async throws {
        try await finance.waitUntilReady()
        func ask(_ title: String) async throws -> UUID {
            let answer = question(s, #"{"name": "Phạm Văn Năm", "email": "nam.\#(UUID().uuidString.prefix(6))@example.vn", "title": "\#(title)", "body": "Xin hỏi về hộ tịch.", "field": "justice_civil_status", "consent": true}"#,
                                  address: "203.0.113.\(Int.random(in: 1...250))")
            let code = try #require(answer.json["trackingCode"] as? String, "\(answer.text)")
            let id = try await id(of: code, s)
            try await eventually("routed on receipt", within: 15) { status(s, code)["status"] as? String == "routed" }
            return id
        }
        let late = try await ask("Quá hạn \(UUID().uuidString.prefix(4))")
        let soon = try await ask("Sắp đến hạn \(UUID().uuidString.prefix(4))")
        let answered = try await ask("Trả lời đúng hạn \(UUID().uuidString.prefix(4))")
        func history(_ id: UUID) async throws -> [String] {
            try await s.pool.withConnection {
                try $0.query("SELECT action || ':' || note AS line FROM feedback.history WHERE question_id = $1 ORDER BY id", [id]).rows.map { try $0.decode("line") }
            }
        }
        try await s.pool.withConnection {
            _ = try $0.query("UPDATE feedback.questions SET due_on = current_date - 1 WHERE id = $1", [late])
            _ = try $0.query("UPDATE feedback.questions SET due_on = current_date + 1 WHERE id = $1", [soon])
        }
        try await eventually("the overdue case goes to the Board member leading Sở Tư pháp", within: 20) {
            try await history(late).contains { $0.hasPrefix("escalated:board_member") && $0.contains("lmtam@sotuphap.longan.gov.vn") }
        }
        // A field whose unit has no officer yet (Sở Y tế): the reminder goes to the Center, never to no one.
        let health = question(s, #"{"name": "Phạm Văn Năm", "email": "nam.\#(UUID().uuidString.prefix(6))@example.vn", "title": "Hỏi về bảo hiểm y tế \#(UUID().uuidString.prefix(4))", "body": "Xin hỏi về thẻ bảo hiểm y tế.", "field": "health", "consent": true}"#,
                              address: "203.0.113.\(Int.random(in: 1...250))")
        let healthId = try await id(of: try #require(health.json["trackingCode"] as? String, "\(health.text)"), s)
        try await s.pool.withConnection { _ = try $0.query("UPDATE feedback.questions SET due_on = current_date + 1 WHERE id = $1 AND unit_code = 'department-syt'", [healthId]) }
        try await eventually("a unit without an officer: the Center is reminded", within: 20) {
            try await history(healthId).contains { $0.hasPrefix("reminded:reminder") && $0.contains("dtmlinh@longan.gov.vn") && $0.contains("gửi Trung tâm") }
        }
        try await eventually("the case due tomorrow reminds the unit's officers", within: 20) {
            try await history(soon).contains { $0.hasPrefix("reminded:reminder") && $0.contains("ltthao@sotuphap.longan.gov.vn") }
        }
        try await s.pool.withConnection { _ = try $0.query("UPDATE feedback.questions SET due_on = current_date - 20 WHERE id = $1", [late]) }
        try await eventually("long overdue, it goes to the Head", within: 20) {
            try await history(late).contains { $0.hasPrefix("escalated:head") && $0.contains("hvthanh@vpubnd.longan.gov.vn") }
        }
        try await eventually("each notice is an email", within: 20) {
            mails(to: "lmtam@sotuphap.longan.gov.vn", in: s.s.work).count >= 1 && mails(to: "hvthanh@vpubnd.longan.gov.vn", in: s.s.work).count >= 1
        }
        let events = try await s.pool.withConnection {
            try $0.query("SELECT routing_key FROM feedback.outbox WHERE envelope ILIKE $1 ORDER BY seq", ["%\(late.uuidString)%"]).rows
                .map { try $0.decode("routing_key", as: String.self) }
        }
        #expect(events.filter { $0 == "question.escalated" }.count == 2, "\(events)")
        #expect(try await history(soon).filter { $0.hasPrefix("reminded") }.count == 1, "a reminder is sent once")

        // R-6.2: a unit sends back what is not its own within 5 working days, not after.
        let officer = try StaffSession(base: s.feedback.url(""), login: "phananh.tuphap")
        try await s.pool.withConnection { _ = try $0.query("UPDATE feedback.questions SET routed_on = current_date - 10 WHERE id = $1", [late]) }
        let tooLate = officer.post("/feedback/questions/\(late.uuidString.lowercased())/forward", ["note": "Không thuộc thẩm quyền"])
        #expect(tooLate.status == 409 && tooLate.body.contains("quá 5 ngày làm việc"), "\(tooLate.body.prefix(300))")
        let forwarded = officer.post("/feedback/questions/\(soon.uuidString.lowercased())/forward", ["note": "Thuộc lĩnh vực đất đai"])
        #expect(forwarded.status == 303)
        #expect(try await history(soon).last?.hasPrefix("forwarded:Thuộc lĩnh vực đất đai") == true, "the history keeps the unit's reason")
        let center = try StaffSession(base: s.feedback.url(""), login: "hoidap.hcc")
        let rerouted = center.post("/feedback/questions/\(soon.uuidString.lowercased())/classify", ["field": "land_environment"])
        #expect(rerouted.status == 303)
        let moved = try await s.pool.withConnection {
            try $0.query("SELECT unit_code, due_on::text AS due FROM feedback.questions WHERE id = $1", [soon]).one()
        }
        #expect(try moved.decode("unit_code", as: String.self) == "department-snnmt", "the Center routes it to the unit in charge")

        // Answered by the unit, returned once by the Center, answered again, approved privately: on time for finance.
        let drafted = officer.post("/feedback/questions/\(answered.uuidString.lowercased())/answer", ["answer": "Sở Tư pháp trả lời: ..."])
        #expect(drafted.status == 303, "\(drafted.body.prefix(300))")
        let returned = center.post("/feedback/questions/\(answered.uuidString.lowercased())/return", ["note": "Nêu rõ căn cứ pháp lý."])
        #expect(returned.status == 303)
        #expect(officer.get("/feedback/questions/\(answered.uuidString.lowercased())").body.contains("Nêu rõ căn cứ pháp lý."), "the unit sees what to change")
        let again = officer.post("/feedback/questions/\(answered.uuidString.lowercased())/answer", ["answer": "Căn cứ Luật Hộ tịch 2014, ..."])
        #expect(again.status == 303)
        let unconfirmed = center.post("/feedback/questions/\(answered.uuidString.lowercased())/approve", ["publish": "no"])
        #expect(unconfirmed.status == 400, "the Center confirms before the answer leaves")
        let approved = center.post("/feedback/questions/\(answered.uuidString.lowercased())/approve", ["publish": "no", "confirm": "yes"])
        #expect(approved.status == 303, "\(approved.body.prefix(300))")
        let today = PortalTestCalendar.localDateTime(Date()).prefix(10)
        let token = try IntakeAPITests().token("ketoan.mai", s.s.env)
        // A question counts for the unit it was routed to last: the one forwarded to Sở Nông nghiệp và
        // Môi trường counts there, the other two here (other tests' questions of the day may add to both).
        try await eventually("finance counts the unit's questions and the answer on time", within: 20) {
            let report = httpRequest("GET", finance.url("/api/v1/reports/activity?from=\(today)&to=\(today)"), headers: ["Authorization": "Bearer \(token)"])
            let json = (try? JSONSerialization.jsonObject(with: Data(report.body.utf8))) as? [String: Any]
            func unit(_ code: String) -> [String: Any]? { (json?["units"] as? [[String: Any]])?.first { $0["unitCode"] as? String == code } }
            return (unit("department-sotuphap")?["questionsReceived"] as? Int ?? 0) >= 2
                && (unit("department-sotuphap")?["answeredOnTime"] as? Int ?? 0) >= 1
                && (unit("department-snnmt")?["questionsReceived"] as? Int ?? 0) >= 1
        }
    }

    @Test("The citizen adds what the unit asked for and the due date moves by the pause; the citizen sees, corrects and deletes their personal data through a link sent to their email (R-5.3)")
    func clarificationAndOwnData() async throws {
        try await withServices { s in
            let email = "sau.\(UUID().uuidString.prefix(6).lowercased())@example.vn"
            let answer = question(s, #"{"name": "Võ Thị Sáu", "email": "\#(email)", "phone": "+84 912 000 111", "title": "Hỏi về lý lịch tư pháp", "body": "Xin cấp phiếu lý lịch tư pháp.", "field": "justice_civil_status", "consent": true}"#)
            let code = try #require(answer.json["trackingCode"] as? String, "\(answer.text)")
            let id = try await id(of: code, s)
            try await eventually("routed", within: 15) { status(s, code)["status"] as? String == "routed" }
            let officer = try StaffSession(base: s.feedback.url(""), login: "phananh.tuphap")
            let asked = officer.post("/feedback/questions/\(id.uuidString.lowercased())/clarify", ["request": "Ông/bà cần phiếu số 1 hay số 2?"])
            #expect(asked.status == 303)
            let waiting = status(s, code)
            #expect(waiting["status"] as? String == "awaiting_citizen" && waiting["clarificationRequest"] as? String == "Ông/bà cần phiếu số 1 hay số 2?")
            // Paused since a week ago: the due date moves by the working days of the pause.
            try await s.pool.withConnection { _ = try $0.query("UPDATE feedback.questions SET paused_on = current_date - 7 WHERE id = $1", [id]) }
            let before = try #require(waiting["dueDate"] as? String)
            let reply = httpRequest("POST", s.feedback.url("/api/v1/questions/\(code)/clarification"), headers: ["Content-Type": "application/json"],
                                    body: #"{"text": "Tôi cần phiếu số 2."}"#)
            #expect(reply.status == 200, "\(reply.body)")
            let after = status(s, code)
            #expect(after["status"] as? String == "routed")
            #expect((after["dueDate"] as? String ?? "") > before, "the clock paused: \(before) → \(after["dueDate"] ?? "")")

            // R-5.3: a link to the person's own data goes to their email, never to whoever holds the code.
            let link = httpRequest("POST", s.feedback.url("/api/v1/questions/\(code)/personal-data-link"))
            #expect(link.status == 202)
            try await eventually("the link is emailed", within: 20) { mails(to: email, in: s.s.work).contains { $0.contains("du-lieu-ca-nhan?t=") } }
            let mail = try #require(mails(to: email, in: s.s.work).first { $0.contains("du-lieu-ca-nhan?t=") })
            let token = try #require(mail.replacingOccurrences(of: "=\r\n", with: "").replacingOccurrences(of: "=\n", with: "").replacingOccurrences(of: "=3D", with: "=")
                .firstMatch(of: #/du-lieu-ca-nhan\?t=([A-Za-z0-9_-]+)/#).map { String($0.output.1) }, "\(mail)")
            let page = httpRequest("GET", s.feedback.url("/hoi-dap/du-lieu-ca-nhan?t=\(token)"))
            #expect(page.status == 200 && page.body.contains("Võ Thị Sáu") && page.body.contains("0912000111"), "\(page.body.prefix(400))")
            let corrected = httpRequest("POST", s.feedback.url("/hoi-dap/du-lieu-ca-nhan"), headers: ["Content-Type": "application/x-www-form-urlencoded"],
                                        body: "t=\(token)&action=correct&name=V%C3%B5+Th%E1%BB%8B+S%C3%A1u&email=\(email)&phone=0912000222&address=")
            #expect(corrected.status == 200 && corrected.body.contains("0912000222"))
            let deleted = httpRequest("POST", s.feedback.url("/hoi-dap/du-lieu-ca-nhan"), headers: ["Content-Type": "application/x-www-form-urlencoded"],
                                      body: "t=\(token)&action=delete&confirm=yes")
            #expect(deleted.status == 200 && deleted.body.contains("Đã xóa"))
            let erased = try await s.pool.withConnection {
                try $0.query("SELECT sealed IS NULL AND deleted_at IS NOT NULL AS gone FROM feedback.personal_data WHERE question_id = $1", [id]).one().decode("gone", as: Bool.self)
            }
            #expect(erased)
            #expect(httpRequest("GET", s.feedback.url("/hoi-dap/du-lieu-ca-nhan?t=nottherighttoken")).status == 404)
        }
    }
}

/// A signed-in staff session on the feedback service's pages, as a browser keeps it: the sign-in
/// form's token and cookie, then the session cookie and its CSRF token on every form.
struct StaffSession {
    let base: String
    let cookie: String
    let csrf: String

    init(base: String, login: String) throws {
        self.base = base
        let password = ProcessInfo.processInfo.environment["PORTAL_DEMO_PASSWORD"] ?? "longan-demo-2026"
        let form = httpRequest("GET", base + "/feedback/login")
        let loginCookie = try #require(form.headers["set-cookie"]?.split(separator: ";").first.map(String.init))
        let token = try #require(form.body.firstMatch(of: #/name="_csrf" value="([^"]+)"/#).map { String($0.output.1) })
        let signedIn = httpRequest("POST", base + "/feedback/login",
                                   headers: ["Content-Type": "application/x-www-form-urlencoded", "Cookie": loginCookie],
                                   body: "_csrf=\(token)&login=\(login)&password=\(password)")
        cookie = try #require(signedIn.headers["set-cookie"]?.split(separator: ";").first.map(String.init), "signed in as \(login): \(signedIn.body.prefix(200))")
        let home = httpRequest("GET", base + "/feedback", headers: ["Cookie": cookie])
        csrf = try #require(home.body.firstMatch(of: #/name="_csrf" value="([^"]+)"/#).map { String($0.output.1) }, "\(home.body.prefix(300))")
    }

    func get(_ path: String) -> (status: Int?, body: String, headers: [String: String]) {
        httpRequest("GET", base + path, headers: ["Cookie": cookie])
    }

    func post(_ path: String, _ fields: [String: String]) -> (status: Int?, body: String, headers: [String: String]) {
        let body = ([("_csrf", csrf)] + fields.map { ($0.key, $0.value) }).map { name, value in
            "\(Self.encode(name))=\(Self.encode(value))"
        }.joined(separator: "&")
        return httpRequest("POST", base + path, headers: ["Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"], body: body)
    }

    static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}

/// Local date-times as an HTML `datetime-local` field takes them, in Asia/Ho_Chi_Minh.
enum PortalTestCalendar {
    static func localDateTime(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Ho_Chi_Minh")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return String(format: "%04d-%02d-%02dT%02d:%02d", parts.year!, parts.month!, parts.day!, parts.hour!, parts.minute!)
    }
}
