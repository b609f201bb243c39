import ContentSafety
import Foundation
import HTTPTypes
import Hummingbird
import Models
import Mustache
import ServiceKit
import Store

/// The staff pages of questions (`/feedback`), behind the one staff sign-in ("Hỏi đáp"):
/// - the Center's officers: the inbox of new questions with a suggested field, the answers to
///   review, the overdue cases of every unit;
/// - a unit's feedback officers: the unit's cases, answering, asking the citizen to clarify, and
///   sending back within 5 working days what is not theirs;
/// - leaders in a dialogue: the questions routed to them.
/// Every page checks the person's roles and the case's unit; every form carries the session's token.
struct StaffPages {
    let store: QuestionStore
    let reference: ReferenceData
    let consultations: Consultations
    let dialogues: Dialogues
    let database: DatabasePool
    let signIn: StaffSignIn
    let library: MustacheLibrary

    func register(on router: Router<PortalContext>) {
        router.get("/feedback/login") { request, _ in
            loginPage(error: nil, status: .ok, login: "", next: signIn.next(request))
        }
        router.post("/feedback/login") { request, context in
            let form = try await Form.read(request)
            switch try await signIn.signIn(request, context, form: form, language: "vi") {
            case .signedIn: return Response(status: .seeOther, headers: [.location: signIn.destination(form)])
            case .refused(let refusal, let login):
                return loginPage(error: refusal.message("vi"), status: refusal.status, login: login,
                                 next: signIn.next(request, form: form))
            }
        }
        router.post("/feedback/logout") { request, context in
            _ = try signIn.signedIn(request, context, form: try await Form.read(request))
            context.sessions.clearSession()
            return Response(status: .seeOther, headers: [.location: signIn.loginPath])
        }
        router.get("/feedback") { request, context in try await home(request, context) }
        router.get("/feedback/overdue") { request, context in try await overdue(request, context) }
        router.get("/feedback/questions/:id") { request, context in try await questionPage(request, context, notice: nil, error: nil, status: .ok) }
        router.get("/feedback/questions/:id/attachment") { request, context in try await attachment(request, context) }
        router.post("/feedback/questions/:id/:action") { request, context in try await act(request, context) }
        router.get("/feedback/consultations") { request, context in try await consultationsPage(request, context) }
        router.get("/feedback/consultations/:id") { request, context in try await consultationPage(request, context, notice: nil) }
        router.get("/feedback/consultations/:id/:file") { request, context in try await export(request, context) }
        router.post("/feedback/consultations/:id/summary") { request, context in try await summary(request, context) }
        router.get("/feedback/dialogues") { request, context in try await dialoguesPage(request, context, form: [:], error: nil, status: .ok) }
        router.post("/feedback/dialogues") { request, context in try await createDialogue(request, context) }
    }

    // MARK: Who may do what

    /// What a person is on these pages.
    struct Standing {
        let user: AuthenticatedUser
        let session: WebSession
        let snapshot: ReferenceData.Snapshot
        var isCenter: Bool { user.has(.feedbackOfficer) && user.unitCode == snapshot.centerCode }
        var isUnitOfficer: Bool { user.has(.feedbackOfficer) && !isCenter && user.unitCode != nil }
        var isBoard: Bool { [.boardHead, .boardDeputy, .boardMember].contains { user.has($0) } }

        /// Whether the person handles the case now, and so may see the person's contact.
        func handles(_ question: QuestionStore.Case) -> Bool {
            isCenter || (isUnitOfficer && question.unitCode == user.unitCode) || question.assignedUserId == user.id
        }

        func mayRead(_ question: QuestionStore.Case) -> Bool {
            handles(question) || user.has(.boardHead) || user.has(.boardDeputy) || (user.has(.boardMember) && question.dueOn != nil)
        }
    }

    func standing(_ request: Request, _ context: PortalContext, form: Form?) async throws -> Standing {
        let (user, session) = try signIn.signedIn(request, context, form: form)
        return Standing(user: user, session: session, snapshot: try await reference.current())
    }

    // MARK: Rendering

    func loginPage(error: String?, status: HTTPResponse.Status, login: String, next: String) -> Response {
        let (token, cookie) = signIn.formToken()
        var values: [String: Any] = ["title": "Đăng nhập", "loginCsrf": token, "loginName": login, "next": next]
        if let error { values["error"] = error }
        var response = StaffPage.response(library.render(values, withTemplate: "login"), template: "login", status: status)
        response.setCookie(cookie)
        return response
    }

