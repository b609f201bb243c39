import Foundation
import HTTPTypes
import Hummingbird
import Models
import ServiceKit

/// The finance API (`docs/openapi.yaml`): monthly royalty reports with their exports and steps,
/// and the yearly budget estimate.
struct FinanceRoutes {
    let reports: RoyaltyReports
    let budgets: BudgetEstimates
    let activity: ActivityReports

    func register(on router: Router<PortalContext>) {
        let api = router.group("/api/v1")
        api.get("/royalties/:month") { request, context in try await royalties(request, context) }
        api.post("/royalties/:month/generate") { _, context in
            let user = try Self.user(context)
            let month = try RoyaltyReports.month(context.parameters.get("month"))
            try await reports.generate(month, by: user)
            return Response(status: .created, headers: [.location: "/api/v1/royalties/\(month)"])
        }
        api.post("/royalties/:month/:action") { request, context in
            let user = try Self.user(context)
            let month = try RoyaltyReports.month(context.parameters.get("month"))
            let payment = try await Self.decode(RoyaltyReports.Payment.self, request, allowEmpty: true)
            let state = try await reports.move(
                month, action: context.parameters.get("action") ?? "", payment: payment, by: user, correlationId: context.correlationId)
            return try Self.json(["month": month.description, "state": state])
        }
        api.get("/reports/activity") { request, context in
            let user = try Self.user(context)
            try BudgetEstimates.requireAny(user, [.finance, .admin, .boardHead, .boardDeputy, .boardMember], "Activity reports")
            let query = request.uri.queryParameters
            guard let from = query.get("from").flatMap({ LocalDate(iso: String($0)) }), let to = query.get("to").flatMap({ LocalDate(iso: String($0)) }),
                  from <= to, to.daysSinceEpoch - from.daysSinceEpoch <= 3_660 else {
                throw APIError.badRequest("invalid_period", "Give from and to as YYYY-MM-DD, from not after to, at most ten years apart.")
            }
            let report = try await activity.report(from: from, to: to)
            switch query.get("format") ?? "json" {
            case "json": return try Self.json(report)
            case "csv": return Self.download(Array(Spreadsheet.csv(ActivityReports.table(report)).utf8), type: "text/csv; charset=utf-8", name: "hoat-dong-\(from)-\(to).csv")
            case "xlsx": return Self.download(try ActivityReports.xlsx(report), type: Self.xlsxType, name: "hoat-dong-\(from)-\(to).xlsx")
            default: throw APIError.badRequest("invalid_format", "format is json, csv or xlsx.")
            }
        }
        api.get("/budgets/:year") { request, context in
            let user = try Self.user(context)
            try BudgetEstimates.requireAny(user, [.finance, .financeAppraiser, .boardHead, .admin], "The budget estimate")
            let year = try Self.year(context)
            guard let estimate = try await budgets.estimate(year) else { throw APIError.notFound("estimate_not_found", "No estimate for \(year).") }
            switch request.uri.queryParameters.get("format") ?? "json" {
            case "json": return try Self.json(estimate)
            case "csv": return Self.download(Array(BudgetExports.csv(estimate).utf8), type: "text/csv; charset=utf-8", name: "du-toan-\(year).csv")
            case "xlsx": return Self.download(try BudgetExports.xlsx(estimate), type: Self.xlsxType, name: "du-toan-\(year).xlsx")
            default: throw APIError.badRequest("invalid_format", "format is json, csv or xlsx.")
            }
        }
        api.post("/budgets/:year") { request, context in
            let user = try Self.user(context)
            struct Body: Codable { var lines: [BudgetEstimates.LineInput]? }
            let body = try await Self.decode(Body.self, request, allowEmpty: true)
            var response = try Self.json(try await budgets.create(
                year: try Self.year(context), lines: body?.lines ?? [], by: user, correlationId: context.correlationId))
            response.status = .created
            return response
        }
        api.post("/budgets/:year/lines") { request, context in
            let user = try Self.user(context)
            guard let line = try await Self.decode(BudgetEstimates.LineInput.self, request, allowEmpty: false) else {
                throw APIError.badRequest("invalid_json", "Send the line as JSON.")
            }
            return try Self.json(try await budgets.addLine(year: try Self.year(context), line: line, by: user))
        }
        api.post("/budgets/:year/appraise") { request, context in
            let user = try Self.user(context)
            guard let appraisal = try await Self.decode(BudgetEstimates.Appraisal.self, request, allowEmpty: false) else {
                throw APIError.badRequest("invalid_json", "Send the appraisal as JSON.")
            }
            return try Self.json(try await budgets.appraise(year: try Self.year(context), appraisal: appraisal, by: user, correlationId: context.correlationId))
        }
        api.post("/budgets/:year/:action") { _, context in
            let user = try Self.user(context)
            return try Self.json(try await budgets.move(
                year: try Self.year(context), action: context.parameters.get("action") ?? "", by: user, correlationId: context.correlationId))
        }
    }

