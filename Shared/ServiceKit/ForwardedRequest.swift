import Foundation
import HTTPTypes
import Hummingbird

/// What the proxy in front (nginx on this machine) says about a request: the client's address
/// (the last one it added to `X-Forwarded-For`) and whether the client came over TLS
/// (`X-Forwarded-Proto: https`). Believed only from a loopback peer or an address listed in
/// `PORTAL_TRUSTED_PROXIES` (nginx on another machine), so that a client cannot choose its own
/// address.
public enum ForwardedRequest {
    public static func clientAddress(_ request: Request, peer: String?) -> String {
        let peer = peer ?? "unknown"
        guard isProxy(peer), let forwarded = request.headers[forwardedFor]?.split(separator: ",").last else { return peer }
        return forwarded.trimmingCharacters(in: .whitespaces)
    }

    public static func cameOverTLS(_ request: Request, peer: String?) -> Bool {
        guard isProxy(peer ?? "") else { return false }
        return request.headers[forwardedProto]?.split(separator: ",").first?.trimmingCharacters(in: .whitespaces).lowercased() == "https"
    }

    /// An IPv4 peer of a dual-stack socket reads as ::ffff:127.0.0.1.
    static func isProxy(_ peer: String) -> Bool {
        peer == "::1" || peer.hasPrefix("127.") || peer.hasPrefix("::ffff:127.")
            || trustedProxies.contains(peer.hasPrefix("::ffff:") ? String(peer.dropFirst("::ffff:".count)) : peer)
    }

    /// `PORTAL_TRUSTED_PROXIES`: the exact addresses (comma-separated) of the proxies on other
    /// machines whose forwarded headers are believed.
    static let trustedProxies: Set<String> = Set(
        (ProcessInfo.processInfo.environment["PORTAL_TRUSTED_PROXIES"] ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })

    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!
    static let forwardedProto = HTTPField.Name("X-Forwarded-Proto")!
}

extension PortalContext {
    /// The client's address, through the proxy in front when there is one.
    public func clientAddress(_ request: Request) -> String {
        ForwardedRequest.clientAddress(request, peer: peerAddress)
    }
}

/// Every cookie the services set is `Secure` when the client came over TLS (nginx says so with
/// `X-Forwarded-Proto: https`) or when `PORTAL_SECURE_COOKIES` asks for it always: a session
/// cookie is then never sent over plain HTTP, without a setting to forget.
struct SecureCookiesMiddleware: RouterMiddleware {
    typealias Context = PortalContext
    let always: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        guard always || ForwardedRequest.cameOverTLS(request, peer: context.peerAddress) else { return response }
        let cookies = response.headers[values: .setCookie]
        guard !cookies.isEmpty else { return response }
        response.headers[values: .setCookie] = cookies.map { cookie in
            cookie.lowercased().split(separator: ";").contains { $0.trimmingCharacters(in: .whitespaces) == "secure" } ? cookie : cookie + "; Secure"
        }
        return response
    }
}

/// An API call that a web session authenticates (no bearer token) and that changes something
/// must carry the session's CSRF token in `X-CSRF-Token`: SameSite=Strict already keeps other
/// sites' requests from carrying the cookie; this holds even where a browser does not honour it.
/// Bearer-token calls are not affected: no browser adds that header on its own.
struct ApiCsrfMiddleware: RouterMiddleware {
    typealias Context = PortalContext
    static let header = HTTPField.Name("X-CSRF-Token")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let changes = ![.get, .head, .options].contains(request.method)
        if changes, request.uri.path.hasPrefix("/api/"), request.headers.bearer == nil,
           let session = context.sessions.session, context.identity != nil, request.headers[Self.header] != session.csrf {
            throw APIError(
                .forbidden, code: "csrf_token_required",
                message: "A call signed in by the web session must carry the session's token in X-CSRF-Token (or use a bearer token).")
        }
        return try await next(request, context)
    }
}