    func render(_ template: String, _ data: [String: Any], _ request: Request, _ standing: Standing, status: HTTPResponse.Status = .ok) -> Response {
        var values = data
        values["user"] = ["fullName": standing.user.fullName, "csrf": standing.session.csrf]
        values["csrf"] = standing.session.csrf
        let areas = StaffArea.links(for: standing.user, current: .questions, request: request)
        values["staffAreas"] = areas
        values["hasStaffAreas"] = areas.count > 1
        return StaffPage.response(library.render(values, withTemplate: template), template: template, status: status)
    }

    func row(_ question: QuestionStore.Case, _ snapshot: ReferenceData.Snapshot) -> [String: Any] {
        var row: [String: Any] = [
            "id": question.id.uuidString.lowercased(), "title": question.title, "receivedOn": question.receivedOn.vietnamese,
            "unit": snapshot.unitName(question.unitCode), "state": question.state.vietnamese,
        ]
        if let due = question.dueOn, question.dialogueId == nil {
            let left = snapshot.clock.workingDaysLeft(dueOn: due, today: .today)
            row["due"] = due.vietnamese
            row["late"] = left < 0
            row["left"] = left < 0 ? "quá \(-left) ngày làm việc" : "còn \(left) ngày làm việc"
        }
        return row
    }

    func list(_ key: String, _ caption: String, _ items: [QuestionStore.Case], _ snapshot: ReferenceData.Snapshot) -> [String: Any] {
        ["key": key, "caption": caption, "count": VietnameseNumber.grouped(items.count), "items": items.map { row($0, snapshot) }, "hasItems": !items.isEmpty]
    }

    // MARK: Lists

    func home(_ request: Request, _ context: PortalContext) async throws -> Response {
        let standing = try await standing(request, context, form: nil)
        let snapshot = standing.snapshot
        var lists = [[String: Any]]()
        if standing.isCenter {
            lists.append(list("inbox", "Câu hỏi mới chờ phân loại", try await store.list(.unit(snapshot.centerCode, states: [.received])), snapshot))
            lists.append(list("review", "Trả lời của đơn vị chờ duyệt", try await store.list(.review), snapshot))
        }
        if standing.isUnitOfficer, let unit = standing.user.unitCode {
            lists.append(list("unit", "Câu hỏi giao \(snapshot.unitName(unit))",
                              try await store.list(.unit(unit, states: [.routed, .awaitingCitizen, .answerDrafted])), snapshot))
        }
        let dialogueQuestions = try await dialogues.waiting(for: standing.user)
        if !dialogueQuestions.isEmpty {
            lists.append(list("dialogue", "Câu hỏi đối thoại chờ đồng chí trả lời", dialogueQuestions, snapshot))
        }
        if lists.isEmpty {
            lists.append(list("overdue", "Câu hỏi quá hạn", try await store.list(.overdue(unit: nil)), snapshot))
        }
        return render("home", ["title": "Câu hỏi", "heading": "Hỏi đáp của người dân", "lists": lists], request, standing)
    }

    func overdue(_ request: Request, _ context: PortalContext) async throws -> Response {
        let standing = try await standing(request, context, form: nil)
        let unit = standing.isUnitOfficer ? standing.user.unitCode : nil
        let items = try await store.list(.overdue(unit: unit))
        // One list per unit, most overdue first within each.
        var byUnit = [String: [QuestionStore.Case]]()
        for item in items { byUnit[item.unitCode, default: []].append(item) }
        let lists = byUnit.keys.sorted().map { code in
            list(code, "Quá hạn – \(standing.snapshot.unitName(code))", byUnit[code] ?? [], standing.snapshot)
        }
        return render("home", ["title": "Quá hạn", "heading": "Câu hỏi quá hạn trả lời", "lists": lists.isEmpty
            ? [list("none", "Câu hỏi quá hạn", [], standing.snapshot)] : lists], request, standing)
    }

    // MARK: One question

