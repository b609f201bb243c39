import Foundation
import Store
import Testing

/// Departments on the web (issue: the pages people use every day): a collaborator submits
/// through `/submit` in headless Chromium, the editors and the Board take it through the
/// editorial flow, and the collaborator follows it to its published page.
@Suite("Departments submit on the web", .serialized)
struct SubmitPagesBrowserTests {
    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Browser/submit_check.py").path
    }

    @Test("Sửa và gửi lại: the form to revise a submission comes back with its files, their text alternatives, and a legal document's details, all as sent")
    func revisingKeepsFilesAndDetails() async throws {
        try await EditorialFlowTests().withServices { s in
            let password = ProcessInfo.processInfo.environment["PORTAL_DEMO_PASSWORD"] ?? "longan-demo-2026"
            let number = "\(Int.random(in: 100...999))/QĐ-STP"
            let pdf = Data("%PDF-1.4\n% \(number)\n%%EOF\n".utf8).base64EncodedString()
            let body = """
                {"title": "Quyết định \(number)", "body": "Ban hành quy chế.", "bodyFormat": "markdown", "kind": "legal_document", "language": "vi",
                 "authors": [{"name": "Văn phòng Sở"}], "targetSites": ["longan.gov.vn"],
                 "legalDocument": {"number": "\(number)", "issuer": "Sở Tư pháp", "issueDate": "2026-11-20", "effectiveDate": "2026-12-01", "summary": "Quy chế làm việc"},
                 "attachments": [{"filename": "quyet-dinh.pdf", "contentType": "application/pdf", "dataBase64": "\(pdf)"},
                                 {"filename": "so-do.png", "contentType": "image/png", "dataBase64": "\(IntakeAPITests.onePixelPNG)", "altText": "Sơ đồ tổ chức"}]}
                """
            let created = httpRequest("POST", s.intake.url("/api/v1/submissions"),
                                      headers: ["Authorization": "Bearer \(try s.token("ctv.tuphap"))", "Content-Type": "application/json"], body: body)
            let id = try #require((try? JSONSerialization.jsonObject(with: Data(created.body.utf8)) as? [String: Any])?["id"] as? String, "\(created.body)")
            let form = httpRequest("GET", s.intake.url("/submit/login"))
            let loginCookie = try #require(form.headers["set-cookie"]?.split(separator: ";").first.map(String.init))
            let token = try #require(form.body.firstMatch(of: #/name="_csrf" value="([^"]+)"/#).map { String($0.output.1) })
            let signedIn = httpRequest("POST", s.intake.url("/submit/login"),
                                       headers: ["Content-Type": "application/x-www-form-urlencoded", "Cookie": loginCookie],
                                       body: "_csrf=\(token)&login=ctv.tuphap&password=\(password)")
            let session = try #require(signedIn.headers["set-cookie"]?.split(separator: ";").first.map(String.init), "\(signedIn.body.prefix(200))")
            let revise = httpRequest("GET", s.intake.url("/submit?from=\(id)"), headers: ["Cookie": session])
            #expect(revise.status == 200)
            #expect(revise.body.contains("value=\"\(number)\""), "the legal document's number is filled in")
            #expect(revise.body.contains("value=\"2026-11-20\"") && revise.body.contains("Sở Tư pháp") && revise.body.contains("Quy chế làm việc"))
            #expect(revise.body.contains("quyet-dinh.pdf") && revise.body.contains("so-do.png"), "the files sent come back kept")
            #expect(revise.body.contains(#"name="keptProof1""#) && revise.body.contains(#"name="keptProof2""#), "signed for this session")
            #expect(revise.body.contains("Sơ đồ tổ chức"), "with their text alternatives")
        }
    }

    @Test("A department submits on the web, a refused form keeps everything, and the item is followed to publication")
    func submitAndFollow() async throws {
        try await EditorialFlowTests().withServices { s in
            let password = ProcessInfo.processInfo.environment["PORTAL_DEMO_PASSWORD"] ?? "longan-demo-2026"
            let title = "Sở Tư pháp tập huấn nghiệp vụ hộ tịch \(UUID().uuidString.prefix(4))"
            let sent = try s.env.run("/usr/bin/env", ["python3", Self.script], environment: [
                "BASE": s.intake.url(""), "PASSWORD": password, "PHASE": "submit", "TITLE": title,
            ])
            #expect(sent.status == 0 && sent.output.contains("submit check passed"), "\(sent.output)")
            let id = try #require(sent.output.firstMatch(of: #/SUBMITTED ([0-9a-f-]{36})/#).map { String($0.output.1) }, "\(sent.output)")

            // What the browser sent is what intake stored: from the web, by the signed-in person, with its file.
            let row = try await s.pool.withConnection {
                try $0.query(
                    """
                    SELECT s.channel, s.authors::text AS authors, s.title, a.filename, a.alt_text
                    FROM intake.submissions s JOIN intake.attachments a ON a.submission_id = s.id WHERE s.id = $1
                    """, [UUID(uuidString: id)!]
                ).one()
            }
            let copies = try await s.pool.withConnection {
                try $0.query("SELECT count(*)::int AS n FROM intake.submissions WHERE title = $1", [title]).one().decode("n", as: Int.self)
            }
            #expect(copies == 1, "the form sent three times made \(copies) submissions")
            #expect(try row.decode("channel", as: String.self) == "web")
            #expect(try row.decode("title", as: String.self) == title)
            #expect(try row.decode("authors", as: String.self).contains("Nguyễn Văn An"))
            #expect(try row.decode("filename", as: String.self) == "tap-huan.png")
            #expect(try row.decodeIfPresent("alt_text", as: String.self) == "Quang cảnh lớp tập huấn")

            try await eventually("the item reaches the editors' queue") { try s.api("GET", "/articles/\(id)", as: "btv.lan").status == 200 }
            try s.classifyAndSubmit(id)
            try await PublishingSitesTests(publishingPort: 18_218).withPublishing(s) { publishing in
                let approval = try s.api("POST", "/articles/\(id)/approve", as: "gd.tuphap", body: #"{"revision": 2}"#)
                #expect(approval.status == 200, "\(approval.text)")
                try await eventually("the submitter's view says published", within: 15) {
                    try await s.pool.withConnection {
                        try $0.query("SELECT status FROM intake.submissions WHERE id = $1", [UUID(uuidString: id)!]).one().decode("status", as: String.self)
                    } == "published"
                }
                let followed = try s.env.run("/usr/bin/env", ["python3", Self.script], environment: [
                    "BASE": s.intake.url(""), "PASSWORD": password, "PHASE": "follow", "ID": id, "CONSOLE": s.approval.url(""),
                ])
                #expect(followed.status == 0 && followed.output.contains("follow check passed"), "\(followed.output)")
            }
        }
    }
}
