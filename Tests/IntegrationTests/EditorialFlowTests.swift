import Foundation
import Mail
import MessageBus
import Models
import ServiceKit
import Store
import Testing

/// The editorial flow through the running `intake` and `approval` processes, as the Center's
/// editors, the Board and the units use them (Art. 9, 12, 13; RULES.md R-1).
@Suite("Editorial flow: intake to approval", .serialized)
struct EditorialFlowTests {
    static let intakePort = 18_210
    static let approvalPort = 18_212

    struct Services {
        let env: TestEnvironment
        let pool: DatabasePool
        let intake: ServiceProcess
        let approval: ServiceProcess
        let work: String

        func token(_ login: String) throws -> String { try IntakeAPITests().token(login, env) }

        /// A call to the approval API; the body parsed as JSON when it is an object.
        @discardableResult
        func api(_ method: String, _ path: String, as login: String, body: String? = nil, headers: [String: String] = [:]) throws
            -> (status: Int, json: [String: Any], text: String, headers: [String: String])
        {
            var all = ["Authorization": "Bearer \(try token(login))"].merging(headers) { $1 }
            if body != nil { all["Content-Type"] = "application/json" }
            let response = httpRequest(method, approval.url("/api/v1\(path)"), headers: all, body: body)
            let json = (try? JSONSerialization.jsonObject(with: Data(response.body.utf8))) as? [String: Any] ?? [:]
            return (response.status ?? 0, json, response.body, response.headers)
        }

        func errorCode(_ response: (status: Int, json: [String: Any], text: String, headers: [String: String])) -> String? {
            (response.json["error"] as? [String: Any])?["code"] as? String
        }

        func queue(_ state: String, as login: String = "btv.lan") throws -> [[String: Any]] {
            try api("GET", "/queue?state=\(state)&order=newest", as: login).json["items"] as? [[String: Any]] ?? []
        }

        func submissionStatus(_ id: String, as login: String) -> String {
            httpRequest("GET", intake.url("/api/v1/submissions/\(id)"), headers: ["Authorization": "Bearer \((try? token(login)) ?? "")"]).body
        }

        /// Editor classifies (revision n → n+1) and sends for approval.
        func classifyAndSubmit(_ id: String, revision: Int = 1) throws {
            let edited = try api(
                "PUT", "/articles/\(id)", as: "btv.lan",
                body: #"{"summary": "Tóm tắt", "classification": {"genre": "news", "coefficient": 8.5, "authors": [{"name": "Nguyễn Văn An", "share": 100}], "targetSites": ["longan.gov.vn"]}, "changeNote": "Phân loại"}"#,
                headers: ["If-Match": "\"\(revision)\""])
            #expect(edited.status == 200, "\(edited.text)")
            let submitted = try api("POST", "/articles/\(id)/submit-for-approval", as: "btv.lan", body: "{}")
            #expect(submitted.status == 200, "\(submitted.text)")
            #expect(submitted.json["state"] as? String == "pending_approval")
        }
    }

    func withServices(_ extra: [String: String] = [:], _ body: (Services) async throws -> Void) async throws {
        let env = try TestEnvironment()
        let pool = try await env.database()
        let work = NSTemporaryDirectory() + "portal-editorial-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let mail = ["PORTAL_MAIL_RELAY": "folder:\(work)/outgoing", "APPROVAL_KEY_SECRET": "integration-test-secret"].merging(extra) { $1 }
        let intake = try ServiceProcess("intake", port: Self.intakePort, environment: mail, in: env)
        let approval = try ServiceProcess("approval", port: Self.approvalPort, environment: mail, in: env)
        do {
            try await intake.waitUntilReady()
            try await approval.waitUntilReady()
            try await body(Services(env: env, pool: pool, intake: intake, approval: approval, work: work))
        } catch {
            _ = try? await intake.terminate()
            _ = try? await approval.terminate()
            throw error
        }
        #expect(try await intake.terminate() == 0)
        #expect(try await approval.terminate() == 0)
    }

