import ContentSafety
import Foundation
import Hummingbird
import HummingbirdAuth
import Store

/// The sign-in of one staff area's pages (`StaffArea`), the same for every service that has
/// staff pages: the form's token checked against a cookie before a session exists (double
/// submit), the password checked with bcrypt, a new session id at every sign-in (so that an id
/// planted before it is worthless), and on every later page the session, the roles and, on a
/// form, the session's CSRF token.
public struct StaffSignIn: Sendable {
    public let area: StaffArea
    let database: DatabasePool

    public init(area: StaffArea, database: DatabasePool) {
        self.area = area
        self.database = database
    }

    public var loginPath: String { area.path + "/login" }

    /// Where a signed-in person goes: the page of the area the form carried as `next`, or the area's first page.
    public func destination(_ form: Form) -> String { SignInReturn.page(form["next"], within: area.pages) ?? area.path }

    /// The page a sign-in form carries: from its own address (GET), or as posted (a refused sign-in).
    public func next(_ request: Request, form: Form? = nil) -> String {
        form.map { SignInReturn.page($0["next"], within: area.pages) ?? "" } ?? SignInReturn.next(request, within: area.pages)
    }
    static let cookieName = "portal_login_csrf"
    static let sessionLength = Duration.seconds(8 * 60 * 60)

    /// The token the sign-in form carries, and the cookie that must match it.
    public func formToken() -> (token: String, cookie: Cookie) {
        let token = WebSession.randomToken()
        return (token, Cookie(name: Self.cookieName, value: token, maxAge: 1800, path: loginPath, httpOnly: true))
    }

    /// Why a sign-in was refused, as the person reads it.
    public enum Refusal: Sendable, Equatable {
        /// The form's token did not match: an old page or another site's form.
        case formExpired
        case wrongPassword
        /// Too many failures (`Passwords.check`).
        case lockedOut(until: Date)
        /// The person's roles do not open this area.
        case notForThisArea(StaffArea)

        public var status: HTTPResponse.Status {
            switch self {
            case .formExpired, .notForThisArea: .forbidden
            case .wrongPassword: .unauthorized
            case .lockedOut: .tooManyRequests
            }
        }

        public func message(_ language: String) -> String {
            switch (self, language) {
            case (.formExpired, "en"): "The form has expired; please sign in again."
            case (.formExpired, _): "Biểu mẫu đã hết hạn; vui lòng đăng nhập lại."
            case (.wrongPassword, "en"): "The login or the password is not right."
            case (.wrongPassword, _): "Tên đăng nhập hoặc mật khẩu không đúng."
            case (.lockedOut(let until), _): Passwords.lockoutMessage(until: until, language: language)
            case (.notForThisArea(let area), "en"): "This account's roles do not open the pages “\(area.label)”."
            case (.notForThisArea(let area), _): "Vai trò của tài khoản này không mở được trang “\(area.label)”."
            }
        }
    }

    public enum Outcome: Sendable {
        case signedIn(AuthenticatedUser)
        /// Refused; `login` is what the person typed, to fill the form again.
        case refused(Refusal, login: String)
    }

    /// Checks a posted sign-in form; on success the session exists when this returns.
    public func signIn(_ request: Request, _ context: PortalContext, form: Form, language: String) async throws -> Outcome {
        let login = (form["login"] ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        guard let cookie = request.cookies[Self.cookieName]?.value, !cookie.isEmpty, form["_csrf"] == cookie else {
            return .refused(.formExpired, login: login)
        }
        let id: UUID
        switch try await Passwords(database: database).check(login: login, password: form["password"] ?? "", address: context.clientAddress(request)) {
        case .user(let user): id = user
        case .wrongPassword: return .refused(.wrongPassword, login: login)
        case .lockedOut(let until): return .refused(.lockedOut(until: until), login: login)
        }
        guard let user = try await ApiTokens(database: database).user(id: id) else { return .refused(.wrongPassword, login: login) }
        guard area.allows(user) else { return .refused(.notForThisArea(area), login: login) }
        context.sessions.createSession(WebSession(userId: user.id, language: language), expiresIn: Self.sessionLength)
        return .signedIn(user)
    }

    /// The signed-in person on a page of the area: signed out, to the sign-in form; roles that do
    /// not open the area, the refusal page; a form without the session's token, refused.
    public func signedIn(_ request: Request, _ context: PortalContext, form: Form?) throws -> (AuthenticatedUser, WebSession) {
        guard let session = context.sessions.session, let user = context.identity else {
            throw Redirect(to: SignInReturn.loginLocation(loginPath, pages: area.pages, for: request))
        }
        guard area.allows(user) else { throw StaffAreaRefusal(area, user: user, request: request) }
        if let form, form["_csrf"] != session.csrf { throw FormExpired(returnTo: FormExpired.page(of: request, within: area.pages)) }
        return (user, session)
    }
}

/// A staff form posted without the session's token (an old tab, another site's form): a page in
/// Vietnamese first that says what to do, never the API's JSON.
public struct FormExpired: HTTPResponseError {
    public let returnTo: String

    public init(returnTo: String) {
        self.returnTo = returnTo
    }

    /// The page the refused form was on (its `Referer`, when that is a page of the area), to open
    /// again with a fresh token; the area's first page otherwise. Never the form's own address:
    /// an action (approve, lock, log out) has no page to open.
    public static func page(of request: Request, within pages: [String]) -> String {
        let referer = request.headers[.referer].flatMap { URLComponents(string: $0) }
        let path = referer.map { $0.percentEncodedPath + ($0.percentEncodedQuery.map { "?" + $0 } ?? "") }
        return SignInReturn.page(path, within: pages) ?? pages.first ?? "/"
    }
    public var status: HTTPResponse.Status { .forbidden }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let back = HTMLSanitizer.escape(returnTo)
        let html = """
            <!DOCTYPE html>
            <html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
            <title>Biểu mẫu đã hết hạn – Form expired</title></head>
            <body><main><h1>Biểu mẫu đã hết hạn</h1>
            <p>Trang đã mở quá lâu hoặc biểu mẫu không đến từ trang này. Vui lòng <a href="\(back)">mở lại trang</a> và gửi lại.</p>
            <p lang="en">The form has expired or did not come from this site; open the page again and send it again.</p></main></body></html>
            """
        return StaffPage.response(html, template: "form-expired", status: .forbidden)
    }
}
