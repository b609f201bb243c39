import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import Models
import Mustache
import ServiceKit
import Store

/// The page for finance staff (`/finance`), Vietnamese, without JavaScript: pick a month, see its
/// report's totals and the last twelve months as a chart drawn on the server (SVG), download the
/// XLSX and CSV, move the report to its next step. Signed in by session cookie; every form carries
/// the session's CSRF token.
struct FinancePages {
    let reports: RoyaltyReports
    let activity: ActivityReports
    let database: DatabasePool
    let library: MustacheLibrary

    init(reports: RoyaltyReports, activity: ActivityReports, database: DatabasePool) async throws {
        self.reports = reports
        self.activity = activity
        self.database = database
        guard let folder = Bundle.module.path(forResource: "Templates", ofType: nil) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "Templates in the finance bundle"])
        }
        library = try await MustacheLibrary(directory: folder)
    }

    func register(on router: Router<PortalContext>) {
        router.get("/finance/login") { request, _ in
            loginPage(error: nil, status: .ok, name: "", next: SignInReturn.next(request, within: StaffArea.royalties.pages))
        }
        router.post("/finance/login") { request, context in try await login(request, context) }
        router.post("/finance/logout") { request, context in
            _ = try await signedIn(request, context, form: try await Form.read(request))
            context.sessions.clearSession()
            return Response(status: .seeOther, headers: [.location: "/finance/login"])
        }
        router.get("/finance") { request, context in try await monthPage(request, context, notice: nil, error: nil, status: .ok) }
        router.get("/finance/downloads/:file") { request, context in try await download(request, context) }
        router.get("/finance/activity") { request, context in try await activityPage(request, context) }
        router.post("/finance/reports/:month/:action") { request, context in try await act(request, context) }
    }

    func loginPage(error: String?, status: HTTPResponse.Status, name: String, next: String = "") -> Response {
        // Before a session exists, the form's token is checked against a cookie (double submit).
        let token = WebSession.randomToken()
        var values: [String: Any] = ["title": "Đăng nhập", "loginCsrf": token, "loginName": name, "next": next]
        if let error { values["error"] = error }
        var response = render("login", values, status: status)
        response.setCookie(Cookie(name: "portal_finance_login_csrf", value: token, maxAge: 1800, path: "/finance/login", httpOnly: true))
        return response
    }

    func login(_ request: Request, _ context: PortalContext) async throws -> Response {
        let form = try await Form.read(request)
        let next = SignInReturn.page(form["next"], within: StaffArea.royalties.pages) ?? ""
        guard let cookie = request.cookies["portal_finance_login_csrf"]?.value, !cookie.isEmpty, form["_csrf"] == cookie else {
            return loginPage(error: "Biểu mẫu đã hết hạn; vui lòng thử lại.", status: .forbidden, name: form["login"] ?? "", next: next)
        }
        let login = (form["login"] ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        let id: UUID
        switch try await Passwords(database: database).check(login: login, password: form["password"] ?? "", address: context.clientAddress(request)) {
        case .user(let user): id = user
        case .wrongPassword: return loginPage(error: "Tên đăng nhập hoặc mật khẩu không đúng.", status: .unauthorized, name: login, next: next)
        case .lockedOut(let until): return loginPage(error: Passwords.lockoutMessage(until: until, language: "vi"), status: .tooManyRequests, name: login, next: next)
        }
        guard let user = try await ApiTokens(database: database).user(id: id) else {
            return loginPage(error: "Tên đăng nhập hoặc mật khẩu không đúng.", status: .unauthorized, name: login, next: next)
        }
        guard Self.mayRead(user) else {
            return loginPage(error: "Trang này dành cho kế toán và Ban Biên tập.", status: .forbidden, name: login, next: next)
        }
        context.sessions.createSession(WebSession(userId: user.id, language: "vi"), expiresIn: .seconds(8 * 60 * 60))
        return Response(status: .seeOther, headers: [.location: next.isEmpty ? "/finance" : next])
    }

    static func mayRead(_ user: AuthenticatedUser) -> Bool {
        StaffArea.royalties.allows(user)
    }

    func signedIn(_ request: Request, _ context: PortalContext, form: Form?) async throws -> (AuthenticatedUser, WebSession) {
        guard let session = context.sessions.session, let user = context.identity else {
            throw Redirect(to: SignInReturn.loginLocation("/finance/login", pages: StaffArea.royalties.pages, for: request))
        }
        guard StaffArea.royalties.allows(user) else { throw StaffAreaRefusal(.royalties, user: user, request: request) }
        if let form, form["_csrf"] != session.csrf {
            throw FormExpired(returnTo: FormExpired.page(of: request, within: StaffArea.royalties.pages))
        }
        return (user, session)
    }

    func monthPage(
        _ request: Request, _ context: PortalContext, notice: String?, error: String?, status: HTTPResponse.Status, month chosenMonth: YearMonth? = nil
    ) async throws -> Response {
        let (user, session) = try await signedIn(request, context, form: nil)
        let current = YearMonth.of(LocalDate.today)
        var month = chosenMonth ?? current
        var problem = error
        if chosenMonth == nil, let text = request.uri.queryParameters.get("month").map({ String($0) }), !text.isEmpty {
            if let chosen = YearMonth(text), chosen <= current {
                month = chosen
            } else {
                problem = "Tháng “\(text.prefix(20))” không hợp lệ: chọn một tháng đã bắt đầu (năm-tháng). / Choose a month that has begun."
            }
        }
        let report = try await reports.report(month)
        let chart = Self.chart(try await reports.lastTwelve(ending: month))
        var values: [String: Any] = [
            "title": "Nhuận bút, thù lao tháng \(month.vietnamese)", "month": month.description, "monthLabel": month.vietnamese,
            "maxMonth": current.description, "user": ["fullName": user.fullName], "csrf": session.csrf,
            "staffAreas": StaffArea.links(for: user, current: .royalties, request: request), "hasStaffAreas": true, "chart": chart,
            "hasReport": report != nil, "pastMonth": month < current, "mayGenerate": user.has(.finance) || user.has(.admin),
        ]
        if let notice { values["notice"] = notice }
        if let problem { values["error"] = problem }
        if let done = request.uri.queryParameters.get("done").map({ String($0) }) {
            values["notice"] = ["generate": "Đã lập báo cáo.", "submit": "Đã trình Ban Biên tập.", "approve": "Đã phê duyệt.", "pay": "Đã ghi nhận chi trả."][done] ?? "Đã thực hiện."
        }
        if let report {
            var shown: [String: Any] = [:]
            if let reference = report.paymentReference { shown["payment"] = "\(reference), \(report.paymentDate?.vietnamese ?? "")" }
            let actions: [(String, String, Bool)] = [
                ("submit", "Trình Ban Biên tập", report.state == "draft" && (user.has(.finance) || user.has(.admin))),
                ("approve", "Phê duyệt", report.state == "submitted" && (user.has(.boardHead) || user.has(.boardDeputy))),
                ("pay", "Ghi nhận đã chi trả", report.state == "approved" && (user.has(.finance) || user.has(.admin))),
            ]
            values["report"] = [
                "stateLabel": Self.stateLabel(report.state),
                "generatedBy": report.generatedBy == "schedule" ? "tự động cuối tháng" : try await fullName(report.generatedBy) ?? "",
                "generatedAt": report.generatedAt.map(PortalCalendar.dateTime) ?? "",
                "royalties": Self.vnd(report.totals.royaltiesVND), "remuneration": Self.vnd(report.totals.remunerationVND),
                "adjustments": Self.vnd(report.totals.adjustmentsVND), "portal": Self.vnd(report.totals.portalVND),
                "unitPaid": Self.vnd(report.totals.unitPaidVND),
                "authors": report.authors.map { ["name": $0.name, "unitName": $0.unitName, "items": $0.items, "coefficients": Double($0.coefficients).map { VietnameseNumber.decimal($0, fractionDigits: 2) } ?? $0.coefficients, "amount": Self.vnd($0.amountVND)] },
                "hasAuthors": !report.authors.isEmpty,
                "remunerationRows": report.remuneration.map {
                    ["name": $0.name, "role": ReportExports.roles[$0.role] ?? $0.role, "items": $0.items, "amount": Self.vnd($0.amountVND)]
                },
                "hasRemuneration": !report.remuneration.isEmpty,
                "deadlines": report.deadlines.map { ["title": $0.title, "payee": $0.payeeName, "days": $0.days, "past": $0.status == "past"] },
                "hasDeadlines": !report.deadlines.isEmpty,
                "actions": actions.filter(\.2).map { ["action": $0.0, "label": $0.1, "pay": $0.0 == "pay"] },
                "today": LocalDate.today.description,
            ].merging(shown) { $1 } as [String: Any]
        }
        return render("month", values, status: status)
    }

    func download(_ request: Request, _ context: PortalContext) async throws -> Response {
        _ = try await signedIn(request, context, form: nil)
        let file = context.parameters.get("file") ?? ""
        let parts = file.split(separator: ".", maxSplits: 1).map(String.init)
        let missing = HTTPError(.notFound, message: "Không có báo cáo này.")
        if file == "activity.xlsx" {
            // The units' activity, for the period the page shows, with the session (no API token).
            let query = request.uri.queryParameters
            guard let from = query.get("from").flatMap({ LocalDate(iso: String($0)) }), let to = query.get("to").flatMap({ LocalDate(iso: String($0)) }),
                  from <= to, to.daysSinceEpoch - from.daysSinceEpoch <= 3_660 else { throw missing }
            let report = try await activity.report(from: from, to: to)
            return FinanceRoutes.download(try ActivityReports.xlsx(report), type: FinanceRoutes.xlsxType, name: "hoat-dong-\(from)-\(to).xlsx")
        }
        guard parts.count == 2, let month = YearMonth(parts[0]) else { throw missing }
        switch parts[1] {
        case "xlsx":
            guard let bytes = try await reports.xlsx(month) else { throw missing }
            return FinanceRoutes.download(bytes, type: FinanceRoutes.xlsxType, name: "nhuan-but-\(month).xlsx")
        case "csv":
            guard let report = try await reports.report(month) else { throw missing }
            return FinanceRoutes.download(Array(ReportExports.csv(report, view: "authors").utf8), type: "text/csv; charset=utf-8", name: "nhuan-but-\(month).csv")
        default:
            throw missing
        }
    }

    func act(_ request: Request, _ context: PortalContext) async throws -> Response {
        let form = try await Form.read(request)
        let (user, _) = try await signedIn(request, context, form: form)
        guard let month = context.parameters.get("month").flatMap(YearMonth.init) else { throw HTTPError(.notFound) }
        let action = context.parameters.get("action") ?? ""
        do {
            if action == "generate" {
                try await reports.generate(month, by: user)
                return Response(status: .seeOther, headers: [.location: "/finance?month=\(month)&done=generate"])
            }
            _ = try await reports.move(
                month, action: action, payment: .init(paymentReference: form["paymentReference"], paymentDate: form["paymentDate"]), by: user,
                correlationId: context.correlationId)
        } catch let error as APIError {
            return try await monthPage(request, context, notice: nil, error: Self.problem(error, month: month), status: error.status, month: month)
        }
        return Response(status: .seeOther, headers: [.location: "/finance?month=\(month)&done=\(action)"])
    }

    /// The units' activity over a period (Art. 9.2.h, 22), the quarter so far by default: a table and
    /// a chart of what each unit had published.
    func activityPage(_ request: Request, _ context: PortalContext) async throws -> Response {
        let (user, session) = try await signedIn(request, context, form: nil)
        let today = LocalDate.today
        let quarterStart = LocalDate.firstOfMonth(year: today.year, month: (today.month - 1) / 3 * 3 + 1)
        let query = request.uri.queryParameters
        var from = quarterStart, to = today, problem: String?
        if let text = query.get("from").map({ String($0) }), !text.isEmpty {
            if let day = LocalDate(iso: text) { from = day } else { problem = "Ngày bắt đầu “\(text.prefix(20))” không hợp lệ (năm-tháng-ngày)." }
        }
        if let text = query.get("to").map({ String($0) }), !text.isEmpty {
            if let day = LocalDate(iso: text) { to = day } else { problem = "Ngày kết thúc “\(text.prefix(20))” không hợp lệ (năm-tháng-ngày)." }
        }
        if from > to { problem = "Ngày bắt đầu sau ngày kết thúc."; from = quarterStart; to = today }
        let report = try await activity.report(from: from, to: to)
        let highest = max(1, report.units.map(\.published).max() ?? 1)
        let bars = report.units.enumerated().map { index, unit -> [String: Any] in
            let width = Int(Double(unit.published) / Double(highest) * 400)
            return ["y": 10 + index * 24, "width": max(width, unit.published > 0 ? 2 : 0), "labelY": 26 + index * 24, "name": unit.unitName,
                    "published": unit.published, "textX": 200 + width + 6]
        }
        var values: [String: Any] = [
            "title": "Hoạt động của các đơn vị", "from": from.description, "to": to.description, "fromLabel": from.vietnamese, "toLabel": to.vietnamese,
            "user": ["fullName": user.fullName], "csrf": session.csrf,
            "staffAreas": StaffArea.links(for: user, current: .royalties, request: request), "hasStaffAreas": true, "hasUnits": !report.units.isEmpty,
            "units": report.units.map { unit -> [String: Any] in
                ["name": unit.unitName, "submitted": unit.submitted, "published": unit.published, "returned": unit.returned, "rejected": unit.rejected,
                 "hours": unit.averageHoursToDecision.map { VietnameseNumber.decimal($0, fractionDigits: 1) } ?? "—", "questions": unit.questionsReceived,
                 "onTime": unit.answeredOnTime, "late": unit.answeredLate, "overdue": unit.overdue]
            },
            "chart": ["height": 20 + report.units.count * 24, "bars": bars],
        ]
        if let problem { values["error"] = problem }
        return render("activity", values, status: problem == nil ? .ok : .badRequest)
    }

    /// A refusal as finance staff read it; the API keeps its code and English message.
    static func problem(_ error: APIError, month: YearMonth) -> String {
        let messages = [
            "unknown_action": "Thao tác không có trên trang này.",
            "board_head_required": "Trưởng Ban hoặc Phó Trưởng Ban Biên tập phê duyệt báo cáo.",
            "finance_role_required": "Việc này do kế toán của Trung tâm thực hiện.",
            "payment_reference_required": "Ghi số chứng từ chi (không quá 100 ký tự).",
            "invalid_payment_date": "Ngày chi không đúng dạng ngày.",
            "payment_date_in_future": "Ngày chi không được sau hôm nay.",
            "report_not_found": "Chưa có báo cáo tháng \(month.vietnamese); hãy lập báo cáo trước.",
            "invalid_transition": "Báo cáo tháng \(month.vietnamese) đang ở bước khác; vui lòng tải lại trang để xem bước hiện tại.",
            "month_in_future": "Tháng \(month.vietnamese) chưa bắt đầu; báo cáo lập cho tháng đã bắt đầu.",
            "invalid_month": "Tháng không đúng dạng (năm-tháng, ví dụ 2026-11).",
        ]
        return messages[error.code] ?? "Không thực hiện được thao tác này; vui lòng tải lại trang và thử lại (mã “\(error.code)”)."
    }

    /// A person's name for their login ("Phạm Thị Mai" for ketoan.mai).
    func fullName(_ login: String?) async throws -> String? {
        guard let login else { return nil }
        return try await database.withConnection {
            try $0.query("SELECT full_name FROM core.users WHERE login = $1", [login]).rows.first?.decode("full_name", as: String.self)
        } ?? login
    }

    static func stateLabel(_ state: String) -> String {
        ["draft": "Dự thảo", "submitted": "Đã trình Ban Biên tập", "approved": "Đã phê duyệt", "paid": "Đã chi trả"][state] ?? state
    }

    /// "1.872.000 ₫", as amounts are written in Vietnamese.
    static func vnd(_ amount: Int64) -> String { VietnameseNumber.vnd(amount) }

    /// The last twelve months' portal totals as bars, each with its value, the axis with its scale,
    /// and a text alternative listing every month.
    static func chart(_ months: [(YearMonth, Int64)]) -> [String: Any] {
        let width = 720, height = 260, left = 70, bottom = 30, top = 24, barGap = 8
        let highest = max(1, months.map(\.1).max() ?? 1)
        let step = (width - left) / max(1, months.count)
        var bars = [[String: Any]]()
        for (index, (month, total)) in months.enumerated() {
            let barHeight = Int(Double(max(0, total)) / Double(highest) * Double(height - bottom - top))
            bars.append([
                "x": left + index * step + barGap / 2, "y": height - bottom - barHeight, "width": step - barGap, "height": barHeight,
                "labelX": left + index * step + step / 2, "labelY": height - bottom + 18, "label": String(format: "%02d/%02d", month.month, month.year % 100),
                "valueY": height - bottom - barHeight - 6, "value": short(total),
                "amount": vnd(total), "month": month.vietnamese,
            ])
        }
        let description = months.map { "\($0.0.vietnamese): \(vnd($0.1))" }.joined(separator: "; ")
        return ["width": width, "height": height, "bars": bars, "description": description, "axisY": height - bottom, "left": left,
                "topY": top, "topLabel": short(highest), "zeroLabel": "0"]
    }

    /// "1,5 tr" (triệu), "850 N" (nghìn): an amount short enough to sit above a bar.
    static func short(_ amount: Int64) -> String {
        if abs(amount) >= 1_000_000 { return VietnameseNumber.decimal(Double(amount) / 1_000_000, fractionDigits: 1) + " tr" }
        if abs(amount) >= 1_000 { return VietnameseNumber.decimal(Double(amount) / 1_000, fractionDigits: 0) + " N" }
        return VietnameseNumber.grouped(amount)
    }

    func render(_ template: String, _ values: [String: Any], status: HTTPResponse.Status) -> Response {
        return StaffPage.response(library.render(values, withTemplate: template), template: template, status: status)
    }
}
