import Foundation
import Models
import ServiceKit
import Store

/// The portal's yearly budget estimate (Art. 17, R-8): drafted by the Office of the UBND with
/// lines in the categories of Art. 17.2-17.4 and the HĐND delegation page (17.5), the previous
/// year's actual royalties and remuneration filled in from the ledger; submitted to the Department
/// of Finance, appraised there line by line (adjusted amount and comment, the original kept),
/// submitted to the UBND and approved.
struct BudgetEstimates: Sendable {
    let database: DatabasePool

    /// The estimate's states as finance staff and the Department of Finance read them.
    static func stateLabel(_ state: String) -> String {
        ["draft": "Dự thảo", "submitted": "Đã gửi Sở Tài chính", "appraised": "Đã thẩm định",
         "submitted_to_ubnd": "Đã trình UBND tỉnh", "approved": "UBND tỉnh đã phê duyệt"][state] ?? state
    }

    /// R-8.1 and 17.5: the categories a line may have.
    static let categories: [(code: String, vietnamese: String)] = [
        ("investment_software_infrastructure", "Đầu tư: phần mềm, hạ tầng, thiết bị (Điều 17.2.a)"),
        ("investment_working_equipment", "Đầu tư: trang thiết bị làm việc (Điều 17.2.b)"),
        ("investment_bandwidth_storage", "Đầu tư: băng thông, lưu trữ dữ liệu (Điều 17.2.c)"),
        ("recurring_operations", "Thường xuyên: duy trì, bảo mật, bản quyền, đường truyền, nhiên liệu (Điều 17.3.a)"),
        ("recurring_content", "Thường xuyên: số hóa, nội dung, nhuận bút, thù lao (Điều 17.3.b)"),
        ("training_and_board", "Tập huấn, hoạt động Ban Biên tập (Điều 17.4)"),
        ("hdnd_delegation_page", "Trang thông tin Đoàn ĐBQH và HĐND tỉnh (Điều 17.5)"),
    ]

    /// action → (from, to, who may).
    static let steps: [String: (from: String, to: String, roles: Set<Role>)] = [
        "submit": ("draft", "submitted", [.finance, .admin]),
        "appraise": ("submitted", "appraised", [.financeAppraiser]),
        "submit-to-ubnd": ("appraised", "submitted_to_ubnd", [.finance, .admin]),
        "approve": ("submitted_to_ubnd", "approved", [.boardHead]),
    ]

    struct LineInput: Codable, Sendable {
        var category: String
        var description: String
        var amountVND: Int64
        var note: String?
    }

    struct Appraisal: Codable, Sendable {
        struct LineAppraisal: Codable, Sendable {
            var lineId: UUID
            var appraisedAmountVND: Int64
            var comment: String?
        }
        var lines: [LineAppraisal]
    }

    struct Line: Codable, Sendable {
        var id: UUID
        var category: String
        var categoryLabel: String
        var description: String
        var amountVND: Int64
        var note: String
        var appraisedAmountVND: Int64?
        var appraisalComment: String?
    }

    struct Estimate: Codable, Sendable {
        var year: Int
        var state: String
        var lines: [Line]
        var totalVND: Int64
        var appraisedTotalVND: Int64?
        var steps: [RoyaltyReports.Step]
    }

    static func validate(_ line: LineInput) throws {
        guard categories.contains(where: { $0.code == line.category }) else {
            throw APIError(.unprocessableContent, code: "unknown_category",
                           message: "Unknown category '\(line.category)'; use one of: \(categories.map(\.code).joined(separator: ", ")) (R-8.1).")
        }
        guard line.amountVND >= 0 else {
            throw APIError(.unprocessableContent, code: "negative_amount", message: "An amount cannot be negative.")
        }
        guard !line.description.trimmingCharacters(in: .whitespaces).isEmpty, line.description.count <= 500 else {
            throw APIError(.unprocessableContent, code: "description_required", message: "Describe the line (up to 500 characters).")
        }
    }

    static func requireAny(_ user: AuthenticatedUser, _ roles: Set<Role>, _ what: String) throws {
        guard !user.roles.isDisjoint(with: roles) else {
            throw APIError.forbidden("role_required", "\(what) needs one of the roles: \(roles.map(\.rawValue).sorted().joined(separator: ", ")).")
        }
    }

