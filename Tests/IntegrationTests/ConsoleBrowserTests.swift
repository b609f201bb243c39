import Foundation
import Testing

/// The editorial console in headless Chromium (Debian) driven by Selenium, with axe-core on every
/// page: an editor takes an item that came by mail, classifies it, sends it for approval; the
/// Board member leading the department approves it; a Deputy without delegation is not offered
/// approval (R-1.1, R-1.2).
@Suite("Editorial console in a real browser", .serialized)
struct ConsoleBrowserTests {
    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Browser/console_check.py").path
    }

    @Test("Sign in, edit, classify, send for approval, approve, with no serious accessibility violation")
    func consoleFlow() async throws {
        try await EditorialFlowTests().withServices { s in
            // An item by mail, as a department sends it.
            try IntakeMailTests.client.write(toFile: "\(s.work)/client.py", atomically: true, encoding: .utf8)
            let sent = try s.env.run("/usr/bin/env", ["python3", "\(s.work)/client.py", String(s.intake.lmtpPort), "lmtp",
                                                     "compose:\(s.work)/mail.eml,nvan@sotuphap.longan.gov.vn"])
            let mailItem = try #require(sent.output.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })
            // An item of a district, pending approval, that only the Head or a delegated Deputy may approve.
            // Its body shows its photo by the file's name, as a markdown body does.
            let body = IntakeAPITests().submission(
                title: "Bến Lức: lịch tiếp công dân \(UUID().uuidString.prefix(4))", body: "Lịch tiếp:\n\n![Lịch tiếp công dân](hoi-nghi.png)")
                .replacingOccurrences(of: "sotuphap.longan.gov.vn", with: "benluc.longan.gov.vn")
            let created = httpRequest("POST", s.intake.url("/api/v1/submissions"),
                                      headers: ["Authorization": "Bearer \(try s.token("ctv.benluc"))", "Content-Type": "application/json"], body: body)
            let otherItem = try #require(try JSONDecoder().decode([String: String].self, from: Data(created.body.utf8))["id"])
            try await eventually("both items reach the queue") {
                let ids = try s.queue("received").compactMap { $0["id"] as? String }
                return ids.contains(mailItem) && ids.contains(otherItem)
            }
            try s.classifyAndSubmit(otherItem)
            // Start from no delegation.
            for active in try s.api("GET", "/delegations", as: "truongban").json["items"] as? [[String: Any]] ?? []
            where active["active"] as? Bool == true {
                _ = try s.api("DELETE", "/delegations/\(active["id"] as? String ?? "")", as: "truongban")
            }

            let password = ProcessInfo.processInfo.environment["PORTAL_DEMO_PASSWORD"] ?? "longan-demo-2026"
            // Publishing runs too: the item approved in the browser must appear on the sites within a second.
            try await PublishingSitesTests(publishingPort: 18_216).withPublishing(s) { publishing in
                let run = try s.env.run("/usr/bin/env", ["python3", Self.script], environment: [
                    "BASE": s.approval.url(""), "PASSWORD": password, "MAIL_ITEM": mailItem,
                    "MAIL_TITLE": "Sở Tư pháp tổ chức hội nghị tổng kết công tác năm 2026", "OTHER_ITEM": otherItem,
                    "PUBLISHING_PORT": String(publishing.port),
                ])
                #expect(run.status == 0, "\(run.output)")
                #expect(run.output.contains("console check passed"), "\(run.output)")
                #expect(run.output.contains("approved item on both sites after"), "\(run.output)")
            }
            // What the browser did is what the services recorded.
            let state = try s.api("GET", "/articles/\(mailItem)", as: "btv.lan").json["state"] as? String
            #expect(state == "approved" || state == "published", "\(state ?? "none")")
        }
    }
}
