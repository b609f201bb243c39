import Foundation
import HTTPTypes
import Hummingbird
import Models
import ServiceKit

/// Serves the published files: by `Host` (the portal's domain and its component sites) and at
/// `/sites/<domain>/…` for development. ETag and Last-Modified with conditional requests; a page
/// that was taken down answers 410 with its explanation.
struct SiteServer: Sendable {
    let files: SiteFiles
    let search: SiteSearch

    func register(on router: Router<PortalContext>) {
        router.get("/sites/:domain/**") { request, context in
            let domain = context.parameters.get("domain") ?? ""
            let rest = context.parameters.getCatchAll().joined(separator: "/")
            return try await serve(domain: domain, path: rest + (request.uri.path.hasSuffix("/") ? "/" : ""), request: request, context: context)
        }
        router.get("/sites/:domain/tim-kiem") { request, context in
            try await searchPage(domain: context.parameters.get("domain") ?? "", request: request)
        }
        router.get("/sites/:domain") { request, context in
            try await serve(domain: context.parameters.get("domain") ?? "", path: "", request: request, context: context)
        }
        router.middlewares.add(HostSites(server: self))
    }

    /// The one page that is not a file: search.
    func searchPage(domain: String, request: Request) async throws -> Response {
        guard let html = try await search.page(request.uri.queryParameters.get("q"), domain: domain.lowercased()) else {
            return Response(status: .notFound)
        }
        return Response(
            status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    func serve(domain: String, path: String, request: Request, context: PortalContext) async throws -> Response {
        guard let file = files.read(domain: domain.lowercased(), path: path) else {
            return Response(status: .notFound, headers: [.contentType: "text/plain; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: "Không tìm thấy trang / Page not found\n")))
        }
        let headers: HTTPFields = [
            .contentType: Self.contentType(path.hasSuffix("/") || path.isEmpty ? "index.html" : path),
            .cacheControl: "public, max-age=60", HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        ]
        let body = ResponseBody(byteBuffer: ByteBuffer(bytes: file.bytes))
        if file.gone {
            return Response(status: .gone, headers: headers, body: body)
        }
        let page = { Response(status: .ok, headers: headers, body: body) }
        // Hummingbird's conditional requests: ETag with If-None-Match, Last-Modified with
        // If-Modified-Since, which counts only without If-None-Match (RFC 9110 §13.1.3).
        return try await request.ifNoneMatch(eTag: file.etag, context: context) {
            request.headers[.ifNoneMatch] == nil
                ? try await request.ifModifiedSince(modificationDate: file.modified, context: context, process: page) : page()
        }
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
        if request.uri.path == "/tim-kiem" { return try await server.searchPage(domain: host, request: request) }
        return try await server.serve(domain: host, path: String(request.uri.path.dropFirst()), request: request, context: context)
    }
}