    /// A new draft for `year` with the given lines, and a line "royalties and remuneration" holding
    /// the previous year's actual amounts from the ledger.
    func create(year: Int, lines: [LineInput], by user: AuthenticatedUser, correlationId: String) async throws -> Estimate {
        try Self.requireAny(user, [.finance, .admin], "Drafting the budget estimate")
        guard (2000...2100).contains(year) else { throw APIError.badRequest("invalid_year", "Give the year as four digits, 2000-2100.") }
        for line in lines { try Self.validate(line) }
        try await database.withTransaction { connection in
            guard try connection.query(
                "INSERT INTO finance.budget_estimates (year, state, created_by) VALUES ($1, 'draft', $2) ON CONFLICT DO NOTHING RETURNING year",
                [year, user.login]
            ).rows.first != nil else {
                throw APIError.conflict("estimate_exists", "The estimate for \(year) exists; add lines to it.")
            }
            let actual: Int64 = try connection.query(
                "SELECT coalesce(sum(amount_vnd), 0)::bigint AS total FROM finance.ledger WHERE month LIKE $1 AND payer = 'portal'",
                ["\(year - 1)-%"]
            ).one().decode("total")
            var all = lines
            all.append(LineInput(
                category: "recurring_content", description: "Nhuận bút, thù lao (thực hiện năm \(year - 1) theo sổ nhuận bút)", amountVND: actual,
                note: "Số thực hiện năm \(year - 1): \(actual) đồng"))
            for (position, line) in all.enumerated() { try Self.insert(line, year: year, position: position, on: connection) }
            try connection.query(
                "INSERT INTO finance.budget_steps (year, from_state, to_state, actor) VALUES ($1, NULL, 'draft', $2)", [year, user.login])
            try AuditLog.append(service: "finance", actor: user.login, action: "budget.created", subject: String(year),
                                correlationId: correlationId, on: connection)
        }
        return try await estimate(year) ?? Estimate(year: year, state: "draft", lines: [], totalVND: 0, steps: [])
    }

