import ContentSafety
import Foundation
import HTTPTypes
import Hummingbird
import Models
import NIOCore
import ServiceKit

/// Serves the published files: by `Host` (the portal's domain and its component sites) and at
/// `/sites/<domain>/…` for development. ETag and Last-Modified with conditional requests, gzip
/// when the client takes it; a page that was taken down answers 410 with its explanation; a site
/// that redirects answers 301 to its successor.
public struct SiteServer: Sendable {
    let files: SiteFiles
    let search: SiteSearch
    let archive: SiteArchive

    public init(files: SiteFiles, search: SiteSearch, archive: SiteArchive) {
        self.files = files
        self.search = search
        self.archive = archive
    }

    public func register(on router: Router<PortalContext>) {
        // HEAD answers as GET does, without the body, at both addresses of a page.
        for method in [HTTPRequest.Method.get, .head] {
            router.on("/sites/:domain/**", method: method) { request, context in
                let domain = context.parameters.get("domain") ?? ""
                let rest = context.parameters.getCatchAll().joined(separator: "/")
                return try await serve(
                    domain: domain, path: rest + (request.uri.path.hasSuffix("/") ? "/" : ""), request: request, context: context,
                    pathMode: true)
            }
            router.on("/sites/:domain", method: method) { request, context in
                // The site's root is the folder: relative addresses resolve against `/sites/<domain>/`.
                // (The router matches `/sites/<domain>/` here too.)
                let domain = context.parameters.get("domain") ?? ""
                guard request.uri.path.hasSuffix("/") else {
                    return Response(status: .movedPermanently, headers: [.location: PathModeLinks.prefix(of: domain.lowercased()) + "/"])
                }
                return try await serve(domain: domain, path: "", request: request, context: context, pathMode: true)
            }
        }
        router.middlewares.add(HostSites(server: self))
    }

    /// Headers every public answer carries, pages and errors alike: no script but the site's
    /// own files (the pages have none inline), not framed by other sites, no type sniffing,
    /// no full address sent to other sites. `deploy/nginx` sets the same.
    static let securityHeaders: HTTPFields = [
        HTTPField.Name("Content-Security-Policy")!:
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'",
        HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        HTTPField.Name("Referrer-Policy")!: "strict-origin-when-cross-origin",
    ]

    /// `pathMode`: served at `/sites/<domain>/…` (development), where the pages' links are moved
    /// under that prefix (`PathModeLinks`).
    func serve(domain: String, path: String, request: Request, context: PortalContext, pathMode: Bool = false) async throws -> Response {
        var response = try await respond(domain: domain, path: path, request: request, context: context, pathMode: pathMode)
        for field in Self.securityHeaders where response.headers[field.name] == nil { response.headers.append(field) }
        return response
    }

    /// `sitemap-YYYY-MM.xml` → `YYYY-MM`.
    static func monthlySitemap(_ path: String) -> String? {
        guard path.hasPrefix("sitemap-"), path.hasSuffix(".xml") else { return nil }
        let month = String(path.dropFirst("sitemap-".count).dropLast(".xml".count))
        return YearMonth(month) == nil ? nil : month
    }

