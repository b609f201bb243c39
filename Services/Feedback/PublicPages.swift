import Foundation
import HTTPTypes
import Hummingbird
import Models
import Mustache
import ServiceKit
import Store

/// The citizens' pages, served for every site by its `Host` (nginx sends these paths here):
/// the question form, the lookup by code with the clarification and personal-data requests,
/// the personal-data page, drafts open for comment and online dialogues. Vietnamese, without
/// JavaScript, readable on a phone; a refused form comes back with what was typed and each
/// faulty field marked.
struct PublicPages {
    let routes: QuestionRoutes
    let store: QuestionStore
    let reference: ReferenceData
    let personal: PersonalDataRequests
    let consultations: Consultations
    let dialogues: Dialogues
    let database: DatabasePool
    let library: MustacheLibrary
    /// Seconds between refreshes of a live dialogue's page.
    static let dialogueRefreshSeconds = 60

    func register(on router: Router<PortalContext>) {
        router.get("/hoi-dap/gui-cau-hoi") { request, _ in try await askPage(request, form: [:], errors: [], status: .ok) }
        router.post("/hoi-dap/gui-cau-hoi") { request, context in try await ask(request, context) }
        router.get("/hoi-dap/tra-cuu") { request, context in try await statusPage(request, context) }
        router.post("/hoi-dap/tra-cuu/bo-sung") { request, context in try await clarify(request, context) }
        router.post("/hoi-dap/tra-cuu/du-lieu") { request, context in try await requestDataLink(request, context) }
        router.get("/hoi-dap/du-lieu-ca-nhan") { request, context in try await dataPage(request, context, notice: nil) }
        router.post("/hoi-dap/du-lieu-ca-nhan") { request, context in try await changeData(request, context) }
        router.get("/hoi-dap/y-kien") { request, _ in try await draftsPage(request) }
        router.get("/hoi-dap/y-kien/:id") { request, context in try await draftPage(request, id: try id(context), typed: "", error: nil, notice: nil, status: .ok) }
        router.post("/hoi-dap/y-kien/:id") { request, context in try await comment(request, context) }
        router.get("/hoi-dap/doi-thoai") { request, _ in try await dialoguesPage(request) }
        router.get("/hoi-dap/doi-thoai/:id") { request, context in try await dialoguePage(request, id: try id(context)) }
    }

