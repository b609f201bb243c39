import Foundation
import MessageBus
import Models
import ServiceKit
import Store
import Testing

/// The finance service against PostgreSQL and RabbitMQ: publications arrive as publishing sends
/// them (`article.approved`, `article.published`, `article.taken_down` on the bus), with chosen
/// dates so that the amounts can be computed by hand (R-4).
@Suite("Finance: royalty ledger, monthly reports, exports, budget estimates", .serialized)
struct FinanceFlowTests {
    static let port = 18_285

    struct Published {
        var id = UUID()
        var title: String
        var classification: Classification
        var unit = "department-sotuphap"
        var publishedAt: Date
    }

    /// 12:00 in Asia/Ho_Chi_Minh on the day.
    static func noon(_ year: Int, _ month: Int, _ day: Int) -> Date {
        PortalCalendar.gregorian.date(from: DateComponents(year: year, month: month, day: day, hour: 12))!
    }

    func send(_ link: BrokerLink, approved item: Published, approver: UUID) async throws {
        let content = CanonicalRevision(
            articleId: item.id, revision: 2, unitCode: item.unit, kind: "news", language: "vi", title: item.title, summary: nil,
            bodyHTML: "<p>…</p>", attachments: [], classification: item.classification, details: .object([:]))
        let approval = ArticleApproved(
            articleId: item.id, submissionId: nil, content: content, contentSHA256: "", signature: "", keyId: "",
            approverId: approver, rule: .boardMemberLeadingUnit, delegationId: nil)
        try await link.publish([try OutgoingMessage(event: try EventEnvelope(approval, correlationId: "finance-it", producer: "approval"))])
    }

    func send(_ link: BrokerLink, _ type: String, _ item: Published, state: ArticleState) async throws {
        var status = ArticleStatusPayload(articleId: item.id, submissionId: nil, state: state)
        status.publishedAt = item.publishedAt
        let envelope = EventEnvelope(
            type: type, correlationId: "finance-it", producer: "publishing",
            payload: try EventCoding.decoder.decode(JSONValue.self, from: EventCoding.encoder.encode(status)))
        try await link.publish([try OutgoingMessage(event: envelope)])
    }

    @Test("Hand-computed royalties across the base-salary change of 2026-07-01, co-authors, a unit-paid item, a surcharge; the report generated at month end, walked to paid, a takedown adjusted in the next open month; XLSX read back by LibreOffice; a budget estimate appraised and approved")
    func royaltiesAndBudget() async throws {
        let env = try TestEnvironment()
        let pool = try await env.database()
        // The ledger and reports belong to this test: start from nothing.
        // (deploy/test has migrated every schema; TRUNCATE is not a row DELETE, so the ledger's
        // append-only trigger lets the test start clean.)
        try await pool.withConnection { connection in
            try connection.query(
                """
                TRUNCATE finance.ledger, finance.report_steps, finance.reports, finance.approved_items,
                         finance.budget_steps, finance.budget_lines, finance.budget_estimates
                """)
        }
        let finance = try ServiceProcess("finance", port: Self.port, environment: ["FINANCE_SCHEDULE_SECONDS": "1"], in: env)
        do {
            try await finance.waitUntilReady()
            try await run(env, pool, finance)
        } catch {
            _ = try? await finance.terminate()
            throw error
        }
        #expect(try await finance.terminate() == 0)
    }