    func questionId(_ context: PortalContext) throws -> UUID {
        guard let id = context.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw StaffNotFound() }
        return id
    }

    /// The question's page. `refused`, when a step was just refused, is what was typed for it:
    /// the page shows that again in the step's form instead of the stored text, so that nothing
    /// typed is lost (the reviewed public title and question least of all: the stored ones still
    /// hold the citizen's personal details).
    func questionPage(
        _ request: Request, _ context: PortalContext, notice: String?, error: String?, status: HTTPResponse.Status,
        refused: (action: String, form: Form)? = nil
    ) async throws -> Response {
        let standing = try await standing(request, context, form: nil)
        let snapshot = standing.snapshot
        guard let question = try await store.find(try questionId(context)), standing.mayRead(question) else { throw StaffNotFound() }
        let id = question.id.uuidString.lowercased()
        var q = row(question, snapshot)
        q["body"] = question.body
        // The public version starts as the citizen's own words, for the Center to strip of personal details.
        q["publicTitle"] = question.title
        q["publicBody"] = question.body
        q["site"] = question.siteDomain
        q["field"] = snapshot.field(question.fieldCode ?? question.askedFieldCode)?.nameVi ?? "Chưa phân loại"
        if question.attachmentSHA256 != nil { q["attachment"] = question.attachmentName ?? "tệp đính kèm" }
        if let dialogue = question.dialogueId, let found = try await dialogues.find(dialogue) {
            q["dialogue"] = found.title
            q["dialogueUrl"] = "/hoi-dap/doi-thoai/\(dialogue.uuidString.lowercased())"
        }
        var values: [String: Any] = ["title": question.title, "q": q]
        if let notice = notice ?? request.uri.queryParameters.get("done").flatMap({ Self.doneNotices[String($0)] }) { values["notice"] = notice }
        if let error { values["error"] = error }
        if standing.handles(question) {
            if request.uri.queryParameters.get("lien-he") == "1" && request.method == .get {
                if let person = try await store.personalData(question.id, reader: standing.user, correlationId: context.correlationId) {
                    values["person"] = ["name": person.name, "email": person.email ?? "—", "phone": person.phone ?? "—", "address": person.address ?? "—"]
                } else {
                    values["personDeleted"] = true
                }
            } else {
                values["mayShowPerson"] = true
            }
        }
        switch question.state {
        case .received where standing.isCenter:
            let suggestion = snapshot.suggester.suggest(question.title + "\n" + question.body)
            let chosen = question.askedFieldCode ?? suggestion?.fieldCode
            if let suggestion, let field = snapshot.field(suggestion.fieldCode) {
                values["suggestion"] = ["name": field.nameVi, "unit": snapshot.unitName(field.unitCode),
                                        "reasons": suggestion.matched.map { "“\($0)”" }.joined(separator: ", ")]
            }
            values["classify"] = true
            values["fields"] = snapshot.fields.map {
                ["code": $0.code, "name": $0.nameVi, "unit": snapshot.unitName($0.unitCode), "days": $0.workingDays, "selected": $0.code == chosen]
            }
        case .routed where question.dialogueId != nil && question.assignedUserId == standing.user.id:
            values["answerForm"] = ["action": "dialogue-answer", "draft": "", "button": "Trả lời và đăng lên trang đối thoại",
                                    "hint": "Trả lời được đăng ngay trên trang đối thoại, không kèm thông tin cá nhân của người hỏi."]
        case .routed where standing.isUnitOfficer && question.unitCode == standing.user.unitCode && question.dialogueId == nil:
            let template = snapshot.templates[question.fieldCode ?? ""] ?? ""
            var form: [String: Any] = ["action": "answer", "draft": question.answer ?? template, "button": "Gửi Trung tâm duyệt",
                                       "hint": "Trung tâm duyệt trước khi gửi người hỏi và công khai."]
            if let note = question.reviewNote { form["reviewNote"] = note }
            values["answerForm"] = form
            values["clarifyForm"] = true
            if let routedOn = question.routedOn {
                if snapshot.clock.mayForward(routedOn: routedOn, today: .today) {
                    values["forwardForm"] = true
                    values["forwardUntil"] = snapshot.calendar.adding(workingDays: QuestionClock.forwardingWorkingDays, to: routedOn).vietnamese
                } else {
                    values["forwardClosed"] = true
                }
            }
        case .answerDrafted where standing.isCenter:
            values["review"] = true
            values["answer"] = question.answer ?? ""
        case .answered, .published:
            values["answered"] = question.answer ?? ""
            if question.state == .published {
                values["publishedUrl"] = question.dialogueId.map { "/hoi-dap/doi-thoai/\($0.uuidString.lowercased())" } ?? "/hoi-dap/\(id).html"
            }
        default:
            break
        }
        if let refused { Self.keep(refused.form, of: refused.action, in: &values) }
        values["history"] = try await store.history(of: question.id).map {
            ["at": PortalCalendar.dateTime($0.at), "actor": Self.actor($0.actor), "action": Self.action($0.action, $0, snapshot), "note": $0.note]
        }
        return render("question", values, request, standing, status: status)
    }

    static func actor(_ actor: String) -> String {
        switch actor {
        case "citizen": "Người hỏi"
        case "system": "Hệ thống"
        default: actor
        }
    }

    static func action(_ action: String, _ line: QuestionStore.HistoryLine, _ snapshot: ReferenceData.Snapshot) -> String {
        let to = line.toUnit.map { snapshot.unitName($0) } ?? ""
        return switch action {
        case "received": "Tiếp nhận câu hỏi"
        case "routed": "Chuyển đến \(to)"
        case "forwarded": "Trả lại \(to): không thuộc thẩm quyền"
        case "clarification_requested": "Đề nghị người hỏi bổ sung"
        case "clarified": "Người hỏi đã bổ sung"
        case "answer_drafted": "Đơn vị gửi trả lời chờ duyệt"
        case "answer_returned": "Trung tâm trả lại trả lời để sửa"
        case "answer_published": "Duyệt, trả lời và công khai"
        case "answered": "Duyệt và trả lời riêng"
        case "answered_in_dialogue": "Trả lời trong buổi đối thoại"
        case "reminded": "Nhắc hạn trả lời"
        case "escalated": "Báo cáo quá hạn"
        case "personal_data_corrected": "Người hỏi sửa thông tin cá nhân"
        case "personal_data_deleted": "Người hỏi xóa thông tin cá nhân"
        default: action
        }
    }

    func attachment(_ request: Request, _ context: PortalContext) async throws -> Response {
        let standing = try await standing(request, context, form: nil)
        guard let question = try await store.find(try questionId(context)), standing.handles(question),
              let sha = question.attachmentSHA256, let bytes = try await PostgresBlobStore(database: database).get(sha) else { throw StaffNotFound() }
        let served = ServedFileType.of(bytes)
        return Response(
            status: .ok,
            headers: [.contentType: served.contentType, .contentDisposition: served.inline ? "inline" : "attachment",
                      HTTPField.Name("X-Content-Type-Options")!: "nosniff", .cacheControl: "private, no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    func act(_ request: Request, _ context: PortalContext) async throws -> Response {
        let form = try await Form.read(request)
        let standing = try await standing(request, context, form: form)
        let id = try questionId(context)
        guard let question = try await store.find(id), standing.mayRead(question) else { throw StaffNotFound() }
        let action = context.parameters.get("action") ?? ""
        let user = standing.user
        do {
            switch action {
            case "classify" where standing.isCenter:
                try await store.classify(id, fieldCode: form["field"] ?? "", by: user, correlationId: context.correlationId)
            case "answer" where standing.isUnitOfficer:
                try await store.draftAnswer(id, text: form["answer"] ?? "", by: user)
            case "clarify" where standing.isUnitOfficer:
                try await store.askClarification(id, request: form["request"] ?? "", by: user, correlationId: context.correlationId)
            case "forward" where standing.isUnitOfficer:
                try await store.forward(id, note: form["note"] ?? "", by: user)
            case "return" where standing.isCenter:
                try await store.returnAnswer(id, note: form["note"] ?? "", by: user)
            case "approve" where standing.isCenter:
                guard form["confirm"] == "yes" else {
                    throw QuestionStore.Refusal(.badRequest, "confirmation_required", "Đánh dấu ô xác nhận trước khi duyệt và gửi trả lời.")
                }
                try await store.approveAnswer(
                    id, publish: form["publish"] != "no", publicTitle: form["publicTitle"], publicQuestion: form["publicQuestion"], by: user,
                    correlationId: context.correlationId)
            case "dialogue-answer":
                try await dialogues.answer(id, text: form["answer"] ?? "", by: user, correlationId: context.correlationId)
            default:
                throw QuestionStore.Refusal(.forbidden, "not_allowed", "Vai trò của đồng chí không thực hiện được việc này với câu hỏi này.")
            }
        } catch let refusal as QuestionStore.Refusal {
            return try await questionPage(
                request, context, notice: nil, error: refusal.error.message, status: refusal.error.status, refused: (action, form))
        }
        // Post, then redirect: a reload of the page does not send the step again.
        return Response(status: .seeOther, headers: [.location: "/feedback/questions/\(id.uuidString.lowercased())?done=\(action)"])
    }

    /// Puts what was typed for a refused step back into its form on the page.
    static func keep(_ form: Form, of action: String, in values: inout [String: Any]) {
        switch action {
        case "answer", "dialogue-answer":
            if var answerForm = values["answerForm"] as? [String: Any], let typed = form["answer"] {
                answerForm["draft"] = typed
                values["answerForm"] = answerForm
            }
        case "clarify": values["typedRequest"] = form["request"] ?? ""
        case "forward": values["typedForwardNote"] = form["note"] ?? ""
        case "return": values["typedReturnNote"] = form["note"] ?? ""
        case "approve":
            if var q = values["q"] as? [String: Any] {
                if let title = form["publicTitle"] { q["publicTitle"] = title }
                if let question = form["publicQuestion"] { q["publicBody"] = question }
                values["q"] = q
            }
            values["privateOnly"] = form["publish"] == "no"
        default: break
        }
    }

    /// What the page says after a step, by the step's name in `?done=`.
    static let doneNotices = [
        "classify": "Đã chuyển câu hỏi đến đơn vị xử lý.", "answer": "Đã gửi trả lời để Trung tâm duyệt.",
        "clarify": "Đã gửi đề nghị bổ sung cho người hỏi.", "forward": "Đã trả lại câu hỏi cho Trung tâm.",
        "return": "Đã trả lại trả lời cho đơn vị.", "approve": "Đã gửi trả lời cho người hỏi.", "dialogue-answer": "Đã đăng trả lời lên trang đối thoại.",
    ]

    // MARK: Consultations

    func consultationsPage(_ request: Request, _ context: PortalContext) async throws -> Response {
        let standing = try await standing(request, context, form: nil)
        let unit = standing.isCenter || standing.isBoard ? nil : standing.user.unitCode
        let items = try await consultations.list(unit: unit).map {
            ["id": $0.id.uuidString.lowercased(), "title": $0.title, "unit": standing.snapshot.unitName($0.unitCode),
             "opensOn": $0.opensOn.vietnamese, "closesOn": $0.closesOn.vietnamese, "comments": $0.comments] as [String: Any]
        }
        return render("consultations", ["title": "Dự thảo lấy ý kiến", "items": items], request, standing)
    }

    func consultation(_ standing: Standing, _ context: PortalContext) async throws -> Consultations.Consultation {
        guard let id = context.parameters.get("id").flatMap(UUID.init(uuidString:)), let item = try await consultations.find(id),
              standing.isCenter || standing.isBoard || item.unitCode == standing.user.unitCode else { throw StaffNotFound() }
        return item
    }

    func consultationPage(_ request: Request, _ context: PortalContext, notice: String?) async throws -> Response {
        let standing = try await standing(request, context, form: nil)
        let item = try await consultation(standing, context)
        let comments = try await consultations.comments(of: item.id)
        var values: [String: Any] = [
            "title": item.title, "id": item.id.uuidString.lowercased(), "unit": standing.snapshot.unitName(item.unitCode),
            "opensOn": item.opensOn.vietnamese, "closesOn": item.closesOn.vietnamese, "closed": LocalDate.today > item.closesOn,
            "count": VietnameseNumber.grouped(comments.count), "summary": item.summary ?? "", "mayPublish": item.unitCode == standing.user.unitCode,
            "comments": comments.map {
                ["at": PortalCalendar.dateTime($0.receivedAt), "article": $0.articleNumber.map { "Điều \($0)" } ?? "Toàn văn",
                 "organisation": $0.organisation ?? "", "body": $0.body]
            },
        ]
        if let notice { values["notice"] = notice }
        return render("consultation", values, request, standing)
    }

    func export(_ request: Request, _ context: PortalContext) async throws -> Response {
        let standing = try await standing(request, context, form: nil)
        let item = try await consultation(standing, context)
        let comments = try await consultations.comments(of: item.id)
        let name = "gop-y-\(item.id.uuidString.prefix(8).lowercased())"
        switch context.parameters.get("file") {
        case "comments.csv":
            return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"\(name).csv\"",
                                                   .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(string: Consultations.csv(comments))))
        case "comments.xlsx":
            return Response(
                status: .ok,
                headers: [.contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          .contentDisposition: "attachment; filename=\"\(name).xlsx\"", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(bytes: try Consultations.xlsx(comments, title: item.title))))
        default:
            throw StaffNotFound()
        }
    }

    func summary(_ request: Request, _ context: PortalContext) async throws -> Response {
        let form = try await Form.read(request)
        let standing = try await standing(request, context, form: form)
        let item = try await consultation(standing, context)
        do {
            try await consultations.publishSummary(item.id, text: form["summary"] ?? "", by: standing.user)
        } catch let refusal as QuestionStore.Refusal {
            return try await consultationPage(request, context, notice: refusal.error.message)
        }
        return try await consultationPage(request, context, notice: "Đã công bố báo cáo tiếp thu, giải trình trên trang dự thảo.")
    }

    // MARK: Dialogues

    func dialoguesPage(_ request: Request, _ context: PortalContext, form: [String: String], error: String?, status: HTTPResponse.Status) async throws -> Response {
        let standing = try await standing(request, context, form: nil)
        let snapshot = standing.snapshot
        let waiting = try await dialogues.waiting(for: standing.user)
        let all = try await dialogues.list()
        // The dialogues' titles from the list just read; an older one a question belongs to, read apart.
        var titles = Dictionary(all.map { ($0.id, $0.title) }) { first, _ in first }
        for item in waiting { if let d = item.dialogueId, titles[d] == nil { titles[d] = try await dialogues.find(d)?.title } }
        var values: [String: Any] = [
            "title": "Đối thoại trực tuyến", "form": form,
            "dialogues": all.map { ["id": $0.id.uuidString.lowercased(), "title": $0.title, "window": PublicPages.window($0)] as [String: Any] },
            "mayCreate": standing.isCenter || standing.user.has(.boardHead),
        ]
        if !waiting.isEmpty {
            values["waiting"] = ["count": VietnameseNumber.grouped(waiting.count), "items": waiting.map {
                ["id": $0.id.uuidString.lowercased(), "title": $0.title, "dialogue": $0.dialogueId.flatMap { titles[$0] } ?? ""]
            }]
        }
        if standing.isCenter || standing.user.has(.boardHead) {
            values["leaders"] = try await database.withConnection { connection in
                try connection.query(
                    """
                    SELECT DISTINCT u.login, u.full_name FROM core.users u JOIN core.user_roles r ON r.user_id = u.id
                    WHERE u.active AND r.role IN ('board_head', 'board_deputy', 'board_member') ORDER BY u.full_name
                    """).rows.map { (login: try $0.decode("login", as: String.self), name: try $0.decode("full_name", as: String.self)) }
            }.map { leader -> [String: Any] in
                ["login": leader.login, "name": leader.name, "fields": snapshot.fields.map { ["code": $0.code, "name": $0.nameVi] }]
            }
        }
        if let error { values["error"] = error }
        return render("dialogues-staff", values, request, standing, status: status)
    }

    func createDialogue(_ request: Request, _ context: PortalContext) async throws -> Response {
        let form = try await Form.read(request)
        let standing = try await standing(request, context, form: form)
        var typed = [String: String]()
        for key in ["title", "description", "startsAt", "endsAt"] { typed[key] = form[key] ?? "" }
        guard standing.isCenter || standing.user.has(.boardHead) else { throw StaffNotFound() }
        guard let starts = PortalCalendar.moment(localDateTime: typed["startsAt"] ?? ""),
              let ends = PortalCalendar.moment(localDateTime: typed["endsAt"] ?? "") else {
            return try await dialoguesPage(request, context, form: typed, error: "Nhập thời gian bắt đầu và kết thúc (ngày, giờ).", status: .badRequest)
        }
        let participants = form.all("participant").map { login in (login: login, fields: form.all("fields:\(login)")) }
        do {
            let id = try await dialogues.create(
                .init(title: typed["title"] ?? "", description: typed["description"] ?? "", startsAt: starts, endsAt: ends, participants: participants),
                by: standing.user)
            return Response(status: .seeOther, headers: [.location: "/hoi-dap/doi-thoai/\(id.uuidString.lowercased())"])
        } catch let refusal as QuestionStore.Refusal {
            return try await dialoguesPage(request, context, form: typed, error: refusal.error.message, status: refusal.error.status)
        }
    }
}

/// A staff page for a question or draft that does not exist or is not the person's to see.
struct StaffNotFound: HTTPResponseError {
    var status: HTTPResponse.Status { .notFound }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let html = """
            <!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
            <title>Không tìm thấy – Hỏi đáp</title></head><body><main><h1>Không tìm thấy</h1>
            <p>Không có mục này, hoặc mục không thuộc đơn vị của đồng chí. <a href="/feedback">Về danh sách câu hỏi</a></p>
            <p lang="en">Not found, or not your unit's.</p></main></body></html>
            """
        return Response(status: .notFound, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}
