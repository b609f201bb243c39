import Foundation
import Models
import ServiceKit
import Store
import Testing

/// The staff's sign-in and API access as an attacker would try them, against the running intake
/// service: cookies that never travel in clear over TLS, API calls by web session that need the
/// session's token, sign-ins that stop after too many failures, tokens narrowed and revocable.
@Suite("Staff sign-in and API tokens under attack", .serialized)
struct StaffSecurityTests {
    typealias Answer = (status: Int?, body: String, headers: [String: String])

    @Test("Cookies are Secure over TLS; an API call by web session needs X-CSRF-Token; five wrong passwords lock a login and twenty lock an address, with a clear message; tokens carry only their roles, end, and are revoked")
    func attacks() async throws {
        try await EditorialFlowTests().withServices { s in
            let tag = UUID().uuidString.prefix(6).lowercased()
            let password = "mat-khau-thu-\(tag)"
            let first = "khoa.\(tag)", second = "khoa2.\(tag)"
            try await s.pool.withTransaction { connection in
                for login in [first, second] {
                    let id: UUID = try connection.query(
                        """
                        INSERT INTO core.users (login, full_name, email, unit_code)
                        SELECT $1, 'Người thử khóa', $1 || '@example.vn', unit_code FROM core.users WHERE login = 'ctv.tuphap' RETURNING id
                        """, [login]).one().decode("id")
                    try connection.query("INSERT INTO core.user_roles (user_id, role) VALUES ($1, 'collaborator'), ($1, 'unit_liaison')", [id])
                }
            }
            for login in [first, second] { try await Passwords(database: s.pool).set(login: login, password: password) }
            let intake = s.intake

            // The sign-in form and its double-submit cookie.
            let form = httpRequest("GET", intake.url("/submit/login"))
            let loginToken = try #require(Self.hidden("_csrf", in: form.body))
            let loginCookie = try #require(Self.cookie("portal_login_csrf", in: form.headers))
            #expect(form.headers["set-cookie"]?.contains("Secure") == false, "over plain HTTP the cookie works as before")
            #expect(httpRequest("GET", intake.url("/submit/login"), headers: ["X-Forwarded-Proto": "https"]).headers["set-cookie"]?.contains("; Secure") == true,
                    "behind TLS every cookie is Secure")
            func signIn(_ login: String, _ password: String, from address: String, overTLS: Bool = false) -> Answer {
                var headers = ["Content-Type": "application/x-www-form-urlencoded", "Cookie": "portal_login_csrf=\(loginCookie)", "X-Forwarded-For": address]
                if overTLS { headers["X-Forwarded-Proto"] = "https" }
                return httpRequest("POST", intake.url("/submit/login"), headers: headers,
                                   body: "_csrf=\(loginToken)&login=\(login)&password=\(password)")
            }

            // Signed in over TLS: the session cookie is Secure, HttpOnly, SameSite=Strict.
            let signedIn = signIn(first, password, from: "198.51.100.10", overTLS: true)
            #expect(signedIn.status == 303, "\(signedIn.body)")
            let sessionCookie = signedIn.headers["set-cookie"] ?? ""
            #expect(sessionCookie.contains("portal_session=") && sessionCookie.contains("Secure") && sessionCookie.contains("HttpOnly")
                    && sessionCookie.contains("SameSite=Strict"), "\(sessionCookie)")
            let session = try #require(Self.cookie("portal_session", in: signedIn.headers))

            // An API call made with the session cookie changes nothing without the session's token.
            let submission = IntakeAPITests().submission(title: "Gửi bằng phiên đăng nhập \(tag)", body: "Nội dung.")
            let withoutToken = httpRequest("POST", intake.url("/api/v1/submissions"),
                                           headers: ["Cookie": "portal_session=\(session)", "Content-Type": "application/json"], body: submission)
            #expect(withoutToken.status == 403 && withoutToken.body.contains("csrf_token_required"), "\(withoutToken.body)")
            let page = httpRequest("GET", intake.url("/submit"), headers: ["Cookie": "portal_session=\(session)"])
            let csrf = try #require(Self.hidden("_csrf", in: page.body), "the submit page carries the session's token")
            let withToken = httpRequest("POST", intake.url("/api/v1/submissions"),
                                        headers: ["Cookie": "portal_session=\(session)", "Content-Type": "application/json", "X-CSRF-Token": csrf],
                                        body: submission)
            #expect(withToken.status == 202, "\(withToken.body)")

            // Five wrong passwords for one login: the fifth says it is locked, and so does the right one.
            for attempt in 1...4 {
                #expect(signIn(first, "sai-\(attempt)", from: "198.51.100.\(20 + attempt)").status == 401)
            }
            let fifth = signIn(first, "sai-5", from: "198.51.100.25")
            #expect(fifth.status == 429 && fifth.body.contains("tạm khóa đăng nhập đến"), "\(fifth.body)")
            #expect(signIn(first, password, from: "198.51.100.26").status == 429, "locked even with the right password")

            // Twenty failures from one address, on any logins: that address waits; another does not.
            for attempt in 1...20 { _ = signIn("khong-co-\(tag)-\(attempt)", "sai", from: "203.0.113.77") }
            #expect(signIn(second, password, from: "203.0.113.77").status == 429, "the address is locked")
            #expect(signIn(second, password, from: "203.0.113.78").status == 303, "another address signs in")