    @Test("R-4: nothing is owed for an item taken down, whatever order its events reach finance in: a takedown before the publication, a publication replayed after the takedown")
    func takedownsWinOverLatePublications() async throws {
        let env = try TestEnvironment()
        let pool = try await env.database()
        let finance = try ServiceProcess("finance", port: Self.port, environment: [:], in: env)
        do {
            try await finance.waitUntilReady()
            let approver = try await pool.withConnection {
                try $0.query("SELECT id FROM core.users WHERE login = 'gd.tuphap'").one().decode("id", as: UUID.self)
            }
            let tag = String(UUID().uuidString.prefix(4))
            func item(_ title: String) -> Published {
                Published(title: "\(title) \(tag)", classification: Classification(genre: "news", coefficientHundredths: 800, authors: [AuthorShare(name: "Tác giả \(tag)")]),
                          publishedAt: Date())
            }
            let early = item("Gỡ trước khi tin đăng đến"), replayed = item("Tin đăng được gửi lại sau khi gỡ")
            let link = try await env.link("finance-order-it", topology: ServiceConfiguration(service: .finance).topology)
            // The takedown (from approval) overtakes the publication (from publishing).
            try await send(link, approved: early, approver: approver)
            try await send(link, EventType.articleTakenDown, early, state: .takenDown)
            try await eventually("the takedown is recorded before the publication arrives", within: 20) {
                try await pool.withConnection {
                    try $0.query("SELECT state FROM finance.approved_items WHERE article_id = $1", [early.id]).rows.first?.decode("state", as: String.self)
                } == "taken_down"
            }
            try await send(link, EventType.articlePublished, early, state: .published)
            // Published, taken down, then the publication again under a new message id (a replay).
            try await send(link, approved: replayed, approver: approver)
            try await send(link, EventType.articlePublished, replayed, state: .published)
            try await eventually("the royalty of the published item is posted", within: 20) {
                try await pool.withConnection {
                    try $0.query("SELECT count(*)::int AS n FROM finance.ledger WHERE article_id = $1", [replayed.id]).one().decode("n", as: Int.self)
                } > 0
            }
            try await send(link, EventType.articleTakenDown, replayed, state: .takenDown)
            try await send(link, EventType.articlePublished, replayed, state: .published)
            await link.close()
            // As after any takedown: the authors owed nothing, the reviewer's remuneration for the item once.
            func settled(_ id: UUID) async throws -> (state: String, authors: Int, reviews: Int) {
                try await pool.withConnection { connection in
                    let state: String = try connection.query("SELECT state FROM finance.approved_items WHERE article_id = $1", [id]).one().decode("state")
                    let owed = try connection.query(
                        """
                        SELECT coalesce(sum(amount_vnd) FILTER (WHERE role = 'author'), 0)::int AS authors,
                               count(*) FILTER (WHERE role = 'reviewer')::int AS reviews
                        FROM finance.ledger WHERE article_id = $1
                        """, [id]).one()
                    return (state, try owed.decode("authors"), try owed.decode("reviews"))
                }
            }
            do {
                try await eventually("both items are settled as taken down, with nothing owed to the authors", within: 30) {
                    let (a, b) = (try await settled(early.id), try await settled(replayed.id))
                    return a.state == "taken_down" && b.state == "taken_down" && a.authors == 0 && b.authors == 0 && a.reviews == 1 && b.reviews == 1
                }
            } catch {
                Issue.record("taken down before published: \(try await settled(early.id)); published again after the takedown: \(try await settled(replayed.id))")
                throw error
            }
            // And it stays so once every event has been handled.
            try await Task.sleep(for: .seconds(2))
            for id in [early.id, replayed.id] {
                let (state, authors, reviews) = try await settled(id)
                #expect(state == "taken_down" && authors == 0 && reviews == 1, "\(id): \(state), \(authors) VND owed to authors, \(reviews) reviews paid")
            }
        } catch {
            _ = try? await finance.terminate()
            throw error
        }
        #expect(try await finance.terminate() == 0)
    }

