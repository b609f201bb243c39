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

/// An `application/x-www-form-urlencoded` body, as the web pages post it.
public struct Form: Sendable {
    public let pairs: [(String, String)]

    public static func read(_ request: Request) async throws -> Form {
        let buffer = try await request.body.collect(upTo: 2 * 1024 * 1024)
        let text = String(decoding: buffer.readableBytesView, as: UTF8.self).replacingOccurrences(of: "+", with: "%20")
        var components = URLComponents()
        components.percentEncodedQuery = text
        return Form(pairs: (components.queryItems ?? []).map { ($0.name, $0.value ?? "") })
    }

    public subscript(_ name: String) -> String? { pairs.first { $0.0 == name }?.1 }

    public func all(_ name: String) -> [String] { pairs.filter { $0.0 == name }.map(\.1) }
}
