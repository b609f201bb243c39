import Foundation
import Testing

/// Mail as departments really send it (`Tests/Fixtures/mail/`, shaped as Outlook, Thunderbird,
/// Apple Mail and Gmail put them on the wire), delivered over LMTP to the running intake; what
/// each becomes is checked where editors see it, in the approval service's queue.
@Suite("Mail shapes of real clients, end to end", .serialized)
struct MailFixturesTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/mail")

    /// One expectation of `expected.json` (written by `make_fixtures.py` with the messages).
    struct Expected: Decodable {
        struct File: Decodable {
            var stored_filename: String
            var alt_text: String?
            var content_type: String
        }
        struct Forwarded: Decodable {
            var from: String
            var subject: String
            var body_contains: [String]
        }
        var file: String
        var outcome: String
        var title: String?
        var kind: String?
        var body_contains: [String]?
        var body_excludes: [String]?
        var quoted_history_contains: [String]?
        var attachments: [File]?
        var flags: [String]?
        var forwarded: [Forwarded]?
    }

    @Test("Issue 12: every client shape becomes the item editors expect (file names, inline images, forwards, flowed text, quoted history, photos, reused Message-IDs)")
    func everyShape() async throws {
        let expectations = try JSONDecoder().decode([Expected].self, from: Data(contentsOf: Self.folder.appendingPathComponent("expected.json")))
        #expect(expectations.count >= 20)
        try await EditorialFlowTests().withServices { s in
            try IntakeMailTests.client.write(toFile: "\(s.work)/client.py", atomically: true, encoding: .utf8)
            var ids = [String: String]()
            for expected in expectations {
                let path = Self.folder.appendingPathComponent(expected.file).path
                let sent = try s.env.run("/usr/bin/env", ["python3", "\(s.work)/client.py", String(s.intake.lmtpPort), "lmtp", path])
                let reply = sent.output.split(separator: "\n").last.map(String.init) ?? ""
                #expect(reply.hasPrefix("250"), "\(expected.file): \(sent.output)")
                let id = reply.split(separator: " ").last.map(String.init) ?? ""
                ids[expected.file] = id
                if expected.outcome.hasPrefix("quarantine:") {
                    let reason = String(expected.outcome.dropFirst("quarantine:".count))
                    #expect(reply.contains("Kept for review (\(reason))"), "\(expected.file): \(reply)")
                    // Editors open held mail: the reason in Vietnamese, the headers, the text, the .eml.
                    try await eventually("\(expected.file) is held for the editors") {
                        try s.api("GET", "/quarantine/\(id)", as: "btv.lan").status == 200
                    }
                    let held = try s.api("GET", "/quarantine/\(id)", as: "btv.lan")
                    #expect((held.json["reasonLabel"] as? String)?.hasPrefix("Địa chỉ gửi chưa được đăng ký") == true, "\(held.text.prefix(300))")
                    #expect((held.json["headers"] as? [[String: Any]])?.contains { $0["name"] as? String == "Message-ID" } == true)
                    let raw = try s.api("GET", "/quarantine/\(id)/raw", as: "btv.lan")
                    #expect(raw.status == 200 && raw.headers["content-disposition"]?.hasPrefix("attachment") == true)
                    #expect(raw.text.replacingOccurrences(of: "\r\n", with: "\n")
                        == (try String(contentsOfFile: path, encoding: .utf8)).replacingOccurrences(of: "\r\n", with: "\n"), "the .eml as received")
                    #expect(try s.api("GET", "/quarantine/\(id)", as: "gd.tuphap").status == 403, "held mail is for editors only")
                    continue
                }
                if expected.outcome.hasPrefix("same_as:") {
                    let original = String(expected.outcome.dropFirst("same_as:".count))
                    #expect(reply.contains("Already received") && id == ids[original], "\(expected.file): \(reply)")
                    continue
                }
                #expect(reply.contains("Received as submission"), "\(expected.file) was not accepted: \(reply)")
                try await check(expected, id: id, s)
            }
        }
    }

    func check(_ expected: Expected, id: String, _ s: EditorialFlowTests.Services) async throws {
        try await eventually("\(expected.file) reaches the editors' queue") { try s.api("GET", "/articles/\(id)", as: "btv.lan").status == 200 }
        let view = try s.api("GET", "/articles/\(id)", as: "btv.lan").json
        let revision = view["revision"] as? [String: Any] ?? [:]
        let file = expected.file
        if let title = expected.title { #expect(revision["title"] as? String == title, "\(file): title") }
        // The acknowledgement's link is a page the sender can open, in Vietnamese.
        let tracking = httpRequest("GET", s.intake.url("/theo-doi/\(id)"))
        #expect(tracking.status == 200 && tracking.body.contains(#"<html lang="vi">"#) && tracking.body.contains("Tình trạng"), "\(file): tracking page")
        if let kind = expected.kind { #expect(revision["kind"] as? String == kind, "\(file): kind") }
        let html = (revision["bodyHTML"] as? String ?? "")
        let text = html.replacingOccurrences(of: "&amp;", with: "&").replacingOccurrences(of: "<br>", with: "\n")
        for phrase in expected.body_contains ?? [] {
            #expect(text.contains(phrase), "\(file): the body lacks '\(phrase)': \(html.prefix(600))")
        }
        for phrase in expected.body_excludes ?? [] {
            #expect(!text.contains(phrase), "\(file): the body still has '\(phrase)'")
        }
        let history = ((revision["details"] as? [String: Any])?["quotedHistory"] as? String) ?? ""
        for phrase in expected.quoted_history_contains ?? [] {
            #expect(history.contains(phrase), "\(file): the quoted history kept for editors lacks '\(phrase)': \(history.prefix(300))")
        }
        for forward in expected.forwarded ?? [] {
            #expect(text.contains("Thư chuyển tiếp") || text.contains("Forwarded") || text.contains("chuyển tiếp"), "\(file): not marked as forwarded")
            #expect(text.contains(forward.subject), "\(file): the forwarded subject is missing")
            for phrase in forward.body_contains {
                #expect(text.contains(phrase), "\(file): the forwarded text lacks '\(phrase)'")
            }
        }
        let files = revision["attachments"] as? [[String: Any]] ?? []
        let expectedFiles = expected.attachments ?? []
        #expect(Set(files.compactMap { $0["filename"] as? String }) == Set(expectedFiles.map(\.stored_filename)), "\(file): attachments \(files.map { $0["filename"] ?? "" })")
        for wanted in expectedFiles {
            let stored = files.first { $0["filename"] as? String == wanted.stored_filename }
            #expect(stored?["altText"] as? String == wanted.alt_text, "\(file): alt text of \(wanted.stored_filename) is \(String(describing: stored?["altText"]))")
        }
        // Every file opens for the editor: pictures and PDF inline, under their own names.
        for stored in files {
            guard let sha = stored["sha256"] as? String else { continue }
            let opened = try s.api("GET", "/articles/\(id)/attachments/\(sha)", as: "btv.lan")
            #expect(opened.status == 200, "\(file): \(stored["filename"] ?? "") does not open")
            #expect(opened.headers["x-content-type-options"] == "nosniff")
            #expect(opened.headers["content-disposition"]?.contains("filename*=UTF-8''") == true)
        }
        let flags = Set(view["flags"] as? [String] ?? [])
        #expect(flags == Set(expected.flags ?? []), "\(file): flags \(flags)")
    }
}