    static func insert(_ line: LineInput, year: Int, position: Int, on connection: Connection) throws {
        try connection.query(
            "INSERT INTO finance.budget_lines (id, year, category, description, amount_vnd, note, position) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            [UUID(), year, line.category, line.description.trimmingCharacters(in: .whitespaces), line.amountVND, line.note ?? "", position])
    }

    func addLine(year: Int, line: LineInput, by user: AuthenticatedUser) async throws -> Estimate {
        try Self.requireAny(user, [.finance, .admin], "Drafting the budget estimate")
        try Self.validate(line)
        try await database.withTransaction { connection in
            let state = try Self.state(year, forUpdate: true, on: connection)
            guard state == "draft" else {
                throw APIError.conflict("not_a_draft", "The estimate for \(year) is \(state); lines change only in a draft.")
            }
            let position: Int = try connection.query(
                "SELECT coalesce(max(position) + 1, 0) AS next FROM finance.budget_lines WHERE year = $1", [year]).one().decode("next")
            try Self.insert(line, year: year, position: position, on: connection)
        }
        return try await existingEstimate(year)
    }

    /// The Department of Finance's appraisal: an adjusted amount (and a comment) per line; the
    /// drafted amounts stay as they were.
    func appraise(year: Int, appraisal: Appraisal, by user: AuthenticatedUser, correlationId: String) async throws -> Estimate {
        try Self.requireAny(user, [.financeAppraiser], "Appraising the estimate")
        try await database.withTransaction { connection in
            let state = try Self.state(year, forUpdate: true, on: connection)
            guard state == "submitted" else {
                throw APIError.conflict("invalid_transition", "The estimate for \(year) is \(state); appraisal needs it submitted.")
            }
            let ids = Set(try connection.query("SELECT id FROM finance.budget_lines WHERE year = $1", [year]).rows.map { try $0.decode("id", as: UUID.self) })
            guard Set(appraisal.lines.map(\.lineId)) == ids else {
                throw APIError(.unprocessableContent, code: "every_line_appraised", message: "Appraise every line of the estimate, once each.")
            }
            for line in appraisal.lines {
                guard line.appraisedAmountVND >= 0 else {
                    throw APIError(.unprocessableContent, code: "negative_amount", message: "An appraised amount cannot be negative.")
                }
                try connection.query(
                    "UPDATE finance.budget_lines SET appraised_amount_vnd = $2, appraisal_comment = $3 WHERE id = $1",
                    [line.lineId, line.appraisedAmountVND, line.comment ?? ""])
            }
            try Self.step(year, from: "submitted", to: "appraised", actor: user.login, on: connection)
            try AuditLog.append(service: "finance", actor: user.login, action: "budget.appraised", subject: String(year),
                                correlationId: correlationId, on: connection)
        }
        return try await existingEstimate(year)
    }

    func move(year: Int, action: String, by user: AuthenticatedUser, correlationId: String) async throws -> Estimate {
        guard let step = Self.steps[action], action != "appraise" else {
            throw APIError.notFound("unknown_action", "Use submit, submit-to-ubnd or approve (appraise takes the appraisal).")
        }
        try Self.requireAny(user, step.roles, "This step")
        try await database.withTransaction { connection in
            let state = try Self.state(year, forUpdate: true, on: connection)
            guard state == step.from else {
                throw APIError.conflict("invalid_transition", "The estimate for \(year) is \(state); \(action) needs it \(step.from).")
            }
            try Self.step(year, from: step.from, to: step.to, actor: user.login, on: connection)
            try AuditLog.append(service: "finance", actor: user.login, action: "budget.\(action)", subject: String(year),
                                correlationId: correlationId, on: connection)
        }
        return try await existingEstimate(year)
    }

    /// The estimate a step has just changed (so it exists, unless deleted meanwhile).
    private func existingEstimate(_ year: Int) async throws -> Estimate {
        guard let estimate = try await estimate(year) else {
            throw APIError.notFound("no_estimate", "There is no budget estimate for \(year).")
        }
        return estimate
    }

    static func state(_ year: Int, forUpdate: Bool, on connection: Connection) throws -> String {
        guard let state: String = try connection.query(
            "SELECT state FROM finance.budget_estimates WHERE year = $1\(forUpdate ? " FOR UPDATE" : "")", [year]
        ).rows.first?.decode("state") else {
            throw APIError.notFound("estimate_not_found", "No estimate for \(year).")
        }
        return state
    }

    static func step(_ year: Int, from: String, to: String, actor: String, on connection: Connection) throws {
        try connection.query("UPDATE finance.budget_estimates SET state = $2 WHERE year = $1", [year, to])
        try connection.query(
            "INSERT INTO finance.budget_steps (year, from_state, to_state, actor) VALUES ($1, $2, $3, $4)", [year, from, to, actor])
    }

    func estimate(_ year: Int) async throws -> Estimate? {
        try await database.withConnection { connection in
            guard let state: String = try connection.query("SELECT state FROM finance.budget_estimates WHERE year = $1", [year])
                .rows.first?.decode("state") else { return nil }
            let labels = Dictionary(uniqueKeysWithValues: Self.categories.map { ($0.code, $0.vietnamese) })
            let lines = try connection.query(
                """
                SELECT id, category, description, amount_vnd, note, appraised_amount_vnd, appraisal_comment
                FROM finance.budget_lines WHERE year = $1 ORDER BY position
                """, [year]
            ).rows.map { row in
                let category: String = try row.decode("category")
                return Line(
                    id: try row.decode("id"), category: category, categoryLabel: labels[category] ?? category,
                    description: try row.decode("description"), amountVND: try row.decode("amount_vnd"), note: try row.decode("note"),
                    appraisedAmountVND: try row.decodeIfPresent("appraised_amount_vnd"), appraisalComment: try row.decodeIfPresent("appraisal_comment"))
            }
            let steps = try connection.query(
                "SELECT from_state, to_state, actor, at, note FROM finance.budget_steps WHERE year = $1 ORDER BY id", [year]
            ).rows.map {
                RoyaltyReports.Step(fromState: try $0.decodeIfPresent("from_state"), toState: try $0.decode("to_state"),
                                    actor: try $0.decode("actor"), at: try $0.decode("at"), note: try $0.decode("note"))
            }
            let appraised = lines.allSatisfy { $0.appraisedAmountVND != nil } && !lines.isEmpty
            return Estimate(
                year: year, state: state, lines: lines, totalVND: lines.reduce(0) { $0 + $1.amountVND },
                appraisedTotalVND: appraised ? lines.reduce(0) { $0 + ($1.appraisedAmountVND ?? 0) } : nil, steps: steps)
        }
    }
}
