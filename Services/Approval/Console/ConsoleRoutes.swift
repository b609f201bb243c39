import ContentSafety
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import Models
import Mustache
import ServiceKit
import Store

/// The editorial console: server-rendered pages in Vietnamese (English at `?lang=en`), usable
/// without JavaScript, signed in by session cookie, every form protected by a CSRF token. It calls
/// the same code as the API, so a page can do exactly what the API allows and says why not.
struct ConsoleRoutes: Sendable {
    let library: MustacheLibrary
    let database: DatabasePool
    let queries: EditorialQueries
    let edits: ArticleEdits
    let actions: EditorialActions
    let delegations: Delegations
    let quarantine: QuarantineDecisions
    let passwords: Passwords
    let originals: Originals

    static func templates() async throws -> MustacheLibrary {
        guard let folder = Bundle.module.path(forResource: "Templates", ofType: nil) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "Console/Templates in the approval bundle"])
        }
        return try await MustacheLibrary(directory: folder)
    }

    func register(on router: Router<PortalContext>) {
        let console = router.group("/console")
        console.get("/login") { request, context in
            loginPage(request, context, error: nil, status: .ok, name: "", next: SignInReturn.next(request, within: StaffArea.editorial.pages))
        }
        console.post("/login") { request, context in try await login(request, context) }
        console.post("/logout") { request, context in
            _ = try await signedIn(request, context, form: try await Form.read(request))
            context.sessions.clearSession()
            return Self.redirect("/console/login")
        }
        console.get { request, context in try await queuePage(request, context) }
        console.get("/quarantine") { request, context in try await quarantinePage(request, context, error: nil) }
        console.get("/quarantine/:id") { request, context in
            try await originalPage(request, context) { user, session in
                let mail = try await originals.heldMail(try Self.id(context), for: user)
                return render("held", [
                    "title": mail.subject.isEmpty ? "(không có tiêu đề)" : mail.subject,
                    "mail": [
                        "from": mail.from ?? "—", "reason": mail.reason, "reasonLabel": mail.reasonLabel, "text": mail.text ?? "",
                        "html": mail.html as Any, "headers": mail.headers.map { ["name": $0.name, "value": $0.value] },
                        "attachments": mail.attachments.map { ["filename": $0.filename, "contentType": $0.contentType, "size": $0.size] },
                    ] as [String: Any],
                    "receivedAtLocal": PortalCalendar.dateTime(mail.receivedAt), "hasAttachments": !mail.attachments.isEmpty,
                    "rawUrl": "/console/quarantine/\(mail.id)/raw",
                ], request, context, user: (user, session))
            }
        }
        console.get("/quarantine/:id/raw") { request, context in
            try await originalPage(request, context) { user, _ in
                let id = try Self.id(context)
                let raw = try await originals.raw(id, for: user)
                return Originals.fileResponse(raw, filename: "thu-\(id.uuidString.lowercased()).eml", forceDownload: true, contentType: "message/rfc822")
            }
        }
        console.get("/articles/:id/attachments/:sha256") { request, context in
            try await originalPage(request, context) { user, _ in
                let file = try await originals.attachment(of: try Self.id(context), sha256: context.parameters.get("sha256") ?? "", for: user)
                return Originals.fileResponse(file.bytes, filename: file.ref.filename)
            }
        }
        console.post("/quarantine/:id/:decision") { request, context in try await quarantineDecision(request, context) }
        console.get("/articles/:id") { request, context in try await articlePage(request, context, error: nil, status: .ok) }
        console.get("/articles/:id/edit") { request, context in try await editPage(request, context, error: nil, status: .ok) }
        console.post("/articles/:id/edit") { request, context in try await saveEdit(request, context) }
        console.get("/articles/:id/diff") { request, context in try await diffPage(request, context) }
        console.get("/articles/:id/audit") { request, context in try await auditPage(request, context) }
        for (path, release) in [("lock", false), ("unlock", true)] {
            console.post("/articles/:id/\(path)") { request, context in
                let (user, _) = try await signedIn(request, context, form: try await Form.read(request))
                let id = try Self.id(context)
                do {
                    _ = try await edits.lock(id, by: user, release: release)
                } catch let error as APIError {
                    return try await articlePage(request, context, error: problem(error, request, context), status: error.status)
                }
                return Self.redirect("/console/articles/\(id.uuidString.lowercased())\(release ? "?done=unlocked" : "")")
            }
        }
        console.post("/articles/:id/:action") { request, context in try await decide(request, context) }
        console.get("/delegations") { request, context in try await delegationsPage(request, context, error: nil, status: .ok) }
        console.post("/delegations") { request, context in try await createDelegation(request, context) }
        console.post("/delegations/:id/revoke") { request, context in
            let form = try await Form.read(request)
            let (user, _) = try await signedIn(request, context, form: form)
            guard form["confirm"] == "1" else {
                return try await delegationsPage(request, context, error: text(request, context)["confirmMissing"], status: .badRequest)
            }
            do {
                try await delegations.revoke(try Self.id(context), by: user, correlationId: context.correlationId)
            } catch let error as APIError {
                return try await delegationsPage(request, context, error: problem(error, request, context), status: error.status)
            }
            return Self.redirect("/console/delegations")
        }
    }

    // MARK: Pages

    func loginPage(
        _ request: Request, _ context: PortalContext, error: String?, status: HTTPResponse.Status, name: String, next: String = ""
    ) -> Response {
        // Before a session exists, the form's token is checked against a cookie (double submit).
        let token = WebSession.randomToken()
        var response = render("login", ["title": text(request, context)["loginHeading"] ?? "", "loginCsrf": token, "loginName": name,
                                        "error": error as Any, "next": next], request, context, user: nil, status: status)
        response.setCookie(Cookie(name: "portal_login_csrf", value: token, maxAge: 1800, path: "/console/login", httpOnly: true))
        return response
    }

    func login(_ request: Request, _ context: PortalContext) async throws -> Response {
        let form = try await Form.read(request)
        let next = SignInReturn.page(form["next"], within: StaffArea.editorial.pages) ?? ""
        let t = text(request, context)
        guard let cookie = request.cookies["portal_login_csrf"]?.value, !cookie.isEmpty, form["_csrf"] == cookie else {
            return loginPage(request, context, error: t["forbidden"], status: .forbidden, name: form["login"] ?? "", next: next)
        }
        let login = (form["login"] ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        let id: UUID
        switch try await passwords.check(login: login, password: form["password"] ?? "", address: context.clientAddress(request)) {
        case .user(let user): id = user
        case .wrongPassword: return loginPage(request, context, error: t["loginFailed"], status: .unauthorized, name: login, next: next)
        case .lockedOut(let until):
            return loginPage(request, context, error: Passwords.lockoutMessage(until: until, language: language(request, context)),
                             status: .tooManyRequests, name: login, next: next)
        }
        guard let user = try await ApiTokens(database: database).user(id: id) else {
            return loginPage(request, context, error: t["loginFailed"], status: .unauthorized, name: login, next: next)
        }
        guard Access.isEditor(user) || Access.isBoard(user) else {
            return loginPage(request, context, error: t["consoleNotForYou"], status: .forbidden, name: login, next: next)
        }
        // A new session id at every sign-in, so that an id planted before it is worthless.
        context.sessions.createSession(WebSession(userId: user.id, language: language(request, context)), expiresIn: .seconds(8 * 60 * 60))
        return Self.redirect(next.isEmpty ? "/console" : next)
    }

    func queuePage(_ request: Request, _ context: PortalContext) async throws -> Response {
        let (user, session) = try await signedIn(request, context, form: nil)
        let parameters = request.uri.queryParameters
        func parameter(_ name: String) -> String? {
            parameters.get(name).map { String($0).trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
        }
        let defaultState = Access.isBoard(user) && !Access.isEditor(user) ? ArticleState.pendingApproval : .received
        let state = parameter("state").flatMap { ArticleState(rawValue: $0) } ?? defaultState
        let english = language(request, context) == "en"
        let t = text(request, context)
        let newest = parameter("order") == "newest"
        let search = parameter("q").map { String($0.prefix(200)) }
        let unit = parameter("unit"), kind = parameter("kind").flatMap { ContentKind(rawValue: $0) }
        let mine = parameter("mine") != nil
        let page = PageNumber(parameters.get("page"))
        let pageSize = 50
        let items = try await queries.queue(
            for: user, state: state.rawValue, unit: unit, assignedToMe: mine, newestFirst: newest, limit: pageSize + 1,
            offset: page.offset(pageSize: pageSize), search: search, kind: kind?.rawValue)
        let counts = try await queries.workingCounts(for: user)
        let units = try await database.withConnection {
            try $0.query("SELECT code, name FROM core.units ORDER BY name").rows.map {
                (code: try $0.decode("code", as: String.self), name: try $0.decode("name", as: String.self))
            }
        }
        // The filters other than the state, carried by the tabs, the order link and the pages.
        var kept = URLComponents()
        kept.queryItems = [("q", search), ("unit", unit), ("kind", kind?.rawValue), ("mine", mine ? "1" : nil)]
            .compactMap { name, value in value.map { URLQueryItem(name: name, value: $0) } }
        let filters = kept.percentEncodedQuery.map { "&" + $0 } ?? ""
        let states: [[String: Any]] = [ArticleState.received, .inEditing, .pendingApproval, .approved, .published, .returned, .rejected, .takenDown]
            .map { tab in
                var entry: [String: Any] = ["code": tab.rawValue, "label": Labels.state(tab, english: english), "current": tab == state,
                                            "link": "/console?state=\(tab.rawValue)\(filters)"]
                if let count = counts[tab] { entry["count"] = VietnameseNumber.grouped(count) }
                return entry
            }
        let base = "/console?state=\(state.rawValue)&order=\(newest ? "newest" : "oldest")\(filters)"
        return render("queue", [
            "title": t["queue"] ?? "", "states": states, "stateHeading": Labels.state(state, english: english),
            "noItems": items.isEmpty, "state": state.rawValue, "order": newest ? "newest" : "oldest",
            "search": search ?? "", "mine": mine, "filtered": search != nil || unit != nil || kind != nil || mine,
            "units": units.map { ["code": $0.code, "name": $0.name, "selected": $0.code == unit] },
            "kinds": ContentKind.allCases.map { ["code": $0.rawValue, "label": Labels.kind($0.rawValue, english: english), "selected": $0 == kind] },
            "caption": t[newest ? "queueCaptionNewest" : "queueCaptionOldest"] ?? "",
            "orderLink": "/console?state=\(state.rawValue)&order=\(newest ? "oldest" : "newest")\(filters)",
            "orderLabel": t[newest ? "oldestFirst" : "newestFirst"] ?? "",
            "previousPage": page.previous.map { "\(base)&page=\($0)" },
            "nextPage": items.count > pageSize ? page.next.map { "\(base)&page=\($0)" } : nil,
            "items": items.prefix(pageSize).map { item -> [String: Any] in
                ["id": item.id, "title": VisibleText.isBlank(item.title) ? "(không có tiêu đề)" : item.title, "unitName": item.unitName, "kindLabel": Labels.kind(item.kind, english: english),
                 "stateLabel": Labels.state(ArticleState(rawValue: item.state) ?? .received, english: english),
                 "receivedAtISO": Timestamp.format(item.receivedAt), "receivedAtLocal": PortalCalendar.dateTime(item.receivedAt),
                 "restricted": item.restricted, "lockedBy": item.lockedByName ?? item.lockedBy as Any, "why": item.why as Any]
            },
        ], request, context, user: (user, session))
    }

    func articlePage(_ request: Request, _ context: PortalContext, error: String?, status: HTTPResponse.Status) async throws -> Response {
        let (user, session) = try await signedIn(request, context, form: nil)
        let view: ArticleView
        do {
            view = try await queries.view(try Self.id(context), for: user, correlationId: context.correlationId)
        } catch let problem as APIError {
            return message(self.problem(problem, request, context), request, context, user: (user, session), status: problem.status)
        }
        let english = language(request, context) == "en"
        let t = text(request, context)
        let allowed = Set(view.allowedActions)
        let screens = Labels.prescreen(view.prescreen, english: english)
        let unitName = try await database.withConnection {
            try $0.query("SELECT name, name_en FROM core.units WHERE code = $1", [view.unit]).rows.first
                .map { english ? (try $0.decodeIfPresent("name_en", as: String.self) ?? $0.decode("name")) : try $0.decode("name", as: String.self) }
        } ?? view.unit
        let classification = view.revision.classification
        let numbers = view.revisions.map(\.number)
        // People by name, not login: the lock holder and the revisions' authors.
        let logins = Set(([view.lockedBy] + view.revisions.map(\.createdBy)).compactMap { $0 })
        let (names, genreName) = try await database.withConnection { connection in
            let names = try connection.query("SELECT login, full_name FROM core.users WHERE login = ANY($1::text[])", [SQLArray.literal(Array(logins))])
                .rows.reduce(into: [String: String]()) { $0[try $1.decode("login")] = try $1.decode("full_name") }
            let genre = try classification.genre.flatMap {
                try connection.query("SELECT name_vi, name_en FROM core.royalty_genres WHERE genre = $1 ORDER BY effective_from DESC LIMIT 1", [$0]).rows.first
                    .map { try $0.decode(english ? "name_en" : "name_vi", as: String.self) }
            }
            return (names, genre)
        }
        let lockIsMine = view.lockedBy == user.login
        let publishedLinks = view.publishedUrl.map { url in
            Self.publishedSites(classification, url: url).map { ["url": $0] }
        } ?? []
        return render("article", [
            "title": view.revision.title, "id": view.id, "stateLabel": Labels.state(ArticleState(rawValue: view.state) ?? .received, english: english),
            "unitName": unitName, "kindLabel": Labels.kind(view.kind, english: english),
            "receivedAtISO": Timestamp.format(view.receivedAt), "receivedAtLocal": PortalCalendar.dateTime(view.receivedAt),
            "lockedBy": view.lockedBy.map { names[$0] ?? $0 } as Any, "lockIsMine": lockIsMine,
            "lockedUntilLocal": view.lockedUntil.map(PortalCalendar.dateTime) as Any, "why": view.why as Any,
            "whyNot": view.whyNot.flatMap(ApprovalRefusal.init(code:)).map { english ? $0.english : $0.vietnamese } as Any,
            "publishedLinks": publishedLinks, "hasPublishedLinks": !publishedLinks.isEmpty,
            "wishedDate": Self.detail("wishedPublicationDate", in: view.revision.details).flatMap(LocalDate.init(iso:))?.vietnamese as Any,
            "publishedRevision": view.publishedRevision as Any,
            "screens": screens.isEmpty ? false : ["lines": screens] as Any,
            "revision": view.revision, "bodyShown": Self.bodyShown(view), "attachments": view.revision.attachments.map {
                ["filename": $0.filename, "contentType": $0.contentType, "size": VietnameseNumber.fileSize($0.size), "altText": $0.altText as Any,
                 "url": "/console/articles/\(view.id)/attachments/\($0.sha256)", "isImage": Self.drawable($0)]
            },
            "flags": view.flags.isEmpty ? false : ["items": view.flags.map { Labels.flag($0) }] as Any,
            "quotedHistory": Self.quotedHistory(view.revision.details) as Any,
            "hasAttachments": !view.revision.attachments.isEmpty,
            "genreLabel": genreName ?? classification.genre ?? "—",
            "coefficient": classification.coefficientHundredths.map(VietnameseNumber.hundredths) ?? "—",
            "authorsText": classification.authors.map { "\($0.name)\($0.share.map { " (\($0)%)" } ?? "")" }.joined(separator: "; "),
            "sitesText": classification.targetSites.joined(separator: ", "),
            "publishAtShown": classification.publishAt.map(PortalCalendar.dateTime) as Any,
            "can": ["edit": allowed.contains("edit"), "submit": allowed.contains("submit-for-approval"), "approve": allowed.contains("approve"),
                    "reject": allowed.contains("reject"), "return": allowed.contains("return"), "takeDown": allowed.contains("take-down")],
            "reasons": RefusalReason.allCases.map { ["code": $0.rawValue, "label": english ? $0.english : $0.vietnamese] },
            "approval": view.approval.map { ["approver": $0.approver ?? "", "rule": Self.ruleLabel($0.rule, english: english), "contentSHA256": $0.contentSHA256,
                                              "signature": $0.signature, "keyId": $0.keyId,
                                              "verification": $0.verified ? (t["signatureValid"] ?? "") : (t["signatureInvalid"] ?? "")] } as Any,
            "revisions": view.revisions.map { revision -> [String: Any] in
                let previous = numbers.last { $0 < revision.number }
                return ["number": revision.number, "createdBy": names[revision.createdBy] ?? revision.createdBy, "createdAtLocal": PortalCalendar.dateTime(revision.createdAt),
                        "changeNote": revision.changeNote ?? "", "previous": previous as Any, "id": view.id]
            },
            "decisions": view.decisions.map { decision -> [String: Any] in
                ["whenLocal": PortalCalendar.dateTime(decision.createdAt), "actorName": decision.actorName ?? "",
                 "fromLabel": Labels.state(ArticleState(rawValue: decision.fromState) ?? .received, english: english),
                 "toLabel": Labels.state(ArticleState(rawValue: decision.toState) ?? .received, english: english),
                 "rule": decision.rule.map { Self.ruleLabel($0, english: english) } as Any, "refusalReasonLabel": decision.refusalReasonLabel as Any, "note": decision.note ?? ""]
            },
            "error": error as Any,
            "notice": request.uri.queryParameters.get("done").flatMap { $0 == "unlocked" ? t["lockReleased"] : t["done"] } as Any,
        ], request, context, user: (user, session), status: status)
    }

    /// The field a refused save names, so that the form marks it and puts the message beside it.
    static func field(of code: String) -> String? {
        switch code {
        case "invalid_title": "title"
        case "body_required", "invalid_body_format": "body"
        case "invalid_coefficient", "coefficient_above_maximum": "coefficient"
        case "invalid_genre": "genre"
        case "authors_required", "invalid_author_shares": "authors"
        case "invalid_target_site", "unknown_target_site": "targetSites"
        case "change_note_required": "changeNote"
        case "invalid_publish_at": "publishAt"
        default: nil
        }
    }

    /// A coefficient as Vietnamese write it: 8,5 (no trailing zeros).
    static func vietnameseNumber(hundredths: Int) -> String { VietnameseNumber.hundredths(hundredths) }

    /// Reads "8,5", "8.5" or "8" as a coefficient; nil when it is none of these.
    static func coefficient(_ text: String?) -> Double? {
        guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        // A single comma or dot is the decimal mark; anything else (1.234,5) is not a coefficient.
        let normalised = text.replacingOccurrences(of: ",", with: ".")
        guard normalised.filter({ $0 == "." }).count <= 1 else { return .nan }
        return Double(normalised) ?? .nan
    }

    func editPage(
        _ request: Request, _ context: PortalContext, error: String?, status: HTTPResponse.Status, submitted: Form? = nil,
        errorCode: String? = nil
    ) async throws -> Response {
        let (user, session) = try await signedIn(request, context, form: nil)
        let view: ArticleView
        do {
            view = try await queries.view(try Self.id(context), for: user, correlationId: context.correlationId)
        } catch let problem as APIError {
            return message(self.problem(problem, request, context), request, context, user: (user, session), status: problem.status)
        }
        let english = language(request, context) == "en"
        let classification = view.revision.classification
        let genreRows = try await database.withConnection { connection in
            try connection.query(
                """
                SELECT genre, name_vi, name_en, max_coefficient::text AS max FROM core.royalty_genres
                WHERE effective_to IS NULL OR effective_to >= (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date ORDER BY name_vi
                """
            ).rows.map { row in
                (try row.decode("genre", as: String.self), try row.decode(english ? "name_en" : "name_vi", as: String.self),
                 Double(try row.decode("max", as: String.self)).map { VietnameseNumber.decimal($0, fractionDigits: 2) } ?? "")
            }
        }
        let genres = genreRows.map { code, label, maximum -> [String: Any] in
            ["code": code, "label": label, "maximum": maximum, "selected": code == classification.genre]
        }
        // A refused save comes back with everything the editor typed, the faulty field marked.
        func typed(_ key: String, _ stored: String) -> String { submitted?[key] ?? stored }
        let selectedGenre = submitted.map { $0["genre"] ?? "" } ?? classification.genre ?? ""
        let selectedKind = typed("kind", view.revision.kind), selectedFormat = typed("bodyFormat", view.revision.bodyFormat)
        var values: [String: Any] = [
            "title": view.revision.title, "id": view.id, "revision": view.revision,
            "formRevision": typed("revision", String(view.revision.number)),
            "fieldTitle": typed("title", view.revision.title), "fieldSummary": typed("summary", view.revision.summary ?? ""),
            "fieldBody": typed("body", view.revision.body), "fieldChangeNote": typed("changeNote", ""),
            "formats": [("markdown", "Markdown"), ("html", "HTML"), ("text", english ? "Plain text" : "Văn bản thuần")].map {
                ["code": $0.0, "label": $0.1, "selected": $0.0 == selectedFormat]
            },
            "kinds": ContentKind.allCases.map { ["code": $0.rawValue, "label": Labels.kind($0.rawValue, english: english), "selected": $0.rawValue == selectedKind] },
            "genres": genres.map { genre -> [String: Any] in
                var genre = genre
                genre["selected"] = genre["code"] as? String == selectedGenre
                return genre
            },
            "coefficient": typed("coefficient", classification.coefficientHundredths.map(Self.vietnameseNumber) ?? ""),
            "authorsLines": typed("authors", classification.authors.map { "\($0.name)\($0.share.map { "; \($0)" } ?? "")" }.joined(separator: "\n")),
            "sitesText": typed("targetSites", classification.targetSites.joined(separator: ", ")),
            "categoriesText": typed("categories", classification.categories.joined(separator: ", ")),
            "alsoOnOwnSite": submitted.map { $0["alsoOnOwnSite"] == "true" } ?? classification.alsoOnOwnSite, "error": error as Any,
            "publishAt": typed("publishAt", classification.publishAt.map(PortalCalendar.localDateTime) ?? ""),
        ]
        // Saved by someone else meanwhile: what this editor typed stays, and the next save goes on
        // top of the newer revision once they have seen what it changed (a save refused for ever,
        // or one that throws the typing away, would each lose work).
        if errorCode == "stale_revision", let typedRevision = submitted?["revision"].flatMap({ Int($0) }), typedRevision != view.revision.number {
            values["formRevision"] = String(view.revision.number)
            values["staleDiff"] = "/console/articles/\(view.id)/diff?from=\(typedRevision)&to=\(view.revision.number)\(english ? "&lang=en" : "")"
            values["error"] = english
                ? "Someone saved revision \(view.revision.number) while you were editing. What you typed is kept below: see what changed, then save to make it the next revision."
                : "Trong lúc ông/bà sửa, tin đã được lưu thành phiên bản \(view.revision.number). Nội dung ông/bà nhập vẫn giữ bên dưới: xem thay đổi, rồi bấm Lưu để lưu thành phiên bản tiếp theo."
        }
        // Fields with a place for their message beside them; others keep it at the top.
        let inline: Set<String> = ["title", "body", "coefficient", "authors", "changeNote"]
        if let field = errorCode.flatMap(Self.field(of:)), inline.contains(field), let error {
            values["invalid"] = [field: true]
            values["fieldError"] = [field: error]
            values["error"] = "Chưa lưu được: xem ô được đánh dấu bên dưới. / Not saved: see the marked field below."
        }
        return render("edit", values, request, context, user: (user, session), status: status)
    }

    func saveEdit(_ request: Request, _ context: PortalContext) async throws -> Response {
        let form = try await Form.read(request)
        let (user, _) = try await signedIn(request, context, form: form)
        let id = try Self.id(context)
        let authors = (form["authors"] ?? "").split(whereSeparator: \.isNewline).compactMap { line -> AuthorShare? in
            let parts = line.split(separator: ";", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard let name = parts.first, !name.isEmpty else { return nil }
            return AuthorShare(name: name, share: parts.count > 1 ? Int(parts[1].replacingOccurrences(of: "%", with: "")) : nil)
        }
        func list(_ key: String) -> [String] {
            (form[key] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        let publishAtText = (form["publishAt"] ?? "").trimmingCharacters(in: .whitespaces)
        let publishAt = publishAtText.isEmpty ? nil : PortalCalendar.moment(localDateTime: publishAtText)
        if !publishAtText.isEmpty, publishAt == nil {
            return try await editPage(
                request, context, error: "Giờ đăng “\(publishAtText.prefix(40))” không đọc được; chọn ngày và giờ trong ô. / The publication time is not a date and time.",
                status: .unprocessableContent, submitted: form, errorCode: "invalid_publish_at")
        }
        let changes = ArticleChanges(
            title: form["title"], summary: form["summary"], body: form["body"], bodyFormat: form["bodyFormat"],
            classification: .init(
                kind: form["kind"], genre: form["genre"].flatMap { $0.isEmpty ? nil : $0 },
                coefficient: Self.coefficient(form["coefficient"]),
                surcharges: nil, authors: authors.isEmpty ? nil : authors, fields: nil, categories: list("categories"),
                targetSites: list("targetSites").isEmpty ? nil : list("targetSites"), alsoOnOwnSite: form["alsoOnOwnSite"] == "true",
                publishAt: publishAt, clearPublishAt: publishAt == nil),
            changeNote: form["changeNote"].flatMap { $0.isEmpty ? nil : $0 })
        do {
            _ = try await edits.edit(id, from: Int(form["revision"] ?? "") ?? -1, changes: changes, by: user, correlationId: context.correlationId)
        } catch let error as APIError {
            return try await editPage(request, context, error: problem(error, request, context), status: error.status, submitted: form, errorCode: error.code)
        }
        return Self.redirect("/console/articles/\(id.uuidString.lowercased())?done=1")
    }

    func decide(_ request: Request, _ context: PortalContext) async throws -> Response {
        let form = try await Form.read(request)
        let (user, _) = try await signedIn(request, context, form: form)
        let id = try Self.id(context)
        let decision: DecisionRequest
        switch context.parameters.get("action") ?? "" {
        case "submit-for-approval": decision = .submitForApproval
        case "approve": decision = .approve(revision: Int(form["revision"] ?? "") ?? -1)
        case "reject": decision = .reject(reason: form["reason"] ?? "", note: form["note"] ?? "")
        case "return": decision = .returnForRevision(note: form["note"] ?? "")
        case "take-down": decision = .takeDown(reason: form["reason"] ?? "", publicExplanation: form["publicExplanation"] ?? "")
        default: throw HTTPError(.notFound)
        }
        // Decisions that cannot be taken back without another decision are confirmed first.
        if ["approve", "reject", "take-down"].contains(context.parameters.get("action") ?? ""), form["confirm"] != "1" {
            return try await articlePage(request, context, error: text(request, context)["confirmMissing"], status: .badRequest)
        }
        do {
            try await actions.perform(decision, on: id, by: user, correlationId: context.correlationId)
        } catch let error as APIError {
            return try await articlePage(request, context, error: problem(error, request, context), status: error.status)
        }
        return Self.redirect("/console/articles/\(id.uuidString.lowercased())?done=1")
    }

    func diffPage(_ request: Request, _ context: PortalContext) async throws -> Response {
        let (user, session) = try await signedIn(request, context, form: nil)
        let query = request.uri.queryParameters
        let id = try Self.id(context)
        let diff: RevisionDiff
        do {
            diff = try await queries.diff(id, from: Int(query.get("from") ?? "") ?? 0, to: Int(query.get("to") ?? "") ?? 0, for: user)
        } catch let problem as APIError {
            return message(self.problem(problem, request, context), request, context, user: (user, session), status: problem.status)
        }
        let english = language(request, context) == "en"
        let t = text(request, context)
        func segments(_ list: [RevisionDiff.Segment]) -> [[String: Any]] {
            list.map { ["text": $0.text, "kept": $0.op == "=", "removed": $0.op == "-", "added": $0.op == "+"] }
        }
        let paragraphLabels = ["=": "", "-": t["paragraphRemoved"] ?? "", "+": t["paragraphAdded"] ?? "", "~": t["paragraphChanged"] ?? ""]
        let genres = try await database.withConnection { connection in
            try connection.query("SELECT DISTINCT ON (genre) genre, name_vi, name_en FROM core.royalty_genres ORDER BY genre, effective_from DESC")
                .rows.reduce(into: [String: String]()) { $0[try $1.decode("genre")] = try $1.decode(english ? "name_en" : "name_vi") }
        }
        func shown(_ field: String, _ value: String) -> String {
            if value.isEmpty { return "—" }
            switch field {
            case "kind": return Labels.kind(value, english: english)
            case "genre": return genres[value] ?? value
            default: return value
            }
        }
        return render("diff", [
            "title": t["diffHeading"] ?? "", "id": id.uuidString.lowercased(), "from": diff.from, "to": diff.to,
            "titleSegments": segments(diff.title),
            "paragraphs": diff.body.map { ["css": "diff-\($0.op == "~" ? "changed" : $0.op == "-" ? "del" : $0.op == "+" ? "add" : "kept")",
                                           "label": paragraphLabels[$0.op] ?? "", "segments": segments($0.segments)] },
            "changes": diff.classification.map { ["label": t[$0.field] ?? $0.field, "from": shown($0.field, $0.from), "to": shown($0.field, $0.to)] },
            "hasChanges": !diff.classification.isEmpty,
        ], request, context, user: (user, session))
    }

    func auditPage(_ request: Request, _ context: PortalContext) async throws -> Response {
        let (user, session) = try await signedIn(request, context, form: nil)
        let id = try Self.id(context)
        do {
            _ = try await queries.view(id, for: user, correlationId: context.correlationId)
        } catch let problem as APIError {
            return message(self.problem(problem, request, context), request, context, user: (user, session), status: problem.status)
        }
        let entries = try await database.withConnection { connection in
            try connection.query(
                "SELECT id, at, actor, action, detail::text AS detail FROM core.audit_log WHERE subject = $1 ORDER BY id", [id.uuidString.lowercased()]
            ).rows.map { row in
                (try row.decode("id", as: Int64.self), try row.decode("at", as: Date.self), try row.decode("actor", as: String.self),
                 try row.decode("action", as: String.self), try row.decode("detail", as: String.self))
            }
        }
        let english = language(request, context) == "en"
        let names = try await database.withConnection { connection in
            try connection.query("SELECT login, full_name FROM core.users WHERE login = ANY($1::text[])", [SQLArray.literal(Array(Set(entries.map(\.2))))])
                .rows.reduce(into: [String: String]()) { $0[try $1.decode("login")] = try $1.decode("full_name") }
        }
        let rows = entries.map { id, at, actor, action, detail -> [String: Any] in
            ["id": id, "whenLocal": PortalCalendar.dateTime(at), "actor": names[actor] ?? actor,
             "action": AuditLabels.action(action, english: english), "detail": AuditLabels.detail(detail, english: english)]
        }
        return render("audit", ["title": text(request, context)["auditHeading"] ?? "", "id": id.uuidString.lowercased(), "rows": rows],
                      request, context, user: (user, session))
    }

    func quarantinePage(_ request: Request, _ context: PortalContext, error: String?) async throws -> Response {
        let (user, session) = try await signedIn(request, context, form: nil)
        let page = PageNumber(request.uri.queryParameters.get("page"))
        let pageSize = 20
        let items = try await queries.quarantine(unit: nil, limit: pageSize + 1, offset: page.offset(pageSize: pageSize))
        let units = try await database.withConnection { connection in
            try connection.query("SELECT code, name FROM core.units ORDER BY name").rows
                .map { ["code": try $0.decode("code", as: String.self), "name": try $0.decode("name", as: String.self)] }
        }
        return render("quarantine", [
            "title": text(request, context)["quarantineHeading"] ?? "", "noItems": items.isEmpty, "units": units,
            "previousPage": page.previous.map { "/console/quarantine?page=\($0)" },
            "nextPage": items.count > pageSize ? page.next.map { "/console/quarantine?page=\($0)" } : nil,
            "items": items.prefix(pageSize).map { ["id": $0.id, "title": $0.title.isEmpty ? "—" : $0.title, "from": $0.from ?? "—", "reason": HoldReason.vietnamese($0.reason ?? ""), "reasonCode": $0.reason ?? "",
                                  "receivedAtLocal": PortalCalendar.dateTime($0.receivedAt), "unitName": $0.unitName.isEmpty ? false : $0.unitName as Any] },
            "error": error as Any,
        ], request, context, user: (user, session))
    }

    func quarantineDecision(_ request: Request, _ context: PortalContext) async throws -> Response {
        let form = try await Form.read(request)
        let (user, _) = try await signedIn(request, context, form: form)
        let id = try Self.id(context)
        do {
            switch context.parameters.get("decision") ?? "" {
            case "release":
                let article = try await quarantine.release(id, .init(unit: form["unit"].flatMap { $0.isEmpty ? nil : $0 }), by: user, correlationId: context.correlationId)
                return Self.redirect("/console/articles/\(article.uuidString.lowercased())")
            case "discard":
                try await quarantine.discard(id, .init(reason: form["reason"] ?? ""), by: user, correlationId: context.correlationId)
                return Self.redirect("/console/quarantine")
            default:
                throw HTTPError(.notFound)
            }
        } catch let error as APIError {
            var response = try await quarantinePage(request, context, error: problem(error, request, context))
            response.status = error.status
            return response
        }
    }

    func delegationsPage(_ request: Request, _ context: PortalContext, error: String?, status: HTTPResponse.Status) async throws -> Response {
        let (user, session) = try await signedIn(request, context, form: nil)
        let english = language(request, context) == "en"
        let t = text(request, context)
        let items = try await delegations.list(for: user)
        let isHead = try await database.withConnection { try BoardState.load(on: $0).isHead(user.id, on: LocalDate.of(Date())) } && user.has(.boardHead)
        let deputies = try await database.withConnection { connection in
            try connection.query(
                "SELECT u.login, u.full_name FROM core.users u JOIN core.board_members b ON b.user_id = u.id AND b.position = 'deputy' WHERE u.active ORDER BY u.full_name"
            ).rows.map { ["login": try $0.decode("login", as: String.self), "name": try $0.decode("full_name", as: String.self)] }
        }
        return render("delegations", [
            "title": t["delegationsHeading"] ?? "", "noItems": items.isEmpty, "isHead": isHead, "deputies": deputies,
            "today": LocalDate.of(Date()).description,
            "kinds": ContentKind.allCases.map { ["code": $0.rawValue, "label": Labels.kind($0.rawValue, english: english)] },
            "items": items.map { ["id": $0.id, "delegateName": $0.delegateName, "validFrom": LocalDate(iso: $0.validFrom)?.vietnamese ?? $0.validFrom, "validTo": LocalDate(iso: $0.validTo)?.vietnamese ?? $0.validTo,
                                  "kindsText": $0.kinds.map { $0.map { Labels.kind($0, english: english) }.joined(separator: ", ") } ?? (english ? "all" : "tất cả"),
                                  "statusLabel": ($0.active ? t["active"] : t["inactive"]) ?? "", "active": $0.active, "isHead": isHead] },
            "error": error as Any,
        ], request, context, user: (user, session), status: status)
    }

    func createDelegation(_ request: Request, _ context: PortalContext) async throws -> Response {
        let form = try await Form.read(request)
        let (user, _) = try await signedIn(request, context, form: form)
        let kinds = form.all("kinds[]")
        do {
            _ = try await delegations.create(
                DelegationRequest(delegate: form["delegate"] ?? "", kinds: kinds.isEmpty ? nil : kinds, validFrom: form["validFrom"] ?? "",
                                  validTo: form["validTo"] ?? ""), by: user, correlationId: context.correlationId)
        } catch let error as APIError {
            return try await delegationsPage(request, context, error: problem(error, request, context), status: error.status)
        }
        return Self.redirect("/console/delegations")
    }

    // MARK: Plumbing

    /// The signed-in editor or Board member; a POST must carry the session's CSRF token.
    func signedIn(_ request: Request, _ context: PortalContext, form: Form?) async throws -> (AuthenticatedUser, WebSession) {
        guard let session = context.sessions.session, let user = context.identity else {
            throw Redirect(to: SignInReturn.loginLocation("/console/login", pages: StaffArea.editorial.pages, for: request))
        }
        // One sign-in serves every staff page: the roles are checked here, on every page and action.
        guard StaffArea.editorial.allows(user) else { throw StaffAreaRefusal(.editorial, user: user, request: request) }
        if let form, form["_csrf"] != session.csrf {
            throw FormExpired(returnTo: FormExpired.page(of: request, within: StaffArea.editorial.pages))
        }
        if let wanted = request.uri.queryParameters.get("lang"), ["vi", "en"].contains(wanted), wanted != session.language {
            var changed = session
            changed.language = wanted
            _ = context.sessions.updateSession(changed)
        }
        return (user, session)
    }

    func language(_ request: Request, _ context: PortalContext) -> String {
        if let wanted = request.uri.queryParameters.get("lang"), ["vi", "en"].contains(wanted) { return wanted }
        return context.sessions.session?.language ?? "vi"
    }

    /// A refusal as the person reads it (`ConsoleProblems`).
    func problem(_ error: APIError, _ request: Request, _ context: PortalContext) -> String {
        ConsoleProblems.text(error, english: language(request, context) == "en")
    }

    func text(_ request: Request, _ context: PortalContext) -> [String: String] {
        ConsoleText.table(language(request, context))
    }

    func render(
        _ template: String, _ data: [String: Any], _ request: Request, _ context: PortalContext,
        user: (AuthenticatedUser, WebSession)?, status: HTTPResponse.Status = .ok
    ) -> Response {
        var values = Self.withoutNils(data) as? [String: Any] ?? [:]
        let t = text(request, context)
        values["t"] = t
        if let (user, session) = user {
            values["user"] = ["fullName": user.fullName, "csrf": session.csrf]
            let areas = StaffArea.links(for: user, current: .editorial, request: request)
            values["staffAreas"] = areas
            values["hasStaffAreas"] = areas.count > 1
        }
        values["csrf"] = user?.1.csrf ?? ""
        values["otherLanguageLink"] = "\(request.uri.path)?lang=\(t["otherLang"] ?? "en")"
        return StaffPage.response(library.render(values, withTemplate: template), template: template, status: status)
    }

    /// Removes nil optionals, which Mustache would print as "nil" and treat as present.
    static func withoutNils(_ value: Any) -> Any? {
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional {
            guard let wrapped = mirror.children.first?.value else { return nil }
            return withoutNils(wrapped)
        }
        if let dictionary = value as? [String: Any] {
            return dictionary.compactMapValues { withoutNils($0) }
        }
        if let array = value as? [[String: Any]] {
            return array.map { $0.compactMapValues { withoutNils($0) } }
        }
        return value
    }

    /// A page of what was sent (held mail, a file): a refusal or a missing item is a page of the
    /// console with the reason, as on every other console page, not the API's JSON.
    func originalPage(
        _ request: Request, _ context: PortalContext, _ body: (AuthenticatedUser, WebSession) async throws -> Response
    ) async throws -> Response {
        let (user, session) = try await signedIn(request, context, form: nil)
        do {
            return try await body(user, session)
        } catch let problem as APIError {
            return message(self.problem(problem, request, context), request, context, user: (user, session), status: problem.status)
        }
    }

    func message(_ text: String, _ request: Request, _ context: PortalContext, user: (AuthenticatedUser, WebSession), status: HTTPResponse.Status) -> Response {
        render("message", ["title": text, "heading": text, "backLink": "/console"], request, context, user: user, status: status)
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    static func id(_ context: PortalContext) throws -> UUID {
        guard let id = context.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw HTTPError(.notFound) }
        return id
    }
}

/// Labels people read: states, kinds, pre-screen findings.
extension ConsoleRoutes {
    /// The quoted reply history intake folded away from a mail's body, if any.
    /// An approval rule as the regulation names it; an unknown id as it is.
    static func ruleLabel(_ rule: String?, english: Bool) -> String {
        guard let rule else { return "" }
        return ApprovalRule(rawValue: rule).map { english ? $0.english : $0.vietnamese } ?? rule
    }

    /// The body as editors read it: a picture naming one of the item's files is drawn from where
    /// the console serves that file (a picture a browser cannot draw is a link to it), as the
    /// published page will show it.
    static func bodyShown(_ view: ArticleView) -> String {
        let attachments = Dictionary(view.revision.attachments.map { ($0.publishedPath, $0) }, uniquingKeysWith: { first, _ in first })
        return BodyPictures(attachments: view.revision.attachments).placed(view.revision.bodyHTML) { file in
            guard let attachment = attachments[file.path] else { return .altText }
            let url = "/console/articles/\(view.id)/attachments/\(attachment.sha256)"
            return drawable(attachment) ? .picture(source: url) : .link(href: url, name: file.name)
        }
    }

    /// A picture every browser draws (PNG, JPEG, GIF, WebP); a phone's HEIC is offered as a file.
    static func drawable(_ attachment: AttachmentRef) -> Bool {
        let type = ServedFileType.baseType(of: attachment.contentType)
        return type.hasPrefix("image/") && ServedFileType.recognised.contains(type)
    }

    /// The addresses of the item's published page on each of its sites.
    static func publishedSites(_ classification: Classification, url: String) -> [String] {
        guard let components = URLComponents(string: url), let host = components.host else { return [url] }
        var sites = classification.targetSites
        if !sites.contains(host) { sites.insert(host, at: 0) }
        return sites.map { site in
            var address = components
            address.host = site
            return address.string ?? url
        }
    }

    static func detail(_ name: String, in details: JSONValue) -> String? {
        guard case .object(let fields) = details, case .string(let text)? = fields[name], !text.isEmpty else { return nil }
        return text
    }

    static func quotedHistory(_ details: JSONValue) -> String? {
        guard case .object(let fields) = details, case .string(let text)? = fields["quotedHistory"], !text.isEmpty else { return nil }
        return text
    }
}

enum Labels {
    /// What intake noticed, as editors read it.
    static func flag(_ flag: String) -> String { SubmissionFlag.vietnamese(flag) }

    static func state(_ state: ArticleState, english: Bool) -> String {
        guard english else { return state.vietnamese }
        switch state {
        case .received: return "Received"
        case .inEditing: return "In editing"
        case .pendingApproval: return "Pending approval"
        case .approved: return "Approved"
        case .published: return "Published"
        case .returned: return "Returned"
        case .rejected: return "Rejected"
        case .takenDown: return "Taken down"
        case .withdrawn: return "Withdrawn"
        }
    }

    static func kind(_ code: String, english: Bool) -> String {
        guard let kind = ContentKind(rawValue: code) else { return code }
        return english ? code.replacingOccurrences(of: "_", with: " ").capitalized : kind.vietnamese
    }

    static func prescreen(_ value: JSONValue, english: Bool) -> [String] {
        guard case .object(let fields) = value else { return [] }
        func strings(_ key: String) -> [String] {
            guard case .array(let items)? = fields[key] else { return [] }
            return items.compactMap { if case .string(let text) = $0 { return text } else { return nil } }
        }
        var lines = [String]()
        let stamps = strings("secrecyStamps")
        if !stamps.isEmpty { lines.append((english ? "Secrecy stamp found: " : "Có dấu độ mật: ") + stamps.joined(separator: ", ")) }
        if case .array(let duplicates)? = fields["nearDuplicates"] {
            for case .object(let item) in duplicates {
                if case .string(let title)? = item["title"], case .number(let similarity)? = item["similarity"] {
                    lines.append((english ? "Similar to published item: " : "Gần trùng với tin đã đăng: ") + "\(title) (\(Int(similarity * 100))%)")
                }
            }
        }
        let alt = strings("missingAltText")
        if !alt.isEmpty { lines.append((english ? "Images without alt text: " : "Ảnh chưa có mô tả: ") + alt.joined(separator: ", ")) }
        let metadata = strings("missingMetadata")
        // Dublin Core elements by the names the circular gives them.
        let names = english ? ["description": "description", "creator": "creator"] : ["description": "mô tả", "creator": "người tạo (tác giả)"]
        if !metadata.isEmpty {
            lines.append((english ? "Missing metadata (Circular 24/2011/TT-BTTTT, Art. 4.1): " : "Thiếu dữ liệu đặc tả (Điều 4 khoản 1 Thông tư 24/2011/TT-BTTTT): ")
                + metadata.map { names[$0] ?? $0 }.joined(separator: ", "))
        }
        return lines
    }
}
