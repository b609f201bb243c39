import Foundation
import Store
import Testing

/// deploy/nginx serves the folder the publishing service writes, as in production: real nginx
/// (Debian's package), real pages, by Host over IPv4 and IPv6.
@Suite("nginx serves the published sites", .serialized)
struct NginxSitesTests {
    static let publishingPort = 18_215
    static let nginxPort = 18_280

    @Test("The same bytes as the publishing service, gzip, ETag, 410 for a takedown, 301 for a site that redirects (R-7.3), search proxied, IPv6 (R-3.9), nothing for other names")
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
                let rendered = try s.env.run(repository.appendingPathComponent("deploy/nginx/render").path,
                                             ["\(s.work)/data/sites", "127.0.0.1:\(Self.publishingPort)", String(Self.nginxPort)])
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
                #expect(checked.status == 0, "nginx -t: \(checked.output)")
                let server = Process()
                server.executableURL = URL(fileURLWithPath: nginx)
                server.arguments = ["-p", prefix, "-c", "\(prefix)/nginx.conf", "-g", "daemon off;"]
                try server.run()
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
                #expect(get("longan.gov.vn", "/sitemap.xml").headers["content-type"]?.hasPrefix("application/xml") == true)

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
            }
        }
    }
}