    @Test("A department's email reaches the editors' queue decoded; the editor classifies it; the Board member leading that department approves it (R-1.1) and the signature verifies")
    func mailToSignedApproval() async throws {
        try await withServices { s in
            try IntakeMailTests.client.write(toFile: "\(s.work)/client.py", atomically: true, encoding: .utf8)
            let sent = try s.env.run("/usr/bin/env", ["python3", "\(s.work)/client.py", String(s.intake.lmtpPort), "lmtp",
                                                     "compose:\(s.work)/mail.eml,nvan@sotuphap.longan.gov.vn"])
            #expect(sent.output.hasPrefix("250"), "\(sent.output)")
            let id = try #require(sent.output.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })

            // In the editors' queue, decoded.
            try await eventually("the email is in the editors' queue") { try s.queue("received").contains { $0["id"] as? String == id } }
            let item = try #require(try s.queue("received").first { $0["id"] as? String == id })
            #expect(item["title"] as? String == "Sở Tư pháp tổ chức hội nghị tổng kết công tác năm 2026")
            #expect(item["kind"] as? String == "article")
            #expect(item["unitName"] as? String == "Sở Tư pháp")
            let first = try s.api("GET", "/articles/\(id)", as: "btv.lan")
            #expect(first.headers["etag"] == "\"1\"")
            let revision = try #require(first.json["revision"] as? [String: Any])
            let files = (revision["attachments"] as? [[String: Any]] ?? []).compactMap { $0["filename"] as? String }
            #expect(files == ["Ảnh hội nghị.png", "Kế hoạch số 12.pdf"])
            #expect((revision["bodyHTML"] as? String)?.contains("Đồng chí Giám đốc chủ trì.") == true)
            let prescreen = try #require(first.json["prescreen"] as? [String: Any])
            #expect(prescreen["missingAltText"] as? [String] == ["Ảnh hội nghị.png"], "pre-screens flag the photo without alt text")

            // Editing checks the revision and the R-4.3 maximum, and says what to fix.
            let stale = try s.api("PUT", "/articles/\(id)", as: "btv.lan", body: #"{"title": "x"}"#, headers: ["If-Match": "\"0\""])
            #expect(stale.status == 412)
            #expect(s.errorCode(stale) == "stale_revision")
            let tooHigh = try s.api(
                "PUT", "/articles/\(id)", as: "btv.lan", body: #"{"classification": {"genre": "news", "coefficient": 12}}"#,
                headers: ["If-Match": "\"1\""])
            #expect(tooHigh.status == 422)
            #expect(s.errorCode(tooHigh) == "coefficient_above_maximum", "R-4.3: above the genre's maximum")
            // A picture in the body shows one of the item's files, as at intake.
            let unattached = try s.api(
                "PUT", "/articles/\(id)", as: "btv.lan", body: #"{"body": "Sơ đồ: ![Sơ đồ tổ chức](so-do.png)", "bodyFormat": "markdown"}"#,
                headers: ["If-Match": "\"1\""])
            #expect(unattached.status == 422)
            #expect(s.errorCode(unattached) == "picture_not_attached", "\(unattached.text)")
            let notEditor = try s.api("PUT", "/articles/\(id)", as: "gd.tuphap", body: #"{"title": "x"}"#, headers: ["If-Match": "\"1\""])
            #expect(notEditor.status == 403)
            let early = try s.api("POST", "/articles/\(id)/submit-for-approval", as: "btv.lan", body: "{}")
            #expect(s.errorCode(early) == "classification_incomplete")
            try s.classifyAndSubmit(id)
            try await eventually("the submitter sees the item pending approval") {
                s.submissionStatus(id, as: "ctv.tuphap").contains(#""status":"pending_approval""#)
            }

            // R-1.1: the department's own Board member decides, nobody else.
            let pending = try #require(try s.queue("pending_approval", as: "gd.tuphap").first { $0["id"] as? String == id })
            #expect((pending["why"] as? String)?.contains("13.1.a") == true, "the approver sees why the item came to them")
            let head = try s.api("POST", "/articles/\(id)/approve", as: "truongban", body: #"{"revision": 2}"#)
            #expect(head.status == 403)
            #expect(s.errorCode(head) == "reserved_for_unit_leader")
            let editor = try s.api("POST", "/articles/\(id)/approve", as: "btv.lan", body: #"{"revision": 2}"#)
            #expect(s.errorCode(editor) == "not_an_approver")
            let old = try s.api("POST", "/articles/\(id)/approve", as: "gd.tuphap", body: #"{"revision": 1}"#)
            #expect(old.status == 409)
            #expect(s.errorCode(old) == "stale_revision")
            let approved = try s.api("POST", "/articles/\(id)/approve", as: "gd.tuphap", body: #"{"revision": 2}"#)
            #expect(approved.status == 200, "\(approved.text)")
            #expect(approved.json["state"] as? String == "approved")
            let approval = try #require(approved.json["approval"] as? [String: Any])
            #expect(approval["rule"] as? String == "R-1.1")
            #expect(approval["verified"] as? Bool == true, "the service re-checks the signature against the stored revision")

            // The article.approved event carries content, hash and signature; the key is the approver's.
            let envelopeText = try await s.pool.withConnection {
                try $0.query(
                    "SELECT envelope FROM editorial.outbox WHERE routing_key = 'article.approved' AND envelope ILIKE $1", ["%\(id)%"]
                ).one().decode("envelope", as: String.self)
            }
            let event = try EventEnvelope.decode(from: Array(envelopeText.utf8)).decode(ArticleApproved.self)
            #expect(event.contentSHA256 == approval["contentSHA256"] as? String)
            #expect(event.content.revision == 2)
            #expect(event.content.classification.coefficientHundredths == 850)
            let publicKey = try await s.pool.withConnection {
                try $0.query("SELECT k.public_key FROM core.signing_keys k JOIN core.users u ON u.id = k.user_id WHERE k.id = $1 AND u.login = 'gd.tuphap'",
                             [event.keyId]).one().decode("public_key", as: ByteA.self).bytes
            }
            try ApprovalSignature.verify(event, publicKey: publicKey)
            var altered = event
            altered.content.title += " (sửa)"
            #expect(throws: ApprovalSignature.Problem.contentChanged) { try ApprovalSignature.verify(altered, publicKey: publicKey) }
            try await eventually("the submitter sees the approval") {
                s.submissionStatus(id, as: "ctv.tuphap").contains(#""status":"approved""#)
            }
        }
    }

    @Test("The editors' queue finds an item by its title typed without diacritics: as received, and by its new title once an editor changes it")
    func queueSearchFollowsTheTitle() async throws {
        try await withServices { s in
            let tag = String(UUID().uuidString.prefix(6)).lowercased()
            let response = httpRequest(
                "POST", s.intake.url("/api/v1/submissions"),
                headers: ["Authorization": "Bearer \(try s.token("ctv.tuphap"))", "Content-Type": "application/json"],
                body: IntakeAPITests().submission(title: "Hội nghị tổng kết ngành Tư pháp \(tag)"))
            let id = try #require(try JSONDecoder().decode([String: String].self, from: Data(response.body.utf8))["id"], "\(response.body)")
            func found(_ words: String) throws -> Bool {
                let query = words.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)!
                return try s.api("GET", "/queue?q=\(query)", as: "btv.lan").json["items"].map { ($0 as? [[String: Any]] ?? []) }?
                    .contains { $0["id"] as? String == id } ?? false
            }
            try await eventually("the submission is in the editors' queue") { try s.queue("received").contains { $0["id"] as? String == id } }
            #expect(try found("hoi nghi tong ket \(tag)"), "found as received, without diacritics")
            #expect(try found("Hội nghị \(tag)"), "and with them")
            let edited = try s.api(
                "PUT", "/articles/\(id)", as: "btv.lan", body: #"{"title": "Khánh thành cầu Bến Lức \#(tag)", "changeNote": "Đổi tiêu đề"}"#,
                headers: ["If-Match": "\"1\""])
            #expect(edited.status == 200, "\(edited.text)")
            #expect(try found("ben luc \(tag)"), "found by the new title")
            #expect(try !found("tong ket \(tag)"), "no longer by the old one")
        }
    }

    @Test("R-1.2: a Deputy Head approves only under a delegation from the Head; refusals name one of the five reasons; only the Head takes down (R-1.4)")
    func delegationRefusalAndTakedown() async throws {
        try await withServices { s in
            func submit(_ title: String) throws -> String {
                let body = IntakeAPITests().submission(title: title).replacingOccurrences(of: "sotuphap.longan.gov.vn", with: "benluc.longan.gov.vn")
                let response = httpRequest(
                    "POST", s.intake.url("/api/v1/submissions"),
                    headers: ["Authorization": "Bearer \(try s.token("ctv.benluc"))", "Content-Type": "application/json"], body: body)
                return try #require(try JSONDecoder().decode([String: String].self, from: Data(response.body.utf8))["id"])
            }
            let first = try submit("Huyện Bến Lức khánh thành cầu \(UUID().uuidString.prefix(4))")
            let second = try submit("Thông báo lịch tiếp công dân \(UUID().uuidString.prefix(4))")
            for id in [first, second] {
                try await eventually("\(id) reaches the queue") { try s.queue("received").contains { $0["id"] as? String == id } }
                try s.classifyAndSubmit(id)
            }

            // Start from no delegation: the Head revokes any that an earlier run left.
            for active in try s.api("GET", "/delegations", as: "truongban").json["items"] as? [[String: Any]] ?? []
            where active["active"] as? Bool == true && active["delegate"] as? String == "photruongban.hcc" {
                #expect(try s.api("DELETE", "/delegations/\(active["id"] as? String ?? "")", as: "truongban").status == 204)
            }
            // No delegation: the Deputy cannot approve; nor can a Deputy make one.
            let without = try s.api("POST", "/articles/\(first)/approve", as: "photruongban.hcc", body: #"{"revision": 2}"#)
            #expect(without.status == 403)
            #expect(s.errorCode(without) == "no_approval_authority")
            let today = LocalDate.of(Date())
            let delegation = #"{"delegate": "photruongban.hcc", "kinds": ["news"], "validFrom": "\#(today)", "validTo": "\#(today.adding(days: 30))"}"#
            #expect(s.errorCode(try s.api("POST", "/delegations", as: "photruongban.hcc", body: delegation)) == "head_only")
            let made = try s.api("POST", "/delegations", as: "truongban", body: delegation)
            #expect(made.status == 201, "\(made.text)")
            let delegationId = try #require(made.json["id"] as? String)

            // Refusals: exactly one of the five reasons, with a note.
            let unknown = try s.api("POST", "/articles/\(second)/reject", as: "photruongban.hcc", body: #"{"reason": "boring", "note": "x"}"#)
            #expect(s.errorCode(unknown) == "invalid_refusal_reason")
            let silent = try s.api("POST", "/articles/\(second)/reject", as: "photruongban.hcc", body: #"{"reason": "outside_remit"}"#)
            #expect(s.errorCode(silent) == "note_required")
            let rejected = try s.api(
                "POST", "/articles/\(second)/reject", as: "photruongban.hcc",
                body: #"{"reason": "untrue_low_quality_or_duplicate", "note": "Trùng với tin đã đăng ngày 20/11."}"#)
            #expect(rejected.json["state"] as? String == "rejected", "\(rejected.text)")
            try await eventually("the submitter reads the reason in the regulation's words") {
                s.submissionStatus(second, as: "ctv.benluc").contains("Trùng với tin đã đăng ngày 20")
            }
            try await eventually("the submitter is told by mail") {
                let folder = "\(s.work)/outgoing/new"
                let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
                return try names.contains { name in
                    let mail = try MailParser.parse([UInt8](FileManager.default.contents(atPath: "\(folder)/\(name)") ?? Data()))
                    return mail.subject.hasPrefix("Từ chối đăng tải") && mail.headerValues("To").first == "nhphuoc@benluc.longan.gov.vn"
                }
            }

            // With the delegation the Deputy approves, and the decision records it.
            let approved = try s.api("POST", "/articles/\(first)/approve", as: "photruongban.hcc", body: #"{"revision": 2}"#)
            #expect(approved.status == 200, "\(approved.text)")
            let decision = try #require((approved.json["decisions"] as? [[String: Any]])?.last)
            #expect(decision["rule"] as? String == "R-1.2-delegation")
            #expect(decision["delegationId"] as? String == delegationId)

            // Publishing reports the page; then only the Head may take it down.
            let link = try await s.env.link("test", topology: ServiceConfiguration(service: .approval).topology)
            let published = try EventEnvelope(
                type: EventType.articlePublished, correlationId: "it", producer: "publishing",
                payload: EventCoding.decoder.decode(JSONValue.self, from: EventCoding.encoder.encode(
                    ArticleStatusPayload(articleId: UUID(uuidString: first)!, submissionId: UUID(uuidString: first), state: .published,
                                         url: "https://longan.gov.vn/tin/\(first)"))))
            try await link.publish([try OutgoingMessage(event: published)])
            await link.close()
            try await eventually("the item shows as published") {
                try s.api("GET", "/articles/\(first)", as: "btv.lan").json["state"] as? String == "published"
            }
            let byDeputy = try s.api("POST", "/articles/\(first)/take-down", as: "photruongban.hcc", body: #"{"reason": "x", "publicExplanation": "y"}"#)
            #expect(byDeputy.status == 403)
            #expect(s.errorCode(byDeputy) == "head_only")
            let unexplained = try s.api("POST", "/articles/\(first)/take-down", as: "truongban", body: #"{"reason": "Thông tin đã cũ"}"#)
            #expect(s.errorCode(unexplained) == "publicExplanation_required")
            let takenDown = try s.api(
                "POST", "/articles/\(first)/take-down", as: "truongban",
                body: #"{"reason": "Thông tin đã cũ", "publicExplanation": "Thông tin này đã được gỡ bỏ theo quyết định của Trưởng Ban Biên tập."}"#)
            #expect(takenDown.json["state"] as? String == "taken_down", "\(takenDown.text)")

            // Revoked, the delegation no longer counts.
            #expect(try s.api("DELETE", "/delegations/\(delegationId)", as: "truongban").status == 204)
            let listed = try s.api("GET", "/delegations", as: "truongban").json["items"] as? [[String: Any]] ?? []
            #expect(listed.first { $0["id"] as? String == delegationId }?["active"] as? Bool == false)
        }
    }

    @Test("Quarantined mail is listed for editors, released into the flow or discarded with a reason")
    func quarantineDecisions() async throws {
        try await withServices { s in
            let stranger = "From: Người lạ <nguoila@example.com>\r\nTo: webmaster@longan.gov.vn\r\nSubject: =?UTF-8?Q?Tin_t=E1=BB=AB_ng=C6=B0=E1=BB=9Di_l=E1=BA=A1?=\r\nMessage-ID: <\(UUID().uuidString)@example.com>\r\n\r\nNội dung đáng đăng.\r\n"
            let spam = "From: spam@example.com\r\nSubject: Spam\r\nMessage-ID: <\(UUID().uuidString)@example.com>\r\n\r\nx\r\n"
            try IntakeMailTests.client.write(toFile: "\(s.work)/client.py", atomically: true, encoding: .utf8)
            var ids = [String]()
            for (name, text) in [("stranger.eml", stranger), ("spam.eml", spam)] {
                try Data(text.utf8).write(to: URL(fileURLWithPath: "\(s.work)/\(name)"))
                let sent = try s.env.run("/usr/bin/env", ["python3", "\(s.work)/client.py", String(s.intake.lmtpPort), "lmtp", "\(s.work)/\(name)"])
                ids.append(try #require(sent.output.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }))
            }
            try await eventually("both are listed as quarantined") {
                let held = try s.queue("quarantined").compactMap { $0["id"] as? String }
                return ids.allSatisfy(held.contains)
            }
            let listed = try #require(try s.queue("quarantined").first { $0["id"] as? String == ids[0] })
            #expect(listed["reason"] as? String == "unknown_sender")
            #expect(listed["title"] as? String == "Tin từ người lạ")
            #expect(s.errorCode(try s.api("POST", "/quarantine/\(ids[0])/release", as: "btv.lan", body: "{}")) == "unit_required")
            let released = try s.api("POST", "/quarantine/\(ids[0])/release", as: "btv.lan", body: #"{"unit": "department-sotuphap"}"#)
            #expect(released.status == 201, "\(released.text)")
            let article = try #require(released.json["id"] as? String)
            let view = try s.api("GET", "/articles/\(article)", as: "btv.lan")
            #expect((view.json["revision"] as? [String: Any])?["title"] as? String == "Tin từ người lạ")
            #expect(view.json["state"] as? String == "received")
            #expect(try s.api("POST", "/quarantine/\(ids[1])/discard", as: "btv.lan", body: #"{"reason": "Thư rác"}"#).status == 204)
            #expect(s.errorCode(try s.api("POST", "/quarantine/\(ids[1])/discard", as: "btv.lan", body: #"{"reason": "again"}"#)) == "already_decided")
            #expect(try s.queue("quarantined").allSatisfy { !ids.contains($0["id"] as? String ?? "") })
        }
    }

    @Test("The audit log is append-only and hash-chained: portalctl audit verify finds a changed row and a deleted one")
    func auditChain() async throws {
        let env = try TestEnvironment()
        let pool = try await env.database()
        defer { Task { await pool.close() } }
        let portalctl = try env.executable("portalctl")
        // Seal what earlier tests wrote, as the services' sealers do within a second.
        _ = try await pool.withConnection { try AuditLog.seal(limit: 1_000_000, on: $0) }
        let intact = try env.run(portalctl, ["audit", "verify"])
        #expect(intact.status == 0, "\(intact.output)")
        #expect(intact.output.contains("intact"))
        // Services cannot rewrite it: the table refuses updates and deletes.
        await #expect(throws: StoreError.self) {
            try await pool.withConnection { try $0.query("UPDATE core.audit_log SET actor = 'x' WHERE id = (SELECT max(id) FROM core.audit_log)") }
        }
        await #expect(throws: StoreError.self) {
            try await pool.withConnection { try $0.query("DELETE FROM core.audit_log WHERE id = (SELECT min(id) FROM core.audit_log)") }
        }
        // Nor its links: sealing only ever adds one.
        await #expect(throws: StoreError.self) {
            try await pool.withConnection { try $0.query("UPDATE core.audit_chain SET row_sha256 = 'x' WHERE seq = (SELECT max(seq) FROM core.audit_chain)") }
        }
        await #expect(throws: StoreError.self) {
            try await pool.withConnection { try $0.query("DELETE FROM core.audit_chain WHERE seq = (SELECT max(seq) FROM core.audit_chain)") }
        }
        // Someone with the power to lift that (a superuser) still leaves a trace.
        let (id, actor) = try await pool.withConnection { connection -> (Int64, String) in
            let row = try connection.query(
                "SELECT a.id, a.actor FROM core.audit_chain c JOIN core.audit_log a ON a.id = c.audit_id ORDER BY c.seq DESC OFFSET 1 LIMIT 1").one()
            return (try row.decode("id"), try row.decode("actor"))
        }
        try await pool.withConnection {
            try $0.script("ALTER TABLE core.audit_log DISABLE TRIGGER audit_log_append_only")
            try $0.query("UPDATE core.audit_log SET actor = 'someone else' WHERE id = $1", [id])
        }
        let changed = try env.run(portalctl, ["audit", "verify"])
        #expect(changed.status == 1)
        #expect(changed.output.contains("row \(id): its content does not match its hash"), "\(changed.output)")
        let kept = "public.audit_kept_\(UUID().uuidString.prefix(8).lowercased())"
        try await pool.withConnection {
            try $0.query("UPDATE core.audit_log SET actor = $2 WHERE id = $1", [id, actor])
            try $0.script("CREATE TABLE \(kept) AS SELECT * FROM core.audit_log WHERE id = \(id)")
            try $0.query("DELETE FROM core.audit_log WHERE id = $1", [id])
        }
        let deleted = try env.run(portalctl, ["audit", "verify"])
        #expect(deleted.status == 1)
        #expect(deleted.output.contains("row \(id): sealed at chain position") && deleted.output.contains("(deleted)"), "\(deleted.output)")
        try await pool.withConnection {
            try $0.script("INSERT INTO core.audit_log SELECT * FROM \(kept); DROP TABLE \(kept)")
            try $0.script("ALTER TABLE core.audit_log ENABLE TRIGGER audit_log_append_only")
        }
        #expect(try env.run(portalctl, ["audit", "verify"]).status == 0)

        // Restored into another cluster (portalctl restore on a new machine), the cursor names a
        // transaction far past the new server's: the rows written after the restore are chained all the same.
        try await pool.withConnection { try $0.query("UPDATE core.audit_seal_cursor SET xact = xact + 1000000000") }
        let restoredRow = "audit-restored-\(UUID().uuidString.prefix(8))"
        try await pool.withTransaction {
            try AuditLog.append(service: "tests", actor: "tests", action: "tests.restored", subject: restoredRow, correlationId: nil, on: $0)
        }
        try await eventually("the row written after the restore is chained", within: 10) {
            _ = try await pool.withConnection { try AuditLog.seal(limit: 1_000_000, on: $0) }
            return try await pool.withConnection {
                try $0.query("""
                    SELECT count(*)::int AS n FROM core.audit_chain c JOIN core.audit_log a ON a.id = c.audit_id WHERE a.subject = $1
                    """, [restoredRow]).one().decode("n", as: Int.self)
            } == 1
        }
        let afterRestore = try env.run(portalctl, ["audit", "verify"])
        #expect(afterRestore.status == 0 && afterRestore.output.contains("intact"), "\(afterRestore.output)")
    }

    @Test("Pre-screens inform: a secrecy stamp makes an item the Board's alone, a near-duplicate of published content is shown with its similarity")
    func prescreens() async throws {
        try await withServices { s in
            let paragraph = """
                Sáng ngày 28 tháng 11, Ủy ban nhân dân huyện Bến Lức tổ chức lễ khánh thành cầu Bến Lức mới bắc qua sông Vàm Cỏ Đông, \
                góp phần kết nối giao thông giữa các xã phía bắc và trung tâm huyện, phục vụ nhu cầu đi lại của người dân.
                """
            func submit(_ title: String, _ body: String) async throws -> String {
                let json = IntakeAPITests().submission(title: title, body: body).replacingOccurrences(of: "sotuphap.longan.gov.vn", with: "benluc.longan.gov.vn")
                let response = httpRequest(
                    "POST", s.intake.url("/api/v1/submissions"),
                    headers: ["Authorization": "Bearer \(try s.token("ctv.benluc"))", "Content-Type": "application/json"], body: json)
                let id = try #require(try JSONDecoder().decode([String: String].self, from: Data(response.body.utf8))["id"])
                try await eventually("\(id) reaches the approval service") { try s.api("GET", "/articles/\(id)", as: "truongban").status == 200 }
                return id
            }
            // A published item.
            let original = try await submit("Khánh thành cầu Bến Lức \(UUID().uuidString.prefix(4))", paragraph)
            try s.classifyAndSubmit(original)
            #expect(try s.api("POST", "/articles/\(original)/approve", as: "truongban", body: #"{"revision": 2}"#).status == 200)
            let link = try await s.env.link("prescreen", topology: ServiceConfiguration(service: .approval).topology)
            try await link.publish([try OutgoingMessage(event: EventEnvelope(
                type: EventType.articlePublished, correlationId: "it", producer: "publishing",
                payload: EventCoding.decoder.decode(JSONValue.self, from: EventCoding.encoder.encode(
                    ArticleStatusPayload(articleId: UUID(uuidString: original)!, submissionId: nil, state: .published)))))])
            await link.close()
            try await eventually("published") { try s.api("GET", "/articles/\(original)", as: "btv.lan").json["state"] as? String == "published" }

            // Nearly the same text again, without diacritics in places: flagged, with the match, not refused.
            let copy = try await submit("Cầu Bến Lức mới", paragraph.replacingOccurrences(of: "Sáng ngày 28", with: "Sang ngay 28"))
            let screened = try #require(try s.api("GET", "/articles/\(copy)", as: "btv.lan").json["prescreen"] as? [String: Any])
            let duplicates = screened["nearDuplicates"] as? [[String: Any]] ?? []
            let match = try #require(duplicates.first { ($0["articleId"] as? String)?.lowercased() == original })
            #expect((match["similarity"] as? Double ?? 0) >= 0.8, "\(match)")
            #expect(try s.api("GET", "/articles/\(copy)", as: "btv.lan").json["state"] as? String == "received", "a pre-screen never decides")

            // A secrecy stamp: the Board sees the item, editors do not, and every look is recorded.
            let secret = try await submit("Báo cáo \(UUID().uuidString.prefix(4))", "TỐI MẬT\n\nNội dung báo cáo tình hình.")
            let asEditor = try s.api("GET", "/articles/\(secret)", as: "btv.lan")
            #expect(asEditor.status == 404, "an editor must not learn that a stamped item exists")
            #expect(try !s.queue("received").contains { $0["id"] as? String == secret })
            let asHead = try s.api("GET", "/articles/\(secret)", as: "truongban")
            #expect(asHead.json["restricted"] as? Bool == true)
            #expect((asHead.json["prescreen"] as? [String: Any])?["secrecyStamps"] as? [String] == ["TỐI MẬT"])
            try await eventually("the Head's look is in the audit log") {
                try await s.pool.withConnection {
                    try $0.query("SELECT count(*) AS n FROM core.audit_log WHERE subject = $1 AND action = 'article.viewed_restricted' AND actor = 'truongban'",
                                 [secret]).one().decode("n", as: Int.self)
                } >= 1
            }
        }
    }

    @Test("A correction of a published item is a new revision with a change note, approved again; the live version stays until then, and a refused correction leaves it")
    func corrections() async throws {
        try await withServices { s in
            let body = IntakeAPITests().submission(title: "Lịch tiếp công dân \(UUID().uuidString.prefix(4))")
                .replacingOccurrences(of: "sotuphap.longan.gov.vn", with: "benluc.longan.gov.vn")
            let created = httpRequest("POST", s.intake.url("/api/v1/submissions"),
                                      headers: ["Authorization": "Bearer \(try s.token("ctv.benluc"))", "Content-Type": "application/json"], body: body)
            let id = try #require(try JSONDecoder().decode([String: String].self, from: Data(created.body.utf8))["id"])
            try await eventually("queued") { try s.api("GET", "/articles/\(id)", as: "btv.lan").status == 200 }
            try s.classifyAndSubmit(id)
            #expect(try s.api("POST", "/articles/\(id)/approve", as: "truongban", body: #"{"revision": 2}"#).status == 200)
            func publish() async throws {
                let link = try await s.env.link("correction", topology: ServiceConfiguration(service: .approval).topology)
                try await link.publish([try OutgoingMessage(event: EventEnvelope(
                    type: EventType.articlePublished, correlationId: "it", producer: "publishing",
                    payload: EventCoding.decoder.decode(JSONValue.self, from: EventCoding.encoder.encode(
                        ArticleStatusPayload(articleId: UUID(uuidString: id)!, submissionId: nil, state: .published)))))])
                await link.close()
            }
            try await publish()
            try await eventually("published") { try s.api("GET", "/articles/\(id)", as: "btv.lan").json["state"] as? String == "published" }

            // A correction needs a note the public will read.
            let silent = try s.api("PUT", "/articles/\(id)", as: "btv.lan", body: #"{"summary": "Sửa giờ tiếp"}"#, headers: ["If-Match": "\"2\""])
            #expect(s.errorCode(silent) == "change_note_required")
            let started = try s.api(
                "PUT", "/articles/\(id)", as: "btv.lan", body: #"{"summary": "Tiếp công dân từ 7 giờ 30", "changeNote": "Đính chính giờ tiếp công dân"}"#,
                headers: ["If-Match": "\"2\""])
            #expect(started.json["state"] as? String == "in_editing", "\(started.text)")
            #expect(started.json["publishedRevision"] as? Int == 2, "the published version stays live")
            #expect(try s.api("POST", "/articles/\(id)/withdraw", as: "ctv.benluc", body: "{}").status == 409, "a live item cannot be withdrawn")
            #expect(try s.api("POST", "/articles/\(id)/submit-for-approval", as: "btv.lan", body: "{}").json["state"] as? String == "pending_approval")
            let approved = try s.api("POST", "/articles/\(id)/approve", as: "truongban", body: #"{"revision": 3}"#)
            #expect(approved.json["state"] as? String == "approved", "\(approved.text)")
            #expect((approved.json["approval"] as? [String: Any])?["verified"] as? Bool == true)
            let envelopes = try await s.pool.withConnection {
                try $0.query("SELECT envelope FROM editorial.outbox WHERE routing_key = 'article.approved' AND envelope ILIKE $1 ORDER BY seq",
                             ["%\(id)%"]).rows.map { try $0.decode("envelope", as: String.self) }
            }
            let correction = try EventEnvelope.decode(from: Array(try #require(envelopes.last).utf8)).decode(ArticleApproved.self)
            #expect(correction.content.revision == 3)
            #expect(correction.content.correctionNote == "Đính chính giờ tiếp công dân", "the note is signed with the content")
            try await publish()
            try await eventually("the correction is live") {
                let view = try s.api("GET", "/articles/\(id)", as: "btv.lan").json
                return view["state"] as? String == "published" && view["publishedRevision"] as? Int == 3
            }

            // A refused correction: the item stays published, at the revision the public reads.
            _ = try s.api("PUT", "/articles/\(id)", as: "btv.lan", body: #"{"summary": "Sai", "changeNote": "Sửa nhầm"}"#, headers: ["If-Match": "\"3\""])
            _ = try s.api("POST", "/articles/\(id)/submit-for-approval", as: "btv.lan", body: "{}")
            let refused = try s.api(
                "POST", "/articles/\(id)/reject", as: "truongban", body: #"{"reason": "untrue_low_quality_or_duplicate", "note": "Không đúng"}"#)
            #expect(refused.json["state"] as? String == "published", "\(refused.text)")
            #expect(refused.json["publishedRevision"] as? Int == 3)
        }
    }

    @Test("Issue 14: an editor's refused save keeps every field as typed, the faulty one marked; a coefficient typed as 8,5 is 8.5")
    func refusedSaveKeepsTheForm() async throws {
        try await withServices { s in
            let created = httpRequest("POST", s.intake.url("/api/v1/submissions"),
                                      headers: ["Authorization": "Bearer \(try s.token("ctv.tuphap"))", "Content-Type": "application/json"],
                                      body: IntakeAPITests().submission(title: "Tin để sửa trên trang"))
            let id = try #require(try JSONDecoder().decode([String: String].self, from: Data(created.body.utf8))["id"])
            try await eventually("queued") { try s.api("GET", "/articles/\(id)", as: "btv.lan").status == 200 }
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("Browser/edit_form_check.py").path
            let run = try s.env.run("/usr/bin/env", ["python3", script], environment: ["PORT": String(s.approval.port), "ID": id])
            #expect(run.status == 0 && run.output.contains("edit form check passed"), "\(run.output)")
            let stored = try s.api("GET", "/articles/\(id)", as: "btv.lan").json
            let classification = (stored["revision"] as? [String: Any])?["classification"] as? [String: Any]
            #expect(classification?["coefficientHundredths"] as? Int == 850, "\(String(describing: classification))")
        }
    }

    @Test("Issue 11: markup put on the bus in a submission's HTML never reaches the editors' pages: approval sanitises again on arrival")
    func markupOnTheBusIsSanitisedAgain() async throws {
        try await withServices { s in
            let id = UUID()
            let forged = SubmittedContent(
                submissionId: id, unitCode: "department-sotuphap", channel: "api", submittedBy: nil, senderAddress: nil, kind: "news",
                language: "vi", title: "Tin có mã độc", summary: nil, bodyFormat: "html", body: "x",
                bodyHTML: #"<p>Nội dung</p><script>fetch('/api/v1/me')</script><img src="x" onerror="alert(1)" alt="a"><a href="javascript:alert(1)">b</a>"#,
                authors: [AuthorShare(name: "An", share: 100)], targetSites: ["longan.gov.vn"], alsoOnOwnSite: false, attachments: [],
                details: .object([:]), flags: [])
            let link = try await s.env.link("forger", topology: ServiceConfiguration(service: .intake).topology)
            try await link.publish([try OutgoingMessage(event: try EventEnvelope(forged, correlationId: "it-markup", producer: "intake"))])
            await link.close()
            try await eventually("the item reaches the queue") { try s.api("GET", "/articles/\(id.uuidString.lowercased())", as: "btv.lan").status == 200 }
            let html = ((try s.api("GET", "/articles/\(id.uuidString.lowercased())", as: "btv.lan").json["revision"] as? [String: Any])?["bodyHTML"] as? String ?? "")
                .lowercased()
            #expect(html.contains("nội dung"))
            #expect(!html.contains("<script") && !html.contains("onerror") && !html.contains("javascript:"), "\(html)")
        }
    }
}
