import Foundation
import Store
import Testing

/// deploy/nginx serves the folder the publishing service writes, as in production: real nginx
/// (Debian's package), real pages, by Host over IPv4 and IPv6.
@Suite("nginx serves the published sites", .serialized)
struct NginxSitesTests {
    static let publishingPort = 18_215
    static let nginxPort = 18_280
    static let tlsPort = 18_281
    static let redirectPort = 18_282

    @Test("The same bytes as the publishing service, gzip, ETag, 410 for a takedown, 301 for a site that redirects (R-7.3), search proxied, IPv6 (R-3.9), nothing for other names; TLS with HSTS, HTTP sent to HTTPS, staff cookies Secure")
    func nginxServesSites() async throws {
        let nginx = "/usr/sbin/nginx"
        guard FileManager.default.isExecutableFile(atPath: nginx) else {
            // deploy/test installs it (portal_install_test_tools); under CI a missing nginx is a failure.
            if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("nginx is not installed at \(nginx)") }
            return
        }
        try await EditorialFlowTests().withServices { s in
            try await PublishingSitesTests(publishingPort: Self.publishingPort).withPublishing(s) { publishing in
                let sites = PublishingSitesTests(publishingPort: Self.publishingPort)
                let tag = String(UUID().uuidString.prefix(4))
                let title = "Tin phục vụ qua nginx \(tag)"
                let shown = try await sites.approved(s, title: title, classification: #""targetSites": ["longan.gov.vn"]"#)
                let removed = try await sites.approved(s, title: "Tin sẽ gỡ \(tag)", classification: #""targetSites": ["longan.gov.vn"]"#)
                let explanation = "Đã gỡ theo quyết định ngày 30/11/2026 (\(tag))."
                try await eventually("both published") {
                    sites.page(publishing, "longan.gov.vn", "/bai-viet/\(removed).html").status == 200
                        && sites.page(publishing, "longan.gov.vn", "/bai-viet/\(shown).html").status == 200
                }
                try await eventually("approval hears it was published") {
                    try s.api("GET", "/articles/\(removed)", as: "btv.lan").json["state"] as? String == "published"
                }
                #expect(try s.api("POST", "/articles/\(removed)/take-down", as: "truongban",
                                  body: #"{"reason": "Hết hiệu lực", "publicExplanation": "\#(explanation)"}"#).status == 200)
                try await eventually("taken down") { sites.page(publishing, "longan.gov.vn", "/bai-viet/\(removed).html").status == 410 }
                try await s.pool.withConnection { connection in
                    try connection.query(
                        """
                        INSERT INTO publishing.sites (domain, unit_code, name, kind) VALUES ('chauthanh.longan.gov.vn', 'district-chauthanh', 'Huyện Châu Thành', 'district')
                        ON CONFLICT (domain) DO UPDATE SET status = 'active', redirect_to = NULL
                        """)
                }
                #expect(httpRequest("GET", publishing.url("/api/v1/sites")).status == 200, "the registry writes redirects.map")

                let prefix = "\(s.work)/nginx"
                try FileManager.default.createDirectory(atPath: prefix + "/logs", withIntermediateDirectories: true)
                let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                let server = try Self.startNginx(nginx, prefix: prefix, port: Self.nginxPort, s, repository: repository)
                defer { server.terminate(); server.waitUntilExit() }
                func get(_ host: String, _ path: String, ipv6: Bool = false, headers: [String: String] = [:]) -> (status: Int?, body: String, headers: [String: String]) {
                    httpRequest("GET", "http://\(ipv6 ? "[::1]" : "127.0.0.1"):\(Self.nginxPort)\(path)", headers: ["Host": host].merging(headers) { $1 })
                }
                try await eventually("nginx answers") { get("longan.gov.vn", "/").status == 200 }

                let path = "/bai-viet/\(shown).html"
                let fromNginx = get("longan.gov.vn", path)
                let fromService = sites.page(publishing, "longan.gov.vn", path)
                #expect(fromNginx.status == 200 && fromNginx.body == fromService.body, "the same page")
                #expect(fromNginx.headers["content-type"] == "text/html; charset=utf-8")
                #expect(get("longan.gov.vn", path, ipv6: true).body == fromService.body, "R-3.9: over IPv6")
                let etag = try #require(fromNginx.headers["etag"])
                #expect(get("longan.gov.vn", path, headers: ["If-None-Match": etag]).status == 304)
                #expect(get("longan.gov.vn", path, headers: ["Accept-Encoding": "gzip"]).headers["content-encoding"] == "gzip")
                // R-3.7: the monthly sitemaps and the archive by month are read from the service through nginx.
                let crawled = Sitemaps.crawl(domain: "longan.gov.vn") { get("longan.gov.vn", $0) }
                #expect(crawled.problems.isEmpty && crawled.addresses.contains("https://longan.gov.vn\(path)"), "\(crawled.problems)")
                let archive = get("longan.gov.vn", "/luu-tru/")
                #expect(archive.status == 200 && archive.body.contains("/luu-tru/2"), "the archive by month: \(archive.status ?? 0)")

                let gone = get("longan.gov.vn", "/bai-viet/\(removed).html")
                #expect(gone.status == 410 && gone.body.contains(explanation), "410 with the explanation: \(gone.status ?? 0)")
                #expect(get("longan.gov.vn", "/bai-viet/\(removed).html.gone").status == 404, "markers are not served")
                #expect(sites.page(publishing, "longan.gov.vn", "/bai-viet/\(removed).html.gone").status == 404, "nor by the service")
                #expect(get("evil.example", "/longan.gov.vn/index.html").status == 404, "no other name reaches the folder")
                #expect(get("LONGAN.GOV.VN", "/").status == 200, "names are case-insensitive")

                let found = get("longan.gov.vn", "/tim-kiem?q=phuc+vu+qua+nginx+\(tag)")
                #expect(found.status == 200 && found.body.contains(path), "search is proxied to the publishing service")
                let moved = get("chauthanh.longan.gov.vn", "/")
                #expect(moved.status == 301 && moved.headers["location"] == "https://longan.gov.vn/", "R-7.3: \(moved.status ?? 0)")

                // Files units sent are never active content, from the service or from nginx.
                let tep = "\(s.work)/data/sites/longan.gov.vn/tep"
                try FileManager.default.createDirectory(atPath: tep, withIntermediateDirectories: true)
                let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]
                let script = Array("<html><script>alert(document.cookie)</script></html>".utf8)
                for (name, bytes) in [("evil.html", script), ("evil.svg", Array(#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#.utf8)),
                                      ("evil.xml", script), ("fake.png", script), ("anh.png", png), ("tai-lieu.pdf", Array("%PDF-1.4\n%%EOF\n".utf8))] {
                    _ = FileManager.default.createFile(atPath: "\(tep)/\(name)", contents: Data(bytes))
                }
                for (label, fetch) in [("nginx", { (path: String) in get("longan.gov.vn", path) }),
                                       ("service", { (path: String) in sites.page(publishing, "longan.gov.vn", path) })] {
                    for name in ["evil.html", "evil.svg", "evil.xml", "fake.png"] {
                        let file = fetch("/tep/\(name)")
                        let type = file.headers["content-type"] ?? ""
                        #expect(file.status == 200 && !type.contains("html") && !type.contains("svg") && !type.contains("xml"),
                                "\(label) serves \(name) as \(type)")
                        #expect(file.headers["x-content-type-options"] == "nosniff", "\(label) \(name)")
                    }
                    for name in ["evil.html", "evil.svg", "evil.xml"] {
                        #expect(fetch("/tep/\(name)").headers["content-disposition"] == "attachment", "\(label): \(name) is a download")
                    }
                    #expect(fetch("/tep/anh.png").headers["content-type"] == "image/png", "\(label): a picture is shown")
                    #expect(fetch("/tep/anh.png").headers["content-disposition"] == nil)
                    #expect(fetch("/tep/tai-lieu.pdf").headers["content-type"] == "application/pdf")

                    // Every public answer carries the security headers; a 404 is a page of the site.
                    let home = fetch("/")
                    #expect(home.headers["content-security-policy"]?.contains("frame-ancestors 'self'") == true, "\(label): CSP")
                    #expect(home.headers["content-security-policy"]?.contains("script-src 'self'") == true)
                    #expect(home.headers["referrer-policy"] == "strict-origin-when-cross-origin", "\(label): Referrer-Policy")
                    #expect(home.headers["x-content-type-options"] == "nosniff")
                    let missing = fetch("/khong-co-trang-nay.html")
                    #expect(missing.status == 404, "\(label)")
                    #expect(missing.headers["content-type"]?.hasPrefix("text/html") == true, "\(label): the 404 is HTML")
                    #expect(missing.body.contains(#"<html lang="vi""#) && missing.body.contains("<title>"), "\(label): \(missing.body.prefix(300))")
                    #expect(missing.headers["content-security-policy"] != nil, "\(label): the 404 has the headers too")
                }
                // The staff host routes each staff path to its service: one name, one sign-in.
                let console = get("quantri.longan.gov.vn", "/console")
                #expect(console.status == 303 && console.headers["location"] == "/console/login", "the staff host reaches the console: \(console.status ?? 0)")
                let submit = get("quantri.longan.gov.vn", "/submit")
                #expect(submit.status == 303 && submit.headers["location"] == "/submit/login", "and the departments' pages: \(submit.status ?? 0)")
                let tracking = get("quantri.longan.gov.vn", "/theo-doi/\(UUID().uuidString.lowercased())")
                #expect(tracking.status == 404 && tracking.body.contains(#"<html lang="vi">"#), "and intake's tracking page")
                #expect(get("quantri.longan.gov.vn", "/tep/anh.png").status == 404, "the staff host serves no site files")
                // HEAD answers like GET, without the body, at both addresses of the home page.
                for url in [publishing.url("/sites/longan.gov.vn/"), "http://127.0.0.1:\(Self.nginxPort)/"] {
                    let head = httpRequest("HEAD", url, headers: ["Host": url.contains("/sites/") ? "127.0.0.1" : "longan.gov.vn"])
                    #expect(head.status == 200, "HEAD \(url): \(head.status ?? 0)")
                    #expect(head.headers["etag"] != nil && head.headers["content-security-policy"] != nil)
                }

                // TLS at nginx (a self-signed certificate for longan.gov.vn and *.longan.gov.vn):
                // the same page, HSTS, plain HTTP sent to HTTPS, and the staff cookies Secure.
                let tls = "\(s.work)/nginx-tls"
                try FileManager.default.createDirectory(atPath: tls + "/logs", withIntermediateDirectories: true)
                let certificate = try s.env.run("/usr/bin/openssl", [
                    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=longan.gov.vn",
                    "-addext", "subjectAltName=DNS:longan.gov.vn,DNS:*.longan.gov.vn",
                    "-keyout", "\(tls)/key.pem", "-out", "\(tls)/cert.pem",
                ])
                #expect(certificate.status == 0, "\(certificate.output)")
                let secured = try Self.startNginx(nginx, prefix: tls, port: Self.tlsPort, s, repository: repository, settings: [
                    "TLS_CERTIFICATE": "\(tls)/cert.pem", "TLS_KEY": "\(tls)/key.pem", "HTTP_REDIRECT_PORT": String(Self.redirectPort),
                ])
                defer { secured.terminate(); secured.waitUntilExit() }
                func https(_ host: String, _ path: String, headers: [String] = []) throws -> (status: Int?, body: String, headers: String) {
                    let body = "\(tls)/body-\(UUID().uuidString.prefix(6))"
                    let answer = try s.env.run("/usr/bin/curl", [
                        "-s", "--max-time", "10", "--cacert", "\(tls)/cert.pem", "--resolve", "\(host):\(Self.tlsPort):127.0.0.1",
                        "-o", body, "-D", "-", "https://\(host):\(Self.tlsPort)\(path)",
                    ] + headers.flatMap { ["-H", $0] })
                    let status = answer.output.split(separator: " ").dropFirst().first.flatMap { Int($0) }
                    return (status, (try? String(contentsOfFile: body, encoding: .utf8)) ?? "", answer.output)
                }
                try await eventually("nginx answers over TLS") { try https("longan.gov.vn", "/").status == 200 }
                let secure = try https("longan.gov.vn", path)
                #expect(secure.status == 200 && secure.body == fromService.body, "the same page over TLS")
                #expect(secure.headers.lowercased().contains("strict-transport-security: max-age=31536000; includesubdomains"), "HSTS: \(secure.headers)")
                #expect(try https("longan.gov.vn", "/tep/anh.png").headers.lowercased().contains("strict-transport-security"), "HSTS on files too")
                let plain = httpRequest("GET", "http://127.0.0.1:\(Self.redirectPort)\(path)", headers: ["Host": "longan.gov.vn"])
                #expect(plain.status == 301 && plain.headers["location"] == "https://longan.gov.vn\(path)", "plain HTTP goes to HTTPS: \(plain.status ?? 0)")
                let login = try https("quantri.longan.gov.vn", "/submit/login")
                #expect(login.status == 200 && login.headers.contains("portal_login_csrf=") && login.headers.contains("; Secure"),
                        "behind TLS the staff cookies are Secure: \(login.headers)")
            }
        }
    }