            // Tokens: only some roles, an end, revocation, bound to the unit.
            let portalctl = try s.env.executable("portalctl")
            let settings = ["PORTAL_DATABASE_URL": s.env.databaseURL]
            let narrow = try s.env.run(portalctl, ["token", "create", "--user", second, "--role", "collaborator", "--expires", "2099-12-31"], environment: settings)
            let narrowToken = narrow.output.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(narrow.status == 0 && narrowToken.hasPrefix("lap_"), "\(narrow.output)")
            let me = httpRequest("GET", intake.url("/api/v1/me"), headers: ["Authorization": "Bearer \(narrowToken)"])
            #expect(me.status == 200 && me.body.contains("collaborator") && !me.body.contains("unit_liaison"), "only the token's role: \(me.body)")
            let refused = try s.env.run(portalctl, ["token", "create", "--user", second, "--role", "board_head"], environment: settings)
            #expect(refused.status != 0 && refused.output.contains("does not hold"), "\(refused.output)")
            let past = try s.env.run(portalctl, ["token", "create", "--user", second, "--expires", "2020-01-01"], environment: settings)
            #expect(past.status != 0 && past.output.contains("in the past"), "\(past.output)")
            let listed = try s.env.run(portalctl, ["token", "list", "--user", second], environment: settings)
            #expect(listed.output.contains("roles: collaborator") && listed.output.contains("31/12/2099"), "\(listed.output)")

            let revoked = try s.env.run(portalctl, ["token", "create", "--user", second], environment: settings).output
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let moved = try s.env.run(portalctl, ["token", "create", "--user", first], environment: settings).output
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let revoke = try s.env.run(portalctl, ["token", "revoke", "--user", second], environment: settings)
            #expect(revoke.status == 0 && revoke.output.contains("Revoked 2 tokens"), "\(revoke.output)")
            #expect(httpRequest("GET", intake.url("/api/v1/me"), headers: ["Authorization": "Bearer \(revoked)"]).status == 401, "a revoked token")
            try await s.pool.withConnection {
                try $0.query("UPDATE core.users SET unit_code = (SELECT unit_code FROM core.users WHERE login = 'ctv.benluc') WHERE login = $1", [first])
            }
            #expect(httpRequest("GET", intake.url("/api/v1/me"), headers: ["Authorization": "Bearer \(moved)"]).status == 401,
                    "a token made for the user's old unit")
        }
    }

    @Test("Sign-in takes a person back to the page they asked for (a deadline email's link, a bookmark), on the console and on the units' pages; never to another site")
    func signInReturnsToThePageAskedFor() async throws {
        try await EditorialFlowTests().withServices { s in
            let password = ProcessInfo.processInfo.environment["PORTAL_DEMO_PASSWORD"] ?? "longan-demo-2026"
            let deepLinks: [(service: ServiceProcess, page: String, login: String, user: String)] = [
                (s.approval, "/console/articles/\(UUID().uuidString.lowercased())?lang=en", "/console/login", "btv.lan"),
                (s.intake, "/submissions/\(UUID().uuidString.lowercased())", "/submit/login", "ctv.tuphap"),
            ]
            for link in deepLinks {
                let asked = httpRequest("GET", link.service.url(link.page))
                #expect(asked.status == 303, "\(link.page) without a session: \(asked.status ?? 0)")
                let location = try #require(asked.headers["location"])
                #expect(location.hasPrefix(link.login + "?next="), "\(location)")
                let form = httpRequest("GET", link.service.url(location))
                #expect(Self.hidden("next", in: form.body) == link.page.replacingOccurrences(of: "&", with: "&amp;"), "the sign-in form carries the page: \(form.body.prefix(200))")
                let cookie = try #require(form.headers["set-cookie"]?.split(separator: ";").first.map(String.init))
                let token = try #require(Self.hidden("_csrf", in: form.body))
                func signIn(next: String) -> Answer {
                    httpRequest("POST", link.service.url(link.login),
                                headers: ["Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie, "X-Forwarded-For": "198.51.100.\(Int.random(in: 1...250))"],
                                body: "_csrf=\(token)&login=\(link.user)&password=\(password)&next=\(next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")")
                }
                #expect(signIn(next: link.page).headers["location"] == link.page, "signed in, back to \(link.page)")
                // Anywhere else is not followed: the area's first page instead.
                for elsewhere in ["//evil.example/console", "https://evil.example/", "/\\evil.example", "/console/../../x", "/feedback/questions"] {
                    let location = signIn(next: elsewhere).headers["location"] ?? ""
                    #expect(location == "/console" || location == "/submit", "next=\(elsewhere) led to \(location)")
                }
            }
        }
    }

    static func hidden(_ name: String, in html: String) -> String? {
        guard let range = html.range(of: #"name="\#(name)" value="([^"]+)""#, options: .regularExpression) else { return nil }
        return html[range].components(separatedBy: "value=\"").last.map { String($0.dropLast()) }
    }

    static func cookie(_ name: String, in headers: [String: String]) -> String? {
        guard let header = headers["set-cookie"], header.hasPrefix(name + "=") else { return nil }
        return header.dropFirst(name.count + 1).split(separator: ";").first.map(String.init)
    }
}
