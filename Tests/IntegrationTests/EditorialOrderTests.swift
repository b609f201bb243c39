import Foundation
import MessageBus
import Models
import ServiceKit
import Store
import Testing

/// Editorial events reach publishing late, twice, or back from the dead letters; publishing
/// applies only what is newer than what it has (docs/decisions.md, "Order of editorial events").
@Suite("Order of editorial events at publishing", .serialized)
struct EditorialOrderTests {
    static let publishingPort = 18_215

    @Test("R-1.4: an older approval delivered late, twice or replayed from the dead letters never replaces a newer revision nor brings back a page taken down")
    func lateApprovalsNeverWin() async throws {
        try await EditorialFlowTests().withServices { s in
            try await PublishingSitesTests(publishingPort: Self.publishingPort).withPublishing(s) { publishing in
                try await run(s, publishing)
            }
        }
    }

    func run(_ s: EditorialFlowTests.Services, _ publishing: ServiceProcess) async throws {
        let first = "Lịch tiếp công dân tháng 12 \(UUID().uuidString.prefix(4))"
        let corrected = "\(first) (đính chính)"
        let body = IntakeAPITests().submission(title: first).replacingOccurrences(of: "sotuphap.longan.gov.vn", with: "benluc.longan.gov.vn")
        let created = httpRequest("POST", s.intake.url("/api/v1/submissions"),
                                  headers: ["Authorization": "Bearer \(try s.token("ctv.benluc"))", "Content-Type": "application/json"], body: body)
        let id = try #require(try JSONDecoder().decode([String: String].self, from: Data(created.body.utf8))["id"])
        let articleId = try #require(UUID(uuidString: id))
        let path = "/bai-viet/\(id).html"
        func page() -> (status: Int?, body: String, headers: [String: String]) {
            httpRequest("GET", publishing.url("/sites/longan.gov.vn\(path)"))
        }
        try await eventually("queued") { try s.api("GET", "/articles/\(id)", as: "btv.lan").status == 200 }
        // On the portal and on Bến Lức's own site.
        let classified = try s.api(
            "PUT", "/articles/\(id)", as: "btv.lan",
            body: #"{"summary": "Tóm tắt", "classification": {"genre": "news", "coefficient": 8.5, "authors": [{"name": "Nguyễn Văn An", "share": 100}], "targetSites": ["longan.gov.vn", "benluc.longan.gov.vn"]}, "changeNote": "Phân loại"}"#,
            headers: ["If-Match": "\"1\""])
        #expect(classified.status == 200, "\(classified.text)")
        #expect(try s.api("POST", "/articles/\(id)/submit-for-approval", as: "btv.lan", body: "{}").status == 200)
        #expect(try s.api("POST", "/articles/\(id)/approve", as: "truongban", body: #"{"revision": 2}"#).status == 200)
        try await eventually("revision 2 is published") {
            try s.api("GET", "/articles/\(id)", as: "btv.lan").json["state"] as? String == "published"
        }
        #expect(page().body.contains("<h1>\(first)</h1>"))
        func onOwnSite(_ path: String) -> (status: Int?, body: String, headers: [String: String]) {
            httpRequest("GET", publishing.url("/sites/benluc.longan.gov.vn\(path)"))
        }
        #expect(onOwnSite(path).status == 200, "also on the unit's own site")

        // A correction, approved and live, that also takes the item off the unit's own site.
        let started = try s.api(
            "PUT", "/articles/\(id)", as: "btv.lan",
            body: #"{"title": "\#(corrected)", "classification": {"genre": "news", "coefficient": 8.5, "authors": [{"name": "Nguyễn Văn An", "share": 100}], "targetSites": ["longan.gov.vn"], "alsoOnOwnSite": false}, "changeNote": "Đính chính tiêu đề, chỉ đăng trên Cổng"}"#,
            headers: ["If-Match": "\"2\""])
        #expect(started.status == 200, "\(started.text)")
        #expect(try s.api("POST", "/articles/\(id)/submit-for-approval", as: "btv.lan", body: "{}").status == 200)
        #expect(try s.api("POST", "/articles/\(id)/approve", as: "truongban", body: #"{"revision": 3}"#).status == 200)
        try await eventually("revision 3 is live") { page().body.contains("<h1>\(corrected)</h1>") }
        // The site it left keeps nothing of it: not the page, not its print version, not a line in its lists.
        #expect(onOwnSite(path).status == 404, "the site the correction left still serves the page")
        #expect(onOwnSite(path.replacingOccurrences(of: ".html", with: ".in.html")).status == 404, "nor its print version")
        try await eventually("the site it left redraws its lists without it") {
            !onOwnSite("/").body.contains(first) && !onOwnSite("/rss.xml").body.contains(path)
        }

        let approvals = try await s.pool.withConnection {
            try $0.query(
                "SELECT envelope FROM editorial.outbox WHERE routing_key = 'article.approved' AND envelope ILIKE $1 ORDER BY seq", ["%\(id)%"]
            ).rows.map { try EventEnvelope.decode(from: Array(try $0.decode("envelope", as: String.self).utf8)) }
        }
        try #require(approvals.count == 2)
        let (approvalOfRevision2, approvalOfRevision3) = (approvals[0], approvals[1])
        #expect(try approvalOfRevision2.decode(ArticleApproved.self).sequence ?? 0 < approvalOfRevision3.decode(ArticleApproved.self).sequence ?? 0,
                "every event carries the item's editorial sequence")