    /// deploy/nginx/render's configuration for `port` (with `settings` such as the TLS ones),
    /// wrapped in a minimal nginx.conf under `prefix`, checked by `nginx -t`, and nginx started
    /// in the foreground; the caller stops it.
    static func startNginx(
        _ nginx: String, prefix: String, port: Int, _ s: EditorialFlowTests.Services, repository: URL, settings: [String: String] = [:]
    ) throws -> Process {
        let rendered = try s.env.run(repository.appendingPathComponent("deploy/nginx/render").path,
                                     ["\(s.work)/data/sites", "127.0.0.1:\(publishingPort)", String(port)],
                                     environment: ["INTAKE_ADDRESS": "127.0.0.1:\(s.intake.port)", "APPROVAL_ADDRESS": "127.0.0.1:\(s.approval.port)",
                                                   "FINANCE_ADDRESS": "127.0.0.1:9"].merging(settings) { $1 })
        #expect(rendered.status == 0, "\(rendered.output)")
        try rendered.output.write(toFile: "\(prefix)/longan-portal.conf", atomically: true, encoding: .utf8)
        try """
            worker_processes 1;
            pid \(prefix)/nginx.pid;
            error_log \(prefix)/logs/error.log warn;
            events { worker_connections 256; }
            http {
                access_log off;
                client_body_temp_path \(prefix)/client; proxy_temp_path \(prefix)/proxy;
                fastcgi_temp_path \(prefix)/fastcgi; uwsgi_temp_path \(prefix)/uwsgi; scgi_temp_path \(prefix)/scgi;
                include \(prefix)/longan-portal.conf;
            }
            """.write(toFile: "\(prefix)/nginx.conf", atomically: true, encoding: .utf8)
        let checked = try s.env.run(nginx, ["-t", "-p", prefix, "-c", "\(prefix)/nginx.conf"])
        #expect(checked.status == 0, "nginx -t (\(prefix)): \(checked.output)")
        let server = Process()
        server.executableURL = URL(fileURLWithPath: nginx)
        server.arguments = ["-p", prefix, "-c", "\(prefix)/nginx.conf", "-g", "daemon off;"]
        try server.run()
        return server
    }
}