    func id(_ context: PortalContext) throws -> UUID {
        guard let id = context.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw PublicNotFound() }
        return id
    }

    // MARK: Rendering

    func render(
        _ template: String, _ values: [String: Any], request: Request, status: HTTPResponse.Status = .ok, refreshSeconds: Int? = nil
    ) async throws -> Response {
        var values = values
        values["siteName"] = try await siteName(QuestionRoutes.site(request))
        let html = library.render(values, withTemplate: template) ?? ""
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"]
        headers[HTTPField.Name("Content-Security-Policy")!] =
            "default-src 'self'; script-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        if let refreshSeconds { headers[HTTPField.Name("Refresh")!] = String(refreshSeconds) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    private static let siteNames = ExpiringCache<String, String>(lifetime: .seconds(300))

    /// The name of the site the page is shown on: the portal, or the unit whose site it is.
    func siteName(_ domain: String) async throws -> String {
        let portal = "Cổng Thông tin điện tử tỉnh Long An"
        guard domain != SiteDomain.portal else { return portal }
        return try await Self.siteNames.value(for: domain) {
            try await database.withConnection { connection in
                try connection.query("SELECT name FROM core.unit_sites WHERE domain = $1", [domain]).rows.first
                    .map { "Trang thông tin điện tử " + (try $0.decode("name", as: String.self)) } ?? portal
            }
        }
    }

    // MARK: Asking

    func askPage(_ request: Request, form: [String: String], errors: [NewQuestion.Problem], status: HTTPResponse.Status) async throws -> Response {
        let snapshot = try await reference.current()
        var values: [String: Any] = [
            "title": "Gửi câu hỏi", "form": form,
            "fields": snapshot.fields.map { ["code": $0.code, "name": $0.nameVi, "selected": $0.code == form["field"]] },
            "hasErrors": !errors.isEmpty, "errorCount": errors.count,
            "errorList": errors.map { ["field": $0.field, "message": $0.message] },
        ]
        var byField = [String: String]()
        for problem in errors where byField[problem.field] == nil { byField[problem.field] = problem.message }
        values["errors"] = byField
        let dialogueId = form["dialogue"] ?? request.uri.queryParameters.get("doi-thoai").map { String($0) }
        if let dialogueId, let id = UUID(uuidString: dialogueId), let dialogue = try await dialogues.find(id), dialogue.acceptsQuestions() {
            values["dialogue"] = ["id": id.uuidString.lowercased(), "title": dialogue.title]
        }
        return try await render("ask", values, request: request, status: status)
    }

    func ask(_ request: Request, _ context: PortalContext) async throws -> Response {
        let (fields, attachment) = try await QuestionRoutes.question(request)
        let question = NewQuestion(fields: fields, attachment: attachment)
        let snapshot = try await reference.current()
        let problems = question.problems(fields: snapshot.fields)
        guard problems.isEmpty else { return try await askPage(request, form: fields, errors: problems, status: .badRequest) }
        var dialogueId: UUID?
        if let text = fields["dialogue"], !text.isEmpty {
            guard let id = UUID(uuidString: text), let dialogue = try await dialogues.find(id), dialogue.acceptsQuestions() else {
                return try await askPage(request, form: fields, errors: [.init(field: "title", code: "dialogue_closed",
                    message: "Buổi đối thoại đã kết thúc; câu hỏi có thể gửi như câu hỏi thông thường.")], status: .conflict)
            }
            dialogueId = id
        }
        let received: QuestionStore.Received
        do {
            received = try await routes.accept(question, request, context, site: QuestionRoutes.site(request), dialogueId: dialogueId)
        } catch let error as APIError where error.status == .tooManyRequests {
            return try await askPage(request, form: fields, errors: [.init(field: "title", code: error.code, message: error.message)], status: .tooManyRequests)
        }
        return try await render("asked", [
            "title": "Đã gửi câu hỏi", "code": received.trackingCode, "groupedCode": TrackingCode.grouped(received.trackingCode),
            "emailed": question.personalData.email != nil,
        ], request: request)
    }

    // MARK: Following

    func statusPage(_ request: Request, _ context: PortalContext, notice: String? = nil, error: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let typed = request.uri.queryParameters.get("ma").map { String($0) } ?? ""
        return try await statusView(for: typed, request, context, notice: notice, error: error, status: status)
    }

    func statusView(for typed: String, _ request: Request, _ context: PortalContext, notice: String?, error: String?, status: HTTPResponse.Status) async throws -> Response {
        var values: [String: Any] = ["title": "Tra cứu câu hỏi", "typed": typed]
        if let notice { values["notice"] = notice }
        if let error { values["error"] = error }
        var status = status
        if !typed.isEmpty {
            guard routes.limits.lookupsByAddress.allow(PublicLimits.clientAddress(request, context)) else {
                values["lookupError"] = PublicLimits.tooManyLookups.message
                return try await render("status", values, request: request, status: .tooManyRequests)
            }
            if let code = TrackingCode.normalized(typed), let found = try await store.find(trackingCode: code) {
                let shown = QuestionRoutes.status(of: found, snapshot: try await reference.current())
                var item: [String: Any] = [
                    "code": code, "title": shown.title, "statusLabel": shown.statusLabel, "unit": shown.unit.name,
                    "receivedOn": found.receivedOn.vietnamese,
                ]
                if let field = shown.field { item["field"] = field.name }
                if found.dialogueId == nil, let due = found.dueOn { item["dueDate"] = due.vietnamese; item["dueDateISO"] = due.description }
                if let clarification = shown.clarificationRequest { item["clarification"] = clarification }
                if let answer = shown.answer {
                    item["answer"] = answer.text
                    item["guidance"] = AnswerNotice.vietnamese
                    if let url = shown.publishedUrl { item["publishedUrl"] = url }
                }
                values["status"] = item
            } else {
                values["lookupError"] = "Không tìm thấy câu hỏi với mã “\(typed.prefix(40))”. Mã gồm 20 chữ cái và chữ số, có thể nhập có hoặc không có dấu gạch."
                status = .notFound
            }
        }
        return try await render("status", values, request: request, status: status)
    }

    func clarify(_ request: Request, _ context: PortalContext) async throws -> Response {
        let form = try await Form.read(request)
        let typed = form["ma"] ?? ""
        guard let code = TrackingCode.normalized(typed) else { return try await statusView(for: typed, request, context, notice: nil, error: nil, status: .notFound) }
        do {
            try await store.clarify(trackingCode: code, text: form["text"] ?? "")
        } catch let refusal as QuestionStore.Refusal {
            return try await statusView(for: code, request, context, notice: nil, error: refusal.error.message, status: refusal.error.status)
        }
        return try await statusView(for: code, request, context, notice: "Đã gửi phần bổ sung; thời hạn trả lời được tính tiếp.", error: nil, status: .ok)
    }

    func requestDataLink(_ request: Request, _ context: PortalContext) async throws -> Response {
        let form = try await Form.read(request)
        let typed = form["ma"] ?? ""
        guard let code = TrackingCode.normalized(typed) else { return try await statusView(for: typed, request, context, notice: nil, error: nil, status: .notFound) }
        do {
            try await personal.sendLink(trackingCode: code, correlationId: context.correlationId)
        } catch let refusal as QuestionStore.Refusal {
            return try await statusView(for: code, request, context, notice: nil, error: refusal.error.message, status: refusal.error.status)
        }
        return try await statusView(for: code, request, context, notice: "Đã gửi đường dẫn đến thư điện tử ông/bà đã khai; đường dẫn dùng được trong 1 giờ.", error: nil, status: .ok)
    }

    // MARK: Personal data

    func dataPage(_ request: Request, _ context: PortalContext, notice: String?) async throws -> Response {
        let token = request.uri.queryParameters.get("t").map { String($0) } ?? ""
        return try await dataPage(token: token, request, context, notice: notice)
    }

    func dataPage(token: String, _ request: Request, _ context: PortalContext, notice: String?) async throws -> Response {
        var values: [String: Any] = ["title": "Thông tin cá nhân"]
        if let notice { values["notice"] = notice }
        do {
            if let person = try await personal.open(token: token, correlationId: context.correlationId) {
                values["person"] = ["token": token, "name": person.name, "email": person.email ?? "", "phone": person.phone ?? "", "address": person.address ?? ""]
            } else {
                values["deleted"] = true
            }
        } catch let refusal as QuestionStore.Refusal {
            values["error"] = refusal.error.message
            return try await render("personal-data", values, request: request, status: refusal.error.status)
        }
        return try await render("personal-data", values, request: request)
    }

    func changeData(_ request: Request, _ context: PortalContext) async throws -> Response {
        let form = try await Form.read(request)
        let token = form["t"] ?? ""
        do {
            switch form["action"] {
            case "delete":
                guard form["confirm"] == "yes" else {
                    return try await dataPage(token: token, request, context, notice: "Đánh dấu ô xác nhận để xóa thông tin cá nhân.")
                }
                try await personal.erase(token: token)
                return try await render("personal-data", ["title": "Thông tin cá nhân", "deleted": true, "notice": "Đã xóa thông tin cá nhân."], request: request)
            default:
                var fields = [String: String]()
                for key in ["name", "email", "phone", "address"] { fields[key] = form[key] }
                fields["title"] = "-"; fields["body"] = "-"; fields["consent"] = "true"
                let corrected = NewQuestion(fields: fields, attachment: nil)
                if let problem = corrected.problems(fields: []).first {
                    return try await dataPage(token: token, request, context, notice: problem.message)
                }
                try await personal.correct(token: token, data: corrected.personalData)
                return try await dataPage(token: token, request, context, notice: "Đã lưu thông tin đã sửa.")
            }
        } catch let refusal as QuestionStore.Refusal {
            return try await render("personal-data", ["title": "Thông tin cá nhân", "error": refusal.error.message], request: request, status: refusal.error.status)
        }
    }

    // MARK: Drafts for comment

    func draftsPage(_ request: Request) async throws -> Response {
        let snapshot = try await reference.current()
        let today = LocalDate.today
        let list = try await consultations.list().map { item -> [String: Any] in
            ["id": item.id.uuidString.lowercased(), "title": item.title, "unit": snapshot.unitName(item.unitCode),
             "opensOn": item.opensOn.vietnamese, "closesOn": item.closesOn.vietnamese, "closed": today > item.closesOn, "comments": item.comments]
        }
        return try await render("drafts", ["title": "Lấy ý kiến dự thảo", "consultations": list], request: request)
    }

    func draftPage(_ request: Request, id: UUID, typed: String, error: String?, notice: String?, status: HTTPResponse.Status) async throws -> Response {
        guard let item = try await consultations.find(id), item.state != "approved" else { throw PublicNotFound() }
        // A draft the Head took down is gone from here as from the portal: no text, no comment form.
        guard item.state != "taken_down" else { throw PublicGone() }
        let snapshot = try await reference.current()
        let today = LocalDate.today
        var values: [String: Any] = [
            "title": item.title, "id": id.uuidString.lowercased(), "unit": snapshot.unitName(item.unitCode),
            "opensOn": item.opensOn.vietnamese, "closesOn": item.closesOn.vietnamese, "opensOnISO": item.opensOn.description,
            "closesOnISO": item.closesOn.description, "comments": item.comments, "bodyText": item.bodyText,
            "articles": item.articles.map { ["number": $0.number, "title": $0.title] }, "open": item.isOpen(on: today), "typed": typed,
            "closedMessage": today < item.opensOn
                ? "Dự thảo bắt đầu lấy ý kiến từ ngày \(item.opensOn.vietnamese)."
                : "Dự thảo đã hết thời gian lấy ý kiến ngày \(item.closesOn.vietnamese); không nhận thêm góp ý.",
        ]
        if let url = item.url { values["url"] = url }
        if let summary = item.summary { values["summary"] = summary }
        if let error { values["commentError"] = error }
        if let notice { values["notice"] = notice }
        return try await render("draft", values, request: request, status: status)
    }

    func comment(_ request: Request, _ context: PortalContext) async throws -> Response {
        let id = try id(context)
        let form = try await Form.read(request)
        guard routes.limits.questionsByAddress.allow(PublicLimits.clientAddress(request, context)) else {
            return try await draftPage(request, id: id, typed: form["body"] ?? "", error: PublicLimits.tooManyQuestions.message, notice: nil, status: .tooManyRequests)
        }
        do {
            _ = try await consultations.comment(
                on: id, articleNumber: form["article"].flatMap { Int($0) }, body: form["body"] ?? "", organisation: form["organisation"],
                correlationId: context.correlationId)
        } catch let refusal as QuestionStore.Refusal {
            if refusal.error.code == "consultation_not_found" { throw PublicNotFound() }
            return try await draftPage(request, id: id, typed: form["body"] ?? "", error: refusal.error.message, notice: nil, status: refusal.error.status)
        }
        return try await draftPage(request, id: id, typed: "", error: nil, notice: "Cảm ơn ông/bà đã góp ý; ý kiến đã được chuyển đến cơ quan chủ trì.", status: .ok)
    }

    // MARK: Dialogues

    static func window(_ dialogue: Dialogues.Dialogue) -> String {
        "từ \(PortalCalendar.dateTime(dialogue.startsAt)) đến \(PortalCalendar.dateTime(dialogue.endsAt))"
    }

    func dialoguesPage(_ request: Request) async throws -> Response {
        let list = try await dialogues.list().map {
            ["id": $0.id.uuidString.lowercased(), "title": $0.title, "window": Self.window($0), "live": $0.isLive()] as [String: Any]
        }
        return try await render("dialogues", ["title": "Đối thoại trực tuyến", "dialogues": list], request: request)
    }

    func dialoguePage(_ request: Request, id: UUID) async throws -> Response {
        guard let dialogue = try await dialogues.find(id) else { throw PublicNotFound() }
        let snapshot = try await reference.current()
        let answers = try await dialogues.answers(of: id)
        var values: [String: Any] = [
            "title": dialogue.title, "id": id.uuidString.lowercased(), "description": dialogue.description, "window": Self.window(dialogue),
            "live": dialogue.isLive(), "accepts": dialogue.acceptsQuestions(),
            // Not "notice": that name is the page header's status message.
            "guidance": AnswerNotice.vietnamese,
            "participants": dialogue.participants.map {
                ["name": $0.name, "fields": $0.fields.compactMap { snapshot.field($0)?.nameVi }.joined(separator: ", ")]
            },
            "answers": answers.map {
                ["title": $0.title, "question": $0.question, "answer": $0.answer, "answeredBy": $0.answeredBy,
                 "answeredAt": PortalCalendar.dateTime($0.answeredAt)]
            },
            "answerCount": VietnameseNumber.grouped(answers.count),
        ]
        // A live dialogue's page refreshes itself, so that answers appear without a script, but only
        // when the reader asks for it and with a way to stop (WCAG 2.2.1): the `Refresh` header of
        // `?tu-dong=1`, never by default.
        let refreshing = dialogue.isLive() && request.uri.queryParameters.get("tu-dong") == "1"
        values["refreshing"] = refreshing
        values["refreshSeconds"] = Self.dialogueRefreshSeconds
        return try await render("dialogue", values, request: request, refreshSeconds: refreshing ? Self.dialogueRefreshSeconds : nil)
    }
}

/// A public page that was taken down (Art. 9.4): 410 with a page in Vietnamese, and nothing of what it held.
struct PublicGone: HTTPResponseError {
    var status: HTTPResponse.Status { .gone }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let html = """
            <!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
            <title>Thông tin đã được gỡ bỏ</title></head><body><main><h1>Thông tin đã được gỡ bỏ</h1>
            <p>Thông tin này đã được gỡ khỏi Cổng thông tin điện tử.</p>
            <p><a href="/hoi-dap/">Về trang Hỏi đáp</a></p><p lang="en">This information has been taken down.</p></main></body></html>
            """
        return Response(status: .gone, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}

/// A public page that does not exist: 404 with a page in Vietnamese.
struct PublicNotFound: HTTPResponseError {
    var status: HTTPResponse.Status { .notFound }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let html = """
            <!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
            <title>Không tìm thấy trang</title></head><body><main><h1>Không tìm thấy trang</h1>
            <p><a href="/hoi-dap/">Về trang Hỏi đáp</a></p><p lang="en">Page not found.</p></main></body></html>
            """
        return Response(status: .notFound, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}
