import Foundation
import HTTPTypes
import Hummingbird

/// A redirect (303), thrown from deep in a page handler: to the sign-in page, mostly.
public struct Redirect: HTTPResponseError {
    public let to: String
    public var status: HTTPResponse.Status { .seeOther }

    public init(to: String) {
        self.to = to
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(status: .seeOther, headers: [.location: to])
    }
}

/// A page of the staff's web pages (console, finance): HTML never cached, with a content security
/// policy that allows only the page's own origin (inline styles, `data:` images).
public enum StaffPage {
    public static func response(_ html: String?, template: String, status: HTTPResponse.Status) -> Response {
        Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                .contentSecurityPolicy: "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'",
                HTTPField.Name("X-Content-Type-Options")!: "nosniff",
            ],
            body: .init(byteBuffer: ByteBuffer(string: html ?? "<!DOCTYPE html><title>Error</title><p>Template \(template) is missing.</p>")))
    }
}

/// An `application/x-www-form-urlencoded` body, as the web pages post it.
public struct Form: Sendable {
    public let pairs: [(String, String)]

    /// Fields read some other way (a multipart form's text fields).
    public init(_ pairs: [(String, String)]) {
        self.pairs = pairs
    }

    public static func read(_ request: Request) async throws -> Form {
        let buffer = try await request.body.collect(upTo: 2 * 1024 * 1024)
        let text = String(decoding: buffer.readableBytesView, as: UTF8.self).replacingOccurrences(of: "+", with: "%20")
        var components = URLComponents()
        components.percentEncodedQuery = text
        return Form((components.queryItems ?? []).map { ($0.name, $0.value ?? "") })
    }

    public subscript(_ name: String) -> String? { pairs.first { $0.0 == name }?.1 }

    public func all(_ name: String) -> [String] { pairs.filter { $0.0 == name }.map(\.1) }
}