        let link = try await s.env.link("late-events", topology: ServiceConfiguration(service: .publishing).topology)
        /// Sends `envelope` again under a new message id (a second relay, a copy from elsewhere),
        /// and waits until publishing has handled it.
        func redeliver(_ envelope: EventEnvelope) async throws {
            var copy = envelope
            copy.id = UUID()
            try await link.publish([try OutgoingMessage(event: copy)])
            try await handled(copy.id)
        }
        func handled(_ messageId: UUID) async throws {
            try await eventually("publishing handled \(messageId)") {
                try await s.pool.withConnection {
                    try $0.query("SELECT 1 FROM publishing.inbox WHERE message_id = $1", [messageId]).rows.count == 1
                }
            }
        }

        // Out of order: the approval of revision 2 arrives after revision 3's.
        try await redeliver(approvalOfRevision2)
        #expect(page().body.contains("<h1>\(corrected)</h1>"), "an older revision replaced the newer one")
        #expect(!page().body.contains("<h1>\(first)</h1>"))

        // The Head takes the item down.
        let down = try s.api("POST", "/articles/\(id)/take-down", as: "truongban",
                             body: #"{"reason": "Hết hiệu lực", "publicExplanation": "Lịch đã được thay thế."}"#)
        #expect(down.json["state"] as? String == "taken_down", "\(down.text)")
        try await eventually("410 after the takedown") { page().status == 410 }

        // The correction's approval, approved before the takedown, delivered after it, twice.
        try await redeliver(approvalOfRevision3)
        try await redeliver(approvalOfRevision3)
        #expect(page().status == 410, "a late approval brought back a page taken down")

        // And from the dead letters, by the operator's replay.
        var dead = approvalOfRevision2
        dead.id = UUID()
        var message = try OutgoingMessage(event: dead)
        message.exchange = ""
        message.routingKey = "publishing.events.dead"
        message.headers = [Topology.Header.deathReason: .string("test: delivered after the takedown")]
        try await link.publish([message])
        try await eventually("the copy is in the dead-letter queue") { try await link.messageCount(queue: "publishing.events.dead") >= 1 }
        let replay = try s.env.run(try s.env.executable("portalctl"), ["dead-letters", "replay", "--queue", "publishing.events"])
        #expect(replay.status == 0, "\(replay.output)")
        try await handled(dead.id)
        #expect(page().status == 410, "a replayed approval brought back a page taken down")
        await link.close()

        let stored = try await s.pool.withConnection {
            try $0.query("SELECT state, revision FROM publishing.articles WHERE id = $1", [articleId]).one()
        }
        #expect(try stored.decode("state", as: String.self) == "taken_down")
        #expect(try stored.decode("revision", as: Int.self) == 3, "the archive keeps the newest revision")
    }
}
