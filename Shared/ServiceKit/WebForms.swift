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
        return parse(String(decoding: buffer.readableBytesView, as: UTF8.self))
    }

    /// Reads `name=value&…` by hand: a body a browser did not encode (raw UTF-8, a stray `%`)
    /// must not stop the process, as Foundation's URLComponents does on such text. A value whose
    /// percent-escapes do not decode is kept as it was sent.
    public static func parse(_ text: String) -> Form {
        Form(text.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String {
                let spaced = part.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        })
    }

    public subscript(_ name: String) -> String? { pairs.first { $0.0 == name }?.1 }

    public func all(_ name: String) -> [String] { pairs.filter { $0.0 == name }.map(\.1) }
}
