import Foundation
import MessageBus
import Models
import ServiceKit
import Testing

/// Who may do what to which item, against the running approval service: every role, from the
/// item's own unit and from another, for every decision. A refused attempt names its reason and
/// changes nothing (RULES.md R-1.1, R-1.2, R-1.4).
@Suite("Editorial permission matrix", .serialized)
struct PermissionMatrixTests {
    /// One attempt and what must come of it: an HTTP status, and for refusals the error code.
    struct Cell: CustomStringConvertible {
        let login: String
        let action: String
        let body: String
        let status: Int
        let code: String?
        var description: String { "\(login) \(action) → \(status) \(code ?? "")" }
    }

    static let approve = #"{"revision": 2}"#
    static let reject = #"{"reason": "outside_remit", "note": "Ngoài phạm vi"}"#
    static let returnBody = #"{"note": "Bổ sung"}"#
    static let takeDown = #"{"reason": "Cũ", "publicExplanation": "Đã gỡ bỏ."}"#
    static let withdraw = #"{"note": "Rút"}"#

    /// Refusals for an item of a department whose leader sits on the Board (gd.tuphap, R-1.1).
    static let departmentItem: [Cell] = [
        Cell(login: "truongban", action: "approve", body: approve, status: 403, code: "reserved_for_unit_leader"),
        Cell(login: "photruongban.hcc", action: "approve", body: approve, status: 403, code: "reserved_for_unit_leader"),
        Cell(login: "gd.yte", action: "approve", body: approve, status: 403, code: "reserved_for_unit_leader"),
        Cell(login: "gd.yte", action: "reject", body: reject, status: 403, code: "reserved_for_unit_leader"),
        Cell(login: "btv.lan", action: "approve", body: approve, status: 403, code: "not_an_approver"),
        Cell(login: "btv.lan", action: "reject", body: reject, status: 403, code: "not_an_approver"),
        Cell(login: "ctv.tuphap", action: "approve", body: approve, status: 403, code: "not_an_approver"),
        Cell(login: "ctv.tuphap", action: "take-down", body: takeDown, status: 403, code: "head_only"),
        Cell(login: "ctv.benluc", action: "approve", body: approve, status: 404, code: "article_not_found"),
        Cell(login: "ctv.benluc", action: "withdraw", body: withdraw, status: 404, code: "article_not_found"),
        Cell(login: "ketoan.mai", action: "approve", body: approve, status: 404, code: "article_not_found"),
        Cell(login: "gd.tuphap", action: "take-down", body: takeDown, status: 403, code: "head_only"),
        Cell(login: "truongban", action: "take-down", body: takeDown, status: 409, code: "invalid_transition"),
        Cell(login: "btv.lan", action: "submit-for-approval", body: "{}", status: 409, code: "invalid_transition"),
        Cell(login: "gd.tuphap", action: "approve", body: #"{"revision": 1}"#, status: 409, code: "stale_revision"),
        Cell(login: "gd.tuphap", action: "reject", body: #"{"reason": "because", "note": "x"}"#, status: 422, code: "invalid_refusal_reason"),
    ]

    /// Refusals for an item of a district, which the Head or a delegated Deputy decides (R-1.2).
    static let districtItem: [Cell] = [
        Cell(login: "photruongban.hcc", action: "approve", body: approve, status: 403, code: "no_approval_authority"),
        Cell(login: "photruongban.vp", action: "reject", body: reject, status: 403, code: "no_approval_authority"),
        Cell(login: "gd.tuphap", action: "approve", body: approve, status: 403, code: "no_approval_authority"),
        Cell(login: "btv.minh", action: "approve", body: approve, status: 403, code: "not_an_approver"),
        Cell(login: "ctv.benluc", action: "approve", body: approve, status: 403, code: "not_an_approver"),
        Cell(login: "daumoi.benluc", action: "approve", body: approve, status: 403, code: "not_an_approver"),
        Cell(login: "ctv.tuphap", action: "withdraw", body: withdraw, status: 404, code: "article_not_found"),
        Cell(login: "btv.lan", action: "withdraw", body: withdraw, status: 403, code: "submitting_unit_only"),
        Cell(login: "photruongban.hcc", action: "take-down", body: takeDown, status: 403, code: "head_only"),
    ]

    @Test("Every role × unit × decision: refusals answer 403/404/409/422 with a code and leave the item unchanged; the allowed ones succeed")
    func matrix() async throws {
        try await EditorialFlowTests().withServices { s in
            func submit(_ login: String, site: String) throws -> String {
                let body = IntakeAPITests().submission(title: "Ma trận quyền \(UUID().uuidString.prefix(6))")
                    .replacingOccurrences(of: "sotuphap.longan.gov.vn", with: site)
                let response = httpRequest(
                    "POST", s.intake.url("/api/v1/submissions"),
                    headers: ["Authorization": "Bearer \(try s.token(login))", "Content-Type": "application/json"], body: body)
                return try #require(try JSONDecoder().decode([String: String].self, from: Data(response.body.utf8))["id"])
            }
            // No delegation may be in force for this test.
            for active in try s.api("GET", "/delegations", as: "truongban").json["items"] as? [[String: Any]] ?? []
            where active["active"] as? Bool == true {
                _ = try s.api("DELETE", "/delegations/\(active["id"] as? String ?? "")", as: "truongban")
            }
            let department = try submit("ctv.tuphap", site: "sotuphap.longan.gov.vn")
            let district = try submit("ctv.benluc", site: "benluc.longan.gov.vn")
            for id in [department, district] {
                try await eventually("\(id) in the queue") { try s.queue("received").contains { $0["id"] as? String == id } }
                // Editing is for editors only, before anything else.
                let byUnit = try s.api("PUT", "/articles/\(id)", as: "gd.tuphap", body: #"{"title": "x"}"#, headers: ["If-Match": "\"1\""])
                #expect(byUnit.status == 403 && s.errorCode(byUnit) == "editors_only", "\(byUnit.text)")
                try s.classifyAndSubmit(id)
            }

            func run(_ cells: [Cell], on id: String) throws {
                for cell in cells {
                    let before = try s.api("GET", "/articles/\(id)", as: "truongban").json
                    let response = try s.api("POST", "/articles/\(id)/\(cell.action)", as: cell.login, body: cell.body)
                    #expect(response.status == cell.status, "\(cell): got \(response.status) \(response.text)")
                    #expect(s.errorCode(response) == cell.code, "\(cell): got \(response.text)")
                    let after = try s.api("GET", "/articles/\(id)", as: "truongban").json
                    #expect(after["state"] as? String == before["state"] as? String, "\(cell) changed the state")
                    #expect((after["decisions"] as? [Any])?.count == (before["decisions"] as? [Any])?.count, "\(cell) recorded a decision")
                }
            }
            try run(Self.departmentItem, on: department)
            try run(Self.districtItem, on: district)

            // The allowed decisions.
            #expect(try s.api("POST", "/articles/\(department)/approve", as: "gd.tuphap", body: Self.approve).status == 200)
            let returned = try s.api("POST", "/articles/\(district)/return", as: "truongban", body: Self.returnBody)
            #expect(returned.json["state"] as? String == "returned", "\(returned.text)")
            #expect(try s.api("POST", "/articles/\(district)/withdraw", as: "daumoi.benluc", body: Self.withdraw).status == 204,
                    "the unit's liaison withdraws its own item")
            #expect(try s.api("GET", "/articles/\(district)", as: "btv.lan").json["state"] as? String == "withdrawn")

            // After publication, the Head alone takes down.
            let link = try await s.env.link("matrix", topology: ServiceConfiguration(service: .approval).topology)
            let published = try EventEnvelope(
                type: EventType.articlePublished, correlationId: "it", producer: "publishing",
                payload: EventCoding.decoder.decode(JSONValue.self, from: EventCoding.encoder.encode(
                    ArticleStatusPayload(articleId: UUID(uuidString: department)!, submissionId: UUID(uuidString: department), state: .published))))
            try await link.publish([try OutgoingMessage(event: published)])
            await link.close()
            try await eventually("published") { try s.api("GET", "/articles/\(department)", as: "btv.lan").json["state"] as? String == "published" }
            try run([
                Cell(login: "photruongban.hcc", action: "take-down", body: Self.takeDown, status: 403, code: "head_only"),
                Cell(login: "gd.tuphap", action: "take-down", body: Self.takeDown, status: 403, code: "head_only"),
                Cell(login: "btv.lan", action: "take-down", body: Self.takeDown, status: 403, code: "head_only"),
                Cell(login: "ctv.tuphap", action: "withdraw", body: Self.withdraw, status: 409, code: "invalid_transition"),
                Cell(login: "gd.tuphap", action: "approve", body: Self.approve, status: 409, code: "invalid_transition"),
            ], on: department)
            #expect(try s.api("POST", "/articles/\(department)/take-down", as: "truongban", body: Self.takeDown).json["state"] as? String == "taken_down")
        }
    }
}