    func run(_ env: TestEnvironment, _ pool: DatabasePool, _ finance: ServiceProcess) async throws {
        let tag = String(UUID().uuidString.prefix(4))
        let approver = try await pool.withConnection {
            try $0.query("SELECT id FROM core.users WHERE login = 'gd.tuphap'").one().decode("id", as: UUID.self)
        }
        func author(_ name: String, _ share: Int? = nil) -> AuthorShare { AuthorShare(name: "\(name) \(tag)", share: share) }
        let june = Published(title: "Tin ngày 30/6", classification: Classification(genre: "news", coefficientHundredths: 800, authors: [author("Nguyễn Văn An")]),
                             publishedAt: Self.noon(2026, 6, 30))
        let july = Published(title: "Tin ngày 1/7", classification: Classification(genre: "news", coefficientHundredths: 800, authors: [author("Trần Thị Bình")]),
                             publishedAt: Self.noon(2026, 7, 1))
        let shared = Published(
            title: "Phóng sự đồng tác giả", classification: Classification(genre: "reportage", coefficientHundredths: 1000,
                                                                         authors: [author("Lê Văn Cường", 60), author("Phạm Thị Dung", 40)]),
            publishedAt: Self.noon(2026, 7, 15))
        let unitPaid = Published(
            title: "Tin Sở Tư pháp cũng đăng", classification: Classification(genre: "news", coefficientHundredths: 500, authors: [author("Võ Văn Em")],
                                                                             alsoOnOwnSite: true),
            publishedAt: Self.noon(2026, 7, 20))
        let translated = Published(
            title: "Bài dịch", classification: Classification(genre: "commentary", coefficientHundredths: 1000, surcharges: ["translation:50"],
                                                             authors: [author("Đỗ Thị Giang")]),
            publishedAt: Self.noon(2026, 7, 10))
        let link = try await env.link("finance-it", topology: ServiceConfiguration(service: .finance).topology)
        for item in [june, july, shared, unitPaid, translated] {
            try await send(link, approved: item, approver: approver)
            try await send(link, EventType.articlePublished, item, state: .published)
        }

        let accountant = try IntakeAPITests().token("ketoan.mai", env)
        let head = try IntakeAPITests().token("truongban", env)
        func api(_ method: String, _ path: String, token: String?, body: String? = nil) -> (status: Int, json: [String: Any], text: String, headers: [String: String]) {
            var headers = [String: String]()
            if let token { headers["Authorization"] = "Bearer \(token)" }
            if body != nil { headers["Content-Type"] = "application/json" }
            let response = httpRequest(method, finance.url("/api/v1\(path)"), headers: headers, body: body)
            return (response.status ?? 0, (try? JSONSerialization.jsonObject(with: Data(response.body.utf8))) as? [String: Any] ?? [:],
                    response.body, response.headers)
        }
        func report(_ month: String) -> [String: Any] { api("GET", "/royalties/\(month)", token: accountant).json["report"] as? [String: Any] ?? [:] }
        func totals(_ month: String) -> [String: Int] { (report(month)["totals"] as? [String: Any] ?? [:]).compactMapValues { $0 as? Int } }
        func authorAmount(_ month: String, _ name: String) -> Int? {
            (report(month)["authors"] as? [[String: Any]] ?? []).first { $0["name"] as? String == "\(name) \(tag)" }?["amountVND"] as? Int
        }

        // The month-end job finds the past months with entries and no report, and generates them.
        try await eventually("the reports of June and July are generated", within: 30) {
            api("GET", "/royalties/2026-07", token: accountant).status == 200 && api("GET", "/royalties/2026-06", token: accountant).status == 200
                && ((report("2026-07")["entries"] as? [Any])?.count ?? 0) >= 10
        }
        #expect(report("2026-07")["generatedBy"] as? String == "schedule")
        // On a month's last day from 8 o'clock (Asia/Ho_Chi_Minh), that month's report is there too.
        let now = Date(), current = YearMonth.of(LocalDate.of(now))
        if LocalDate.of(now) == current.lastDay, PortalCalendar.gregorian.component(.hour, from: now) >= 8 {
            try await eventually("this month's report, on its last day") { api("GET", "/royalties/\(current)", token: accountant).status == 200 }
            #expect(report(current.description)["generatedBy"] as? String == "schedule")
        }
        #expect(report("2026-07")["state"] as? String == "draft")

        // R-4.1, R-4.2: 8 × 10% of 2,340,000 on 30/6; 8 × 10% of 2,530,000 on 1/7.
        #expect(authorAmount("2026-06", "Nguyễn Văn An") == 1_872_000)
        #expect(authorAmount("2026-07", "Trần Thị Bình") == 2_024_000)
        // R-4.6: 10 × 253,000 shared 60/40.
        #expect(authorAmount("2026-07", "Lê Văn Cường") == 1_518_000)
        #expect(authorAmount("2026-07", "Phạm Thị Dung") == 1_012_000)
        // R-4.4: a translation at 50% of 10 × 253,000.
        #expect(authorAmount("2026-07", "Đỗ Thị Giang") == 1_265_000)
        // R-4.7: the unit pays for what it also publishes; listed apart, not among the portal's authors.
        #expect(authorAmount("2026-07", "Võ Văn Em") == nil)
        let unitPaidRows = report("2026-07")["unitPaid"] as? [[String: Any]] ?? []
        #expect(unitPaidRows.contains { $0["payeeName"] as? String == "Võ Văn Em \(tag)" && $0["amountVND"] as? Int == 1_265_000 && $0["payer"] as? String == "department-sotuphap" })
        let julyTotals = totals("2026-07")
        #expect(julyTotals["royaltiesVND"] == 2_024_000 + 1_518_000 + 1_012_000 + 1_265_000)
        #expect(julyTotals["unitPaidVND"] == 1_265_000)
        // Remuneration (seeds/remuneration.csv): 50,000 per published item to the approver (four in July),
        // 1,500,000 a month to each editor.
        let editors = try await pool.withConnection {
            try $0.query("SELECT count(*) AS n FROM core.users u JOIN core.user_roles r ON r.user_id = u.id AND r.role = 'editor' WHERE u.active")
                .one().decode("n", as: Int.self)
        }
        let remuneration = 4 * 50_000 + editors * 1_500_000
        #expect(julyTotals["remunerationVND"] == remuneration, "\(julyTotals)")
        #expect(julyTotals["portalVND"] == 5_819_000 + remuneration)
        // An editor paid by the month: the row says how many items the editor edited that month.
        try await pool.withConnection { connection in
            for item in 1...2 {
                try connection.query(
                    """
                    INSERT INTO core.audit_log (at, service, actor, action, subject)
                    VALUES ('2026-07-15 09:00:00+07', 'approval', 'btv.lan', 'article.edited', $1)
                    """, ["edited-in-july-\(tag)-\(item)"])
            }
        }
        let lan = (report("2026-07")["remuneration"] as? [[String: Any]] ?? []).first { $0["name"] as? String == "Nguyễn Thị Lan" && $0["role"] as? String == "editor" }
        #expect((lan?["items"] as? Int ?? 0) >= 2, "the editor's items in July: \(lan ?? [:])")

        // Bad input: clear 4xx, nothing changed.
        #expect(api("GET", "/royalties/2026-7", token: accountant).json.description.contains("invalid_month"))
        #expect(api("GET", "/royalties/2099-01", token: accountant).status == 422)
        #expect(api("GET", "/royalties/2026-07", token: nil).status == 401)
        #expect(api("GET", "/royalties/2026-07", token: try IntakeAPITests().token("btv.lan", env)).status == 403)
        #expect(api("POST", "/royalties/2026-07/pay", token: accountant, body: #"{"paymentReference": "UNC 1", "paymentDate": "2026-11-01"}"#).status == 409,
                "no payment on an unapproved report")
        #expect(api("POST", "/royalties/2026-07/approve", token: accountant).status == 403, "the Board approves")
        #expect(report("2026-07")["state"] as? String == "draft")