    /// The pages that are not files: search, the legal-document search, the
    /// archive by month and the monthly sitemaps.
    func dynamicPage(domain: String, path: String, request: Request, pathMode: Bool) async throws -> Response? {
        let html: String?, status: HTTPResponse.Status
        let parameters = Self.formFields(request.uri.query)
        switch path {
        case "tim-kiem":
            html = try await search.page(parameters["q"], domain: domain)
            status = .ok
        case "van-ban/tra-cuu":
            let page = try await search.legalPage(parameters, domain: domain)
            html = page?.html
            status = page?.badRequest == true ? .badRequest : .ok
        case "luu-tru", "luu-tru/":
            html = try await archive.months(domain: domain)
            status = .ok
        case let month where month.hasPrefix("luu-tru/"):
            let page = parameters["trang"].map { Int($0) ?? 0 } ?? 1
            html = try await archive.month(String(month.dropFirst("luu-tru/".count)), page: page, domain: domain)
            status = .ok
        case let sitemap where Self.monthlySitemap(sitemap) != nil:
            // Not rewritten for path mode: a sitemap's addresses are absolute.
            guard let xml = try await archive.sitemap(Self.monthlySitemap(sitemap) ?? "", domain: domain) else {
                return notFound(domain: domain, pathMode: pathMode)
            }
            return Response(
                status: .ok, headers: [.contentType: "application/xml; charset=utf-8", .cacheControl: "public, max-age=300"],
                body: .init(byteBuffer: ByteBuffer(string: xml)))
        default:
            return nil
        }
        guard let html else { return notFound(domain: domain, pathMode: pathMode) }
        return Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: pathMode ? PathModeLinks.rewrite(html, prefix: PathModeLinks.prefix(of: domain)) : html)))
    }

    func respond(domain rawDomain: String, path: String, request: Request, context: PortalContext, pathMode: Bool) async throws -> Response {
        let domain = rawDomain.lowercased()
        if let target = files.redirects()[domain] {
            // the page where the successor has it, else the successor's home page.
            let root = pathMode ? PathModeLinks.prefix(of: target) + "/" : "https://\(target)/"
            let location = files.read(domain: target, path: path) != nil ? root + path : root
            return Response(status: .movedPermanently, headers: [.location: location, .cacheControl: "public, max-age=3600"])
        }
        if let page = try await dynamicPage(domain: domain, path: path, request: request, pathMode: pathMode) { return page }
        guard let file = files.read(domain: domain, path: path) else { return notFound(domain: domain, pathMode: pathMode) }
        var headers: HTTPFields = [.cacheControl: "public, max-age=60"]
        if path.hasPrefix(Self.submittedFiles) {
            // A file a unit sent: never served as active content from the portal's origin.
            let (type, inline) = Self.submittedFileType(file.bytes)
            headers[.contentType] = type
            if !inline { headers[.contentDisposition] = "attachment" }
        } else {
            headers[.contentType] = Self.contentType(path.hasSuffix("/") || path.isEmpty ? "index.html" : path)
        }
        var body = file.bytes, etag = file.etag
        if pathMode, headers[.contentType]?.hasPrefix("text/html") == true {
            // Development only: the page with its links under the prefix, uncompressed.
            body = ByteBuffer(string: PathModeLinks.rewrite(String(buffer: file.bytes), prefix: PathModeLinks.prefix(of: domain)))
            etag = String(etag.dropLast()) + "-p\""
        } else if let gzipped = file.gzipped {
            headers[.vary] = "Accept-Encoding"
            if Self.acceptsGzip(request.headers[.acceptEncoding]) {
                body = gzipped
                headers[.contentEncoding] = "gzip"
                // A different representation needs a different strong validator.
                etag = String(etag.dropLast()) + "-gz\""
            }
        }
        if file.gone {
            return Response(status: .gone, headers: headers, body: .init(byteBuffer: body))
        }
        let served = headers, bytes = body
        let page = { Response(status: .ok, headers: served, body: .init(byteBuffer: bytes)) }
        // Hummingbird's conditional requests: ETag with If-None-Match, Last-Modified with
        // If-Modified-Since, which counts only without If-None-Match (RFC 9110 §13.1.3).
        return try await request.ifNoneMatch(eTag: etag, context: context) {
            request.headers[.ifNoneMatch] == nil
                ? try await request.ifModifiedSince(modificationDate: file.modified, context: context, process: page) : page()
        }
    }

    /// A form's fields as a browser sends them with GET (application/x-www-form-urlencoded): `+` is
    /// a space, then percent-decoding; the first of a repeated field counts.
    static func formFields(_ query: String?) -> [String: String] {
        var fields = [String: String]()
        for pair in (query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            let name = decode(parts[0])
            if fields[name] == nil { fields[name] = parts.count > 1 ? decode(parts[1]) : "" }
        }
        return fields
    }

    /// The site's own 404 page (written with its lists), or a plain one when the site has none.
    func notFound(domain: String, pathMode: Bool = false) -> Response {
        var page = files.read(domain: domain, path: Self.notFoundPage).map(\.bytes) ?? ByteBuffer(string: Self.fallbackNotFound)
        if pathMode { page = ByteBuffer(string: PathModeLinks.rewrite(String(buffer: page), prefix: PathModeLinks.prefix(of: domain))) }
        return Response(status: .notFound, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                        body: .init(byteBuffer: page))
    }

    static let notFoundPage = "404.html"
    static let fallbackNotFound = """
        <!DOCTYPE html>
        <html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
        <title>Không tìm thấy trang – Page not found</title></head>
        <body><main><h1>Không tìm thấy trang</h1><p lang="en">Page not found.</p><p><a href="/">Trang chủ / Home</a></p></main></body></html>

        """

    /// Where files sent with submissions are published (`PublishedFiles`).
    static let submittedFiles = PublishedFiles.folder + "/"

    /// What a submitted file is served as (`ServedFileType`).
    static func submittedFileType(_ bytes: ByteBuffer) -> (type: String, inline: Bool) {
        let kind = ServedFileType.of(bytes.getBytes(at: bytes.readerIndex, length: min(12, bytes.readableBytes)) ?? [])
        return (kind.contentType, kind.inline)
    }

    /// `gzip` listed with a weight above zero (RFC 9110 §12.5.3).
    static func acceptsGzip(_ header: String?) -> Bool {
        guard let header else { return false }
        for part in header.lowercased().split(separator: ",") {
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard pieces.first == "gzip" || pieces.first == "x-gzip" else { continue }
            if let weight = pieces.dropFirst().first(where: { $0.hasPrefix("q=") }), Double(weight.dropFirst(2)) == 0 { return false }
            return true
        }
        return false
    }

    static func contentType(_ path: String) -> String {
        switch (path as NSString).pathExtension.lowercased() {
        case "html": "text/html; charset=utf-8"
        case "xml": "application/xml; charset=utf-8"
        case "png": "image/png"
        case "jpg", "jpeg": "image/jpeg"
        case "gif": "image/gif"
        case "webp": "image/webp"
        case "pdf": "application/pdf"
        case "txt": "text/plain; charset=utf-8"
        case "doc": "application/msword"
        case "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        default: "application/octet-stream"
        }
    }
}

/// Requests whose `Host` is the portal or one of its sites get the site's files; the service's
/// own paths (API, health, metrics) stay the service's.
struct HostSites: RouterMiddleware {
    typealias Context = PortalContext
    let server: SiteServer

    func handle(_ request: Request, context: PortalContext, next: (Request, PortalContext) async throws -> Response) async throws -> Response {
        let host = (request.head.authority ?? "").split(separator: ":").first.map { String($0).lowercased() } ?? ""
        guard host == SiteDomain.portal || host.hasSuffix("." + SiteDomain.portal), request.method == .get || request.method == .head else {
            return try await next(request, context)
        }
        return try await server.serve(domain: host, path: String(request.uri.path.dropFirst()), request: request, context: context)
    }
}