    static let xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    func royalties(_ request: Request, _ context: PortalContext) async throws -> Response {
        let user = try Self.user(context)
        guard user.has(.finance) || user.has(.admin) || user.has(.boardHead) || user.has(.boardDeputy) else {
            throw APIError.forbidden("finance_role_required", "Royalty reports are for the finance staff and the Board.")
        }
        let month = try RoyaltyReports.month(context.parameters.get("month"))
        try RoyaltyReports.requireNotFuture(month)
        let missing = APIError.notFound("report_not_found", "No report for \(month) yet: it is generated on the month's last day, or with POST …/generate.")
        let format = request.uri.queryParameters.get("format") ?? "json"
        if format == "xlsx" {
            // Streamed from the ledger: the month is not loaded as values first.
            guard let bytes = try await reports.xlsx(month) else { throw missing }
            return Self.download(bytes, type: Self.xlsxType, name: "nhuan-but-\(month).xlsx")
        }
        guard let report = try await reports.report(month) else { throw missing }
        switch format {
        case "json":
            struct Body: Encodable {
                var report: RoyaltyReport
                var steps: [RoyaltyReports.Step]
            }
            return try Self.json(Body(report: report, steps: try await reports.steps(month)))
        case "csv":
            let view = request.uri.queryParameters.get("view") ?? "authors"
            guard ReportExports.views.contains(view) else {
                throw APIError.badRequest("invalid_view", "view is one of: \(ReportExports.views.joined(separator: ", ")).")
            }
            return Self.download(Array(ReportExports.csv(report, view: view).utf8), type: "text/csv; charset=utf-8", name: "nhuan-but-\(month)-\(view).csv")
        default:
            throw APIError.badRequest("invalid_format", "format is json, csv or xlsx.")
        }
    }

    static func user(_ context: PortalContext) throws -> AuthenticatedUser {
        guard let user = context.identity else { throw APIError.unauthorized }
        return user
    }

    static func year(_ context: PortalContext) throws -> Int {
        guard let text = context.parameters.get("year"), text.count == 4, let year = Int(text) else {
            throw APIError.badRequest("invalid_year", "Give the year as four digits, e.g. 2027.")
        }
        return year
    }

    static func decode<T: Decodable>(_ type: T.Type, _ request: Request, allowEmpty: Bool) async throws -> T? {
        let buffer = try await request.body.collect(upTo: 1024 * 1024)
        if allowEmpty, buffer.readableBytes == 0 { return nil }
        return try EventCoding.decoder.decode(T.self, from: Data(buffer.readableBytesView))
    }

    static func json<T: Encodable>(_ value: T) throws -> Response {
        Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(bytes: try EventCoding.encoder.encode(value))))
    }

    static func download(_ bytes: [UInt8], type: String, name: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .contentDisposition: "attachment; filename=\"\(name)\"", .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