        // XLSX: LibreOffice opens it (headless conversion) and reads the same totals.
        let xlsx = httpRequest("GET", finance.url("/api/v1/royalties/2026-07?format=xlsx"), headers: ["Authorization": "Bearer \(accountant)"])
        #expect(xlsx.status == 200 && xlsx.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        let folder = NSTemporaryDirectory() + "finance-it-\(tag)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let download = try env.run("/usr/bin/env", ["curl", "-s", "-o", "\(folder)/july.xlsx", "-H", "Authorization: Bearer \(accountant)",
                                                    finance.url("/api/v1/royalties/2026-07?format=xlsx")])
        #expect(download.status == 0)
        let converted = try env.run("/usr/bin/env", ["soffice", "--headless", "-env:UserInstallation=file://\(folder)/profile",
                                                     "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir", folder, "\(folder)/july.xlsx"])
        #expect(converted.status == 0, "\(converted.output)")
        let summary = (try? String(contentsOfFile: "\(folder)/july.csv", encoding: .utf8)) ?? ""
        for expected in ["5819000", String(remuneration), String(5_819_000 + remuneration), "1265000"] {
            #expect(summary.replacingOccurrences(of: ",", with: "").replacingOccurrences(of: ".", with: "").contains(expected),
                    "LibreOffice reads \(expected) on the summary sheet: \(summary)")
        }
        let csv = httpRequest("GET", finance.url("/api/v1/royalties/2026-07?format=csv&view=authors"), headers: ["Authorization": "Bearer \(accountant)"])
        #expect(csv.body.contains("Lê Văn Cường \(tag)") && csv.body.contains("1518000"))

        // draft → submitted → approved → paid, each step with who and when.
        #expect(api("POST", "/royalties/2026-07/submit", token: accountant).json["state"] as? String == "submitted")
        #expect(api("POST", "/royalties/2026-07/approve", token: head).json["state"] as? String == "approved")
        #expect(api("POST", "/royalties/2026-07/pay", token: accountant, body: #"{"paymentReference": "UNC-0712", "paymentDate": "2099-01-01"}"#).status == 422)
        #expect(api("POST", "/royalties/2026-07/pay", token: accountant, body: #"{"paymentReference": "UNC-0712", "paymentDate": "2026-11-20"}"#)
            .json["state"] as? String == "paid")
        let steps = api("GET", "/royalties/2026-07", token: accountant).json["steps"] as? [[String: Any]] ?? []
        #expect(steps.map { $0["toState"] as? String ?? "" } == ["draft", "submitted", "approved", "paid"])
        #expect(steps.map { $0["actor"] as? String ?? "" } == ["schedule", "ketoan.mai", "truongban", "ketoan.mai"])

        // A takedown after July was closed: the adjustment goes to the next open month; July is unchanged.
        try await send(link, EventType.articleTakenDown, shared, state: .takenDown)
        try await eventually("the takedown is adjusted in August") {
            (report("2026-08")["adjustments"] as? [[String: Any]] ?? []).filter { ($0["title"] as? String) == shared.title }.count == 2
        }
        #expect(totals("2026-08")["adjustmentsVND"] == -(1_518_000 + 1_012_000))
        #expect(totals("2026-07")["portalVND"] == 5_819_000 + remuneration, "a closed report is never edited")
        await link.close()

        // A finance staff member in the browser: August's report, generated at month end, walked to paid.
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Browser/finance_check.py").path
        let augustTotal = totals("2026-08")["portalVND"] ?? 0
        let browser = try env.run("/usr/bin/env", ["python3", script], environment: [
            "BASE": finance.url(""), "PASSWORD": ProcessInfo.processInfo.environment["PORTAL_DEMO_PASSWORD"] ?? "longan-demo-2026",
            "MONTH": "2026-08", "PORTAL_TOTAL": Self.vietnameseAmount(augustTotal),
        ])
        #expect(browser.status == 0 && browser.output.contains("finance check passed"), "\(browser.output)")
        #expect(report("2026-08")["state"] as? String == "paid" && report("2026-08")["paymentReference"] as? String == "UNC-0825")

        // The budget estimate for 2027: drafted, appraised (originals kept), submitted to the UBND, approved.
        let appraiser = try IntakeAPITests().token("thamdinh.taichinh", env)
        #expect(api("POST", "/budgets/2027", token: accountant, body: #"{"lines": [{"category": "nonsense", "description": "x", "amountVND": 1}]}"#)
            .json.description.contains("unknown_category"))
        #expect(api("POST", "/budgets/2027", token: accountant, body: #"{"lines": [{"category": "recurring_operations", "description": "x", "amountVND": -5}]}"#)
            .json.description.contains("negative_amount"))
        #expect(api("POST", "/budgets/2027", token: appraiser, body: "{}").status == 403)
        let created = api("POST", "/budgets/2027", token: accountant, body: """
            {"lines": [{"category": "recurring_operations", "description": "Duy trì, bảo mật hệ thống", "amountVND": 300000000},
                       {"category": "hdnd_delegation_page", "description": "Trang Đoàn ĐBQH và HĐND tỉnh", "amountVND": 120000000}]}
            """)
        #expect(created.status == 201, "\(created.text)")
        let lines = created.json["lines"] as? [[String: Any]] ?? []
        let actual = try await pool.withConnection {
            try $0.query("SELECT coalesce(sum(amount_vnd), 0)::bigint AS total FROM finance.ledger WHERE month LIKE '2026-%' AND payer = 'portal'")
                .one().decode("total", as: Int64.self)
        }
        #expect(lines.contains { $0["category"] as? String == "recurring_content" && ($0["amountVND"] as? Int).map(Int64.init) == actual },
                "the previous year's actual royalties and remuneration from the ledger")
        #expect(api("POST", "/budgets/2027/appraise", token: appraiser, body: #"{"lines": []}"#).status == 409, "not submitted yet")
        #expect(api("POST", "/budgets/2027/submit", token: accountant).json["state"] as? String == "submitted")
        #expect(api("POST", "/budgets/2027/lines", token: accountant, body: #"{"category": "training_and_board", "description": "Tập huấn", "amountVND": 1}"#).status == 409)
        let appraisal = lines.map { line -> String in
            let amount = (line["amountVND"] as? Int ?? 0) * 9 / 10
            return #"{"lineId": "\#(line["id"] as? String ?? "")", "appraisedAmountVND": \#(amount), "comment": "Giảm 10%"}"#
        }
        let appraised = api("POST", "/budgets/2027/appraise", token: appraiser, body: #"{"lines": [\#(appraisal.joined(separator: ","))]}"#)
        #expect(appraised.json["state"] as? String == "appraised", "\(appraised.text)")
        #expect(appraised.json["totalVND"] as? Int == created.json["totalVND"] as? Int, "the drafted amounts are kept")
        #expect(appraised.json["appraisedTotalVND"] as? Int != nil)
        #expect(api("POST", "/budgets/2027/approve", token: head).status == 409, "the UBND approves what was submitted to it")
        #expect(api("POST", "/budgets/2027/submit-to-ubnd", token: accountant).json["state"] as? String == "submitted_to_ubnd")
        #expect(api("POST", "/budgets/2027/approve", token: head).json["state"] as? String == "approved")
        let budgetXLSX = httpRequest("GET", finance.url("/api/v1/budgets/2027?format=xlsx"), headers: ["Authorization": "Bearer \(accountant)"])
        #expect(budgetXLSX.status == 200)
        #expect(httpRequest("GET", finance.url("/api/v1/budgets/2027?format=csv"), headers: ["Authorization": "Bearer \(accountant)"]).body.contains("Giảm 10%"))
    }

    @Test("Art. 9.2.h, 22: the activity of a unit over a period: submitted, published, returned, refused by reason, time to decision; XLSX")
    func activity() async throws {
        let env = try TestEnvironment()
        let pool = try await env.database()
        let tag = String(Int.random(in: 10_000...99_999))
        let unit = "commune-activity-\(tag)"
        try await pool.withConnection { connection in
            try connection.query(
                "INSERT INTO core.units (code, kind, name, parent_code, label, valid_from) VALUES ($1, 'commune', $2, 'longan', $3, '2025-07-01')",
                [unit, "Xã Hoạt Động \(tag)", "hoatdong\(tag)"])
        }
        let finance = try ServiceProcess("finance", port: Self.port + 1, in: env)
        do {
            try await finance.waitUntilReady()
            let link = try await env.link("finance-activity-it", topology: ServiceConfiguration(service: .finance).topology)
            let approver = try await pool.withConnection {
                try $0.query("SELECT id FROM core.users WHERE login = 'truongban'").one().decode("id", as: UUID.self)
            }
            func submitted(_ id: UUID, minutesAgo: Double) throws -> OutgoingMessage {
                let content = SubmittedContent(
                    submissionId: id, unitCode: unit, channel: "api", submittedBy: nil, senderAddress: nil, kind: "news", language: "vi",
                    title: "Tin \(tag)", summary: nil, bodyFormat: "text", body: "…", bodyHTML: "<p>…</p>", authors: [AuthorShare(name: "A")],
                    targetSites: [], alsoOnOwnSite: false, attachments: [], details: .object([:]), flags: [])
                var envelope = try EventEnvelope(content, correlationId: "activity-it", producer: "intake")
                envelope.occurredAt = Date(timeIntervalSinceNow: -minutesAgo * 60)
                return try OutgoingMessage(event: envelope)
            }
            func status(_ type: String, _ id: UUID, _ state: ArticleState, reason: RefusalReason? = nil) throws -> OutgoingMessage {
                var payload = ArticleStatusPayload(articleId: id, submissionId: id, state: state, refusalReason: reason)
                payload.unitCode = unit
                return try OutgoingMessage(event: EventEnvelope(
                    type: type, correlationId: "activity-it", producer: "approval",
                    payload: try EventCoding.decoder.decode(JSONValue.self, from: EventCoding.encoder.encode(payload))))
            }
            let published = UUID(), refused = UUID(), returned = UUID()
            try await link.publish([try submitted(published, minutesAgo: 120), try submitted(refused, minutesAgo: 60), try submitted(returned, minutesAgo: 30)])
            let content = CanonicalRevision(
                articleId: published, revision: 1, unitCode: unit, kind: "news", language: "vi", title: "Tin \(tag)", summary: nil, bodyHTML: "",
                attachments: [], classification: Classification(), details: .object([:]))
            try await link.publish([
                try OutgoingMessage(event: try EventEnvelope(
                    ArticleApproved(articleId: published, submissionId: published, content: content, contentSHA256: "", signature: "", keyId: "",
                                    approverId: approver, rule: .boardHead, delegationId: nil),
                    correlationId: "activity-it", producer: "approval")),
                try status(EventType.articlePublished, published, .published),
                try status(EventType.articleRejected, refused, .rejected, reason: .untrueLowQualityOrDuplicate),
                try status(EventType.articleReturned, returned, .returned),
            ])
            await link.close()
            let token = try IntakeAPITests().token("ketoan.mai", env)
            let today = LocalDate.today
            var row: [String: Any] = [:]
            try await eventually("the activity is counted") {
                let response = httpRequest("GET", finance.url("/api/v1/reports/activity?from=\(today.adding(days: -1))&to=\(today)"),
                                           headers: ["Authorization": "Bearer \(token)"])
                let units = (try? JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any])?["units"] as? [[String: Any]] ?? []
                row = units.first { $0["unitCode"] as? String == unit } ?? [:]
                return row["published"] as? Int == 1 && row["rejected"] as? Int == 1 && row["returned"] as? Int == 1
            }
            #expect(row["submitted"] as? Int == 3)
            #expect((row["rejectedByReason"] as? [String: Int])?[RefusalReason.untrueLowQualityOrDuplicate.rawValue] == 1, "refused by reason")
            let hours = row["averageHoursToDecision"] as? Double ?? 0
            #expect(hours > 1.4 && hours < 1.6, "approved after 2 h, refused after 1 h: 1.5 h on average, not \(hours)")
            #expect(httpRequest("GET", finance.url("/api/v1/reports/activity?from=2026-12-01&to=2026-01-01"), headers: ["Authorization": "Bearer \(token)"]).status == 400)
            let xlsx = httpRequest("GET", finance.url("/api/v1/reports/activity?from=\(today)&to=\(today)&format=xlsx"), headers: ["Authorization": "Bearer \(token)"])
            #expect(xlsx.status == 200)
        } catch {
            _ = try? await finance.terminate()
            throw error
        }
        #expect(try await finance.terminate() == 0)
    }

    /// "−2.530.000 ₫" without the sign's spacing: how the page writes an amount.
    static func vietnameseAmount(_ amount: Int) -> String {
        let digits = String(abs(amount))
        var grouped = ""
        for (index, character) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { grouped += "." }
            grouped.append(character)
        }
        return (amount < 0 ? "−" : "") + grouped
    }
}
