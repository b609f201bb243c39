import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import Logging

/// The request context of every service: the authenticated user, if any, and the
/// correlation id that ties logs and events of one request together.
public protocol PortalRequestContext: AuthRequestContext<AuthenticatedUser> {
    var correlationId: String { get set }
}

/// The context the services use: a bearer token or a web session identifies the user.
public struct PortalContext: PortalRequestContext, SessionRequestContext {
    public var coreContext: CoreRequestContextStorage
    public var identity: AuthenticatedUser?
    public var correlationId: String
    public let sessions: SessionContext<WebSession>
    /// The address of the peer that sent the request (nginx, behind it).
    public let peerAddress: String?

    public init(source: Source) {
        coreContext = .init(source: source)
        peerAddress = source.channel.remoteAddress?.ipAddress
        identity = nil
        correlationId = ""
        sessions = .init()
    }
}

/// Reads `X-Correlation-Id` (or makes one), puts it in the request's log metadata as
/// `correlation.id` and echoes it on the response.
struct CorrelationMiddleware<Context: PortalRequestContext>: RouterMiddleware {
    static var header: HTTPField.Name { HTTPField.Name("X-Correlation-Id")! }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let supplied = request.headers[Self.header].flatMap { value -> String? in
            let trimmed = value.trimmingCharacters(in: .whitespaces)
            return (1...128).contains(trimmed.count) && trimmed.allSatisfy({ $0.isASCII && !$0.isWhitespace }) ? trimmed : nil
        }
        context.correlationId = supplied ?? UUID().uuidString.lowercased()
        context.logger[metadataKey: "correlation.id"] = .string(context.correlationId)
        do {
            var response = try await next(request, context)
            response.headers[Self.header] = context.correlationId
            return response
        } catch let error as any HTTPResponseError {
            var response = try error.response(from: request, context: context)
            response.headers[Self.header] = context.correlationId
            return response
        }
    }
}
