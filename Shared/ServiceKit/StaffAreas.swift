import ContentSafety
import Foundation
import Hummingbird
import Models

/// The staff pages of the services, behind one sign-in: the session cookie (`portal_session`)
/// is shared, so a person signed in on one is signed in on all; each page still checks, on every
/// request, that the person's roles allow it. The common header shows only the areas a person
/// may open.
public enum StaffArea: String, CaseIterable, Sendable {
    /// Gửi tin: departments' collaborators and liaisons submit on the web (intake).
    case submission
    /// Biên tập/Duyệt: the editorial console (approval).
    case editorial
    /// Nhuận bút: royalties and the budget (finance).
    case royalties
    /// Hỏi đáp: citizens' questions, drafts for comment and dialogues (feedback).
    case questions

    public var label: String {
        switch self {
        case .submission: "Gửi tin"
        case .editorial: "Biên tập/Duyệt"
        case .royalties: "Nhuận bút"
        case .questions: "Hỏi đáp"
        }
    }

    public var path: String {
        switch self {
        case .submission: "/submit"
        case .editorial: "/console"
        case .royalties: "/finance"
        case .questions: "/feedback"
        }
    }

    /// The paths its pages are under: where a person may be sent back to after signing in.
    public var pages: [String] {
        switch self {
        case .submission: ["/submit", "/submissions"]
        default: [path]
        }
    }

    var service: PortalService {
        switch self {
        case .submission: .intake
        case .editorial: .approval
        case .royalties: .finance
        case .questions: .feedback
        }
    }

    /// The process's settings, read once rather than on every page.
    public static let environment = ProcessInfo.processInfo.environment

    /// Whether a person with these roles may open the area's pages.
    public func allows(_ user: AuthenticatedUser) -> Bool {
        switch self {
        case .submission: (user.has(.collaborator) || user.has(.unitLiaison)) && user.unitCode != nil
        case .editorial: [.editor, .boardHead, .boardDeputy, .boardMember].contains { user.has($0) }
        case .royalties: [.finance, .admin, .boardHead, .boardDeputy].contains { user.has($0) }
        // Officers of the Center and of the units; Board members who take part in dialogues.
        case .questions: [.feedbackOfficer, .boardHead, .boardDeputy, .boardMember].contains { user.has($0) }
        }
    }

    /// The area's address as the person reaches it: on the staff host (`PORTAL_STAFF_URL`, every
    /// staff path on one name behind `deploy/nginx`), or, without one, on the service's own port
    /// of the host the request came to (development, `deploy/run`).
    public func url(for request: Request, environment: [String: String] = StaffArea.environment) -> String {
        if let base = environment["PORTAL_STAFF_URL"], !base.isEmpty { return base + path }
        let authority = request.head.authority ?? "127.0.0.1"
        let host: String
        if authority.hasPrefix("["), let end = authority.firstIndex(of: "]") {
            host = String(authority[...end])  // [::1]
        } else {
            host = authority.split(separator: ":").first.map(String.init) ?? "127.0.0.1"
        }
        let port = environment[service.portVariable].flatMap(Int.init) ?? service.defaultPort
        return "http://\(host):\(port)\(path)"
    }

    /// The header's links for a person: the areas their roles open, the current one marked.
    public static func links(for user: AuthenticatedUser, current: StaffArea, request: Request) -> [[String: Any]] {
        allCases.filter { $0.allows(user) }.map {
            ["label": $0.label, "url": $0.url(for: request), "current": $0 == current]
        }
    }
}

/// A signed-in person whose roles do not open this page: told so, in Vietnamese first, with the
/// areas they may open (HTTP 403), never shown the page.
public struct StaffAreaRefusal: HTTPResponseError {
    public let area: StaffArea
    public let links: [(label: String, url: String)]

    public init(_ area: StaffArea, user: AuthenticatedUser, request: Request) {
        self.area = area
        links = StaffArea.allCases.filter { $0.allows(user) }.map { ($0.label, $0.url(for: request)) }
    }

    public var status: HTTPResponse.Status { .forbidden }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let escape = HTMLSanitizer.escape
        let items = links.map { "<li><a href=\"\(escape($0.url))\">\(escape($0.label))</a></li>" }.joined()
        let html = """
            <!DOCTYPE html>
            <html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
            <title>Không có quyền truy cập – \(escape(area.label))</title></head>
            <body><main><h1>Trang \(escape(area.label)) không thuộc quyền của ông/bà</h1>
            <p>Vai trò của tài khoản này không cho phép mở trang này.</p>
            \(items.isEmpty ? "" : "<p>Ông/bà có thể dùng:</p><ul>\(items)</ul>")
            <p lang="en">Your roles do not open this page.</p></main></body></html>
            """
        return Response(
            status: .forbidden,
            headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}
