import ContentSafety
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Models
import Mustache
import NIOCore
import ServiceKit
import Store

/// The departments' web pages (`/submit`, `/submissions`), behind the staff sign-in: a
/// collaborator or liaison of a unit submits news with its files and follows each submission to
/// publication. The form takes what the API takes (`SubmissionRequest`) and passes the same
/// checks; a refused form comes back with everything typed, the files kept, and the faulty field
/// marked with its message in Vietnamese. Works without JavaScript; a small script adds the
/// formatting buttons and a preview without reloading.
struct SubmitPages {
    let store: SubmissionStore
    let signIn: StaffSignIn
    let database: DatabasePool
    let maxAttachmentBytes: Int
    let library: MustacheLibrary

    /// File rows on the form; a row is a file and its alt text.
    static let fileRows = 3

    init(store: SubmissionStore, database: DatabasePool, maxAttachmentBytes: Int) async throws {
        self.store = store
        self.database = database
        self.maxAttachmentBytes = maxAttachmentBytes
        signIn = StaffSignIn(area: .submission, database: database)
        guard let folder = Bundle.module.path(forResource: "Templates", ofType: nil) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "Templates in the intake bundle"])
        }
        library = try await MustacheLibrary(directory: folder)
    }

    func register(on router: Router<PortalContext>) {
        router.get("/submit/login") { request, _ in loginPage(error: nil, status: .ok, login: "", next: signIn.next(request)) }
        router.post("/submit/login") { request, context in
            let form = try await Form.read(request)
            switch try await signIn.signIn(request, context, form: form, language: "vi") {
            case .signedIn: return Response(status: .seeOther, headers: [.location: signIn.destination(form)])
            case .refused(let refusal, let login):
                return loginPage(error: refusal.message("vi"), status: refusal.status, login: login, next: signIn.next(request, form: form))
            }
        }
        router.post("/submit/logout") { request, context in
            _ = try signIn.signedIn(request, context, form: try await Form.read(request))
            context.sessions.clearSession()
            return Response(status: .seeOther, headers: [.location: signIn.loginPath])
        }
        router.get("/submit") { request, context in try await formPage(request, context) }
        router.post("/submit") { request, context in try await send(request, context) }
        router.post("/submit/preview") { request, context in try await preview(request, context) }
        router.get("/submit/editor.js") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/javascript; charset=utf-8", .cacheControl: "public, max-age=300"],
                     body: .init(byteBuffer: ByteBuffer(string: Self.editorScript)))
        }
        router.get("/submissions") { request, context in try await listPage(request, context) }
        router.get("/submissions/:id") { request, context in try await detailPage(request, context) }
    }

    // MARK: Pages

    func loginPage(error: String?, status: HTTPResponse.Status, login: String, next: String) -> Response {
        let (token, cookie) = signIn.formToken()
        var response = render("login", ["title": "Đăng nhập", "loginCsrf": token, "loginName": login, "error": error, "next": next], user: nil, status: status)
        response.setCookie(cookie)
        return response
    }

    /// The empty form, or, with `?from=<id>` for a returned submission, its content to revise and send again.
    func formPage(_ request: Request, _ context: PortalContext) async throws -> Response {
        let (user, session) = try signIn.signedIn(request, context, form: nil)
        var draft = SubmitForm()
        if let from = request.uri.queryParameters.get("from").flatMap({ UUID(uuidString: String($0)) }) {
            guard let earlier = try await store.content(of: from, forUnit: user.unitCode ?? "") else {
                throw NotFoundPage(what: "Không có tin này trong các tin của đơn vị.")
            }
            draft = earlier
            draft.replaces = from.uuidString.lowercased()
            for index in draft.files.indices { draft.files[index].proof = draft.files[index].kept?.proof(session.csrf) }
        }
        return try await render(form: draft, errors: [:], preview: nil, request: request, user: user, session: session, status: .ok)
    }

    func send(_ request: Request, _ context: PortalContext) async throws -> Response {
        guard let session = context.sessions.session, context.identity != nil else { throw Redirect(to: signIn.loginPath) }
        let contentType = request.headers[.contentType] ?? ""
        guard let boundary = MultipartForm.boundary(of: contentType) else {
            throw HTTPError(.unsupportedMediaType, message: "multipart/form-data expected")
        }
        let body = try await request.body.collect(upTo: maxAttachmentBytes + 2_000_000)
        let multipart = try MultipartForm.read(body, boundary: boundary, fileFields: Set((1...Self.fileRows).map { "file\($0)" }))
        let form = Form(multipart.fields.flatMap { name, values in values.map { (name, $0) } })
        let (user, _) = try signIn.signedIn(request, context, form: form)
        var draft = SubmitForm(form)
        // Files the form carries back from an earlier post count only with this session's proof.
        for index in draft.files.indices {
            if let kept = draft.files[index].kept, !kept.isSigned(by: session.csrf, proof: draft.files[index].proof) {
                draft.files[index].kept = nil
            }
        }
        // Files chosen now are kept at once, so that a refused form never asks for them again.
        for file in multipart.files where !file.bytes.isEmpty {
            guard let row = Int(file.field.dropFirst(4)), (1...Self.fileRows).contains(row) else { continue }
            let blob = try await PostgresBlobStore(database: database).put(file.bytes, contentType: file.contentType)
            draft.files[row - 1].kept = SubmitForm.KeptFile(
                sha256: blob.sha256, filename: file.filename ?? "tep-\(row)", contentType: file.contentType, size: file.bytes.count)
        }
        for index in draft.files.indices {
            draft.files[index].proof = draft.files[index].kept?.proof(session.csrf)
        }
        if form["action"] == "preview" {
            return try await render(form: draft, errors: [:], preview: draft.previewHTML, request: request, user: user, session: session, status: .ok)
        }
        do {
            var attachments = [ValidatedSubmission.Attachment]()
            for file in draft.files {
                guard let kept = file.kept else { continue }
                guard let bytes = try await PostgresBlobStore(database: database).get(kept.sha256) else { continue }
                attachments.append(.init(filename: kept.filename, contentType: kept.contentType, bytes: bytes, altText: file.altText))
            }
            var submission = try draft.request.validated(
                attachments: attachments, maxAttachmentBytes: maxAttachmentBytes,
                sender: SubmissionRequest.Author(name: user.fullName, userId: user.id, share: nil))
            let unknown = try await store.unknownSites(submission.targetSites)
            guard unknown.isEmpty else {
                throw APIError.badRequest("unknown_target_site", "No component site \(unknown.joined(separator: ", ")) is registered.")
            }
            if let replaces = draft.replaces.flatMap(UUID.init(uuidString:)),
               try await store.content(of: replaces, forUnit: user.unitCode ?? "") != nil {
                submission.replaces = replaces
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            let raw = Array(try encoder.encode(draft.request))
            // The same form sent again with the same content and files is the same submission.
            let fingerprint = SHA256.hash(data: raw + Array(attachments.map { "\($0.filename)|\($0.bytes.count)|\(SHA256.hash(data: $0.bytes).hexString)" }
                .joined(separator: "\n").utf8)).hexString
            let created = try await store.create(
                submission, raw: raw, rawType: "application/json", origin: .web(user, unit: user.unitCode ?? ""),
                repeatKey: .idempotency(userId: user.id, key: "web-form:\(draft.formKey):\(fingerprint.prefix(16))", requestSHA256: fingerprint),
                correlationId: context.correlationId)
            context.logger.info("submission received from the web form", metadata: ["submission.id": .string(created.id.uuidString.lowercased())])
            return Response(status: .seeOther, headers: [.location: "/submissions/\(created.id.uuidString.lowercased())?sent=1"])
        } catch let error as APIError where error.status.code < 500 {
            let problem = SubmitForm.problem(error)
            return try await render(
                form: draft, errors: [problem.field: problem.message], preview: nil, request: request, user: user, session: session,
                status: error.status == .contentTooLarge ? .contentTooLarge : .badRequest)
        }
    }

    /// The body as it will read, for the script's preview button (the page without script posts the whole form).
    func preview(_ request: Request, _ context: PortalContext) async throws -> Response {
        let form = try await Form.read(request)
        _ = try signIn.signedIn(request, context, form: form)
        var draft = SubmitForm()
        draft.body = form["body"] ?? ""
        draft.bodyFormat = form["bodyFormat"] ?? "markdown"
        return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(string: draft.previewHTML)))
    }

    func listPage(_ request: Request, _ context: PortalContext) async throws -> Response {
        let (user, session) = try signIn.signedIn(request, context, form: nil)
        let wanted = request.uri.queryParameters.get("trang-thai").flatMap { ArticleState(rawValue: String($0)) }
        let items = try await store.list(unit: user.unitCode ?? "", status: wanted?.rawValue, from: nil, to: nil, limit: 200)
        let unitName = try await store.unitName(user.unitCode ?? "") ?? user.unitCode ?? ""
        return render("submissions", [
            "title": "Tin đã gửi của \(unitName)", "unitName": unitName,
            "states": ArticleState.allCases.map { ["code": $0.rawValue, "label": $0.vietnamese, "selected": $0 == wanted] },
            "items": items.map(Self.row), "hasItems": !items.isEmpty, "filtered": wanted != nil,
        ], request: request, user: (user, session))
    }

    func detailPage(_ request: Request, _ context: PortalContext) async throws -> Response {
        let (user, session) = try signIn.signedIn(request, context, form: nil)
        guard let id = context.parameters.get("id").flatMap(UUID.init(uuidString:)),
              let status = try await store.status(of: id, forUnit: user.unitCode ?? "") else {
            throw NotFoundPage(what: "Không có tin này trong các tin của đơn vị.")
        }
        let state = ArticleState(rawValue: status.status)
        return render("submission", [
            "title": status.title, "item": Self.row(status),
            "sent": request.uri.queryParameters.get("sent") != nil,
            "mayResubmit": state == .returned,
            "flags": status.flags.map(SubmissionFlag.vietnamese), "hasFlags": !status.flags.isEmpty,
        ], request: request, user: (user, session))
    }

    static func row(_ status: SubmissionStatus) -> [String: Any] {
        let state = ArticleState(rawValue: status.status)
        let optional: [String: Any?] = ["note": status.note, "publishedUrl": status.publishedUrl]
        return optional.compactMapValues { $0 }.merging([
            "id": status.id, "title": VisibleText.isBlank(status.title) ? "(không có tiêu đề)" : status.title, "kind": ContentKind(rawValue: status.kind)?.vietnamese ?? status.kind,
            "status": status.statusLabel,
            "receivedAt": PortalCalendar.dateTime(status.receivedAt),
            "refused": state == .returned || state == .rejected, "returned": state == .returned,
        ]) { $1 }
    }

    // MARK: Rendering

    func render(
        form: SubmitForm, errors: [String: String], preview: String?, request: Request,
        user: AuthenticatedUser, session: WebSession, status: HTTPResponse.Status
    ) async throws -> Response {
        var values: [String: Any?] = form.values(errors: errors)
        values["title"] = form.replaces == nil ? "Gửi tin" : "Sửa và gửi lại"
        values["resubmission"] = form.replaces != nil
        values["ownSite"] = try await store.ownSite(of: user.unitCode ?? "")
        values["portal"] = SiteDomain.portal
        values["preview"] = preview
        values["error"] = errors.isEmpty ? nil : "Chưa gửi được: vui lòng sửa mục được đánh dấu bên dưới."
        values["today"] = LocalDate.today.description
        values["maxMegabytes"] = maxAttachmentBytes / (1024 * 1024)
        return render("submit", values, request: request, user: (user, session), status: status)
    }

    /// `data`'s nil values are left out: Mustache would print them as "nil" and treat them as present.
    func render(
        _ template: String, _ data: [String: Any?], request: Request? = nil, user: (AuthenticatedUser, WebSession)?, status: HTTPResponse.Status = .ok
    ) -> Response {
        var values = data.compactMapValues { $0 }
        if let (user, session) = user {
            values["user"] = ["fullName": user.fullName, "csrf": session.csrf]
            values["csrf"] = session.csrf
            if let request {
                let areas = StaffArea.links(for: user, current: .submission, request: request)
                values["staffAreas"] = areas
                values["hasStaffAreas"] = areas.count > 1
            }
        }
        return StaffPage.response(library.render(values, withTemplate: template), template: template, status: status)
    }
}

/// A page of the unit's submissions that does not exist or is another unit's: 404, in Vietnamese.
struct NotFoundPage: HTTPResponseError {
    let what: String
    var status: HTTPResponse.Status { .notFound }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let html = """
            <!DOCTYPE html>
            <html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
            <title>Không tìm thấy – Not found</title></head>
            <body><main><h1>Không tìm thấy</h1><p>\(HTMLSanitizer.escape(what))</p>
            <p><a href="/submissions">Tin đã gửi</a> · <a href="/submit">Gửi tin</a></p></main></body></html>
            """
        return StaffPage.response(html, template: "not-found", status: .notFound)
    }
}
