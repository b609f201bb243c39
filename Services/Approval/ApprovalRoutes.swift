import Foundation
import HTTPTypes
import Hummingbird
import Models
import ServiceKit

/// The editorial API: the queue, items with their revisions and decisions, edits, decisions,
/// locks, delegations and quarantined mail (`docs/openapi.yaml`).
struct ApprovalRoutes {
    let queries: EditorialQueries
    let edits: ArticleEdits
    let actions: EditorialActions
    let delegations: Delegations
    let quarantine: QuarantineDecisions
    let originals: Originals

    func register(on router: Router<PortalContext>) {
        let api = router.group("/api/v1")
        api.get("/queue") { request, context in try await queue(request, context) }
        api.get("/articles/:id") { _, context in try await view(context) }
        api.put("/articles/:id") { request, context in try await edit(request, context) }
        api.get("/articles/:id/diff") { request, context in
            let user = try Access.requireConsole(context.identity)
            let query = request.uri.queryParameters
            guard let from = query.get("from").flatMap(Int.init), let to = query.get("to").flatMap(Int.init) else {
                throw APIError.badRequest("invalid_revisions", "Give two revision numbers: ?from=1&to=2.")
            }
            return try await queries.diff(try Self.id(context), from: from, to: to, for: user)
        }
        api.get("/articles/:id/attachments/:sha256") { _, context in
            let user = try Access.requireConsole(context.identity)
            let file = try await originals.attachment(of: try Self.id(context), sha256: context.parameters.get("sha256") ?? "", for: user)
            return Originals.fileResponse(file.bytes, filename: file.ref.filename)
        }
        api.get("/quarantine/:id") { _, context in
            try await originals.heldMail(try Self.id(context), for: try Access.requireConsole(context.identity))
        }
        api.get("/quarantine/:id/raw") { _, context in
            let id = try Self.id(context)
            let raw = try await originals.raw(id, for: try Access.requireConsole(context.identity))
            return Originals.fileResponse(raw, filename: "thu-\(id.uuidString.lowercased()).eml", forceDownload: true, contentType: "message/rfc822")
        }
        api.post("/articles/:id/lock") { _, context in try await lock(context, release: false) }
        api.delete("/articles/:id/lock") { _, context in try await lock(context, release: true) }
        api.post("/articles/:id/:action") { request, context in try await decide(request, context) }
        api.get("/delegations") { _, context in
            guard let user = context.identity else { throw APIError.unauthorized }
            return Listing(items: try await delegations.list(for: user))
        }
        api.post("/delegations") { request, context in
            guard let user = context.identity else { throw APIError.unauthorized }
            let body = try await Self.decode(DelegationRequest.self, request, context)
            let id = try await delegations.create(body, by: user, correlationId: context.correlationId)
            var response = try Created(id: id.uuidString.lowercased()).response(from: request, context: context)
            response.status = .created
            return response
        }
        api.delete("/delegations/:id") { _, context in
            guard let user = context.identity else { throw APIError.unauthorized }
            try await delegations.revoke(try Self.id(context), by: user, correlationId: context.correlationId)
            return Response(status: .noContent)
        }
        api.post("/quarantine/:id/release") { request, context in
            let user = try Access.requireConsole(context.identity)
            let body = try await Self.decode(QuarantineDecisions.Release.self, request, context, allowEmpty: true) ?? .init()
            let article = try await quarantine.release(try Self.id(context), body, by: user, correlationId: context.correlationId)
            var response = try Created(id: article.uuidString.lowercased()).response(from: request, context: context)
            response.status = .created
            return response
        }
        api.post("/quarantine/:id/discard") { request, context in
            let user = try Access.requireConsole(context.identity)
            let body = try await Self.decode(QuarantineDecisions.Discard.self, request, context)
            try await quarantine.discard(try Self.id(context), body, by: user, correlationId: context.correlationId)
            return Response(status: .noContent)
        }
    }

    struct Listing<Item: Codable & Sendable>: ResponseEncodable {
        let items: [Item]
    }

    struct Created: ResponseEncodable {
        let id: String
    }

    func queue(_ request: Request, _ context: PortalContext) async throws -> Listing<QueueItem> {
        let user = try Access.requireConsole(context.identity)
        let query = request.uri.queryParameters
        let assigned = query.get("assignedToMe").map { ["true", "1", "yes"].contains($0.lowercased()) } ?? false
        let limit = query.get("limit").map { Int($0) } ?? 200
        let offset = query.get("offset").map { Int($0) } ?? 0
        guard let limit, (1...500).contains(limit), let offset, offset >= 0 else {
            throw APIError.badRequest("invalid_page", "limit must be 1 to 500 and offset 0 or more.")
        }
        let order = query.get("order") ?? "oldest"
        guard ["oldest", "newest"].contains(order) else {
            throw APIError.badRequest("invalid_order", "order must be oldest (the default) or newest.")
        }
        return Listing(items: try await queries.queue(
            for: user, state: query.get("state"), unit: query.get("unit"), assignedToMe: assigned, newestFirst: order == "newest",
            limit: limit, offset: offset, search: query.get("q"), kind: query.get("kind")))
    }

    func view(_ context: PortalContext) async throws -> Response {
        guard let user = context.identity else { throw APIError.unauthorized }
        let view = try await queries.view(try Self.id(context), for: user, correlationId: context.correlationId)
        // The revision is the item's version: send it back in If-Match to edit.
        return try Self.json(view, headers: [.eTag: "\"\(view.revision.number)\""])
    }

    func edit(_ request: Request, _ context: PortalContext) async throws -> Response {
        guard let user = context.identity else { throw APIError.unauthorized }
        let id = try Self.id(context)
        guard let match = request.headers[.ifMatch]?.trimmingCharacters(in: CharacterSet(charactersIn: "\" W/")), let expected = Int(match) else {
            throw APIError(.preconditionRequired, code: "if_match_required",
                           message: "Send If-Match with the revision you edited (the ETag of GET /api/v1/articles/{id}).")
        }
        let changes = try await Self.decode(ArticleChanges.self, request, context)
        _ = try await edits.edit(id, from: expected, changes: changes, by: user, correlationId: context.correlationId)
        return try await view(context)
    }

    func lock(_ context: PortalContext, release: Bool) async throws -> Response {
        guard let user = context.identity else { throw APIError.unauthorized }
        let until = try await edits.lock(try Self.id(context), by: user, release: release)
        guard let until else { return Response(status: .noContent) }
        return try Self.json(Lock(lockedBy: user.login, lockedUntil: until))
    }

    struct Lock: Encodable {
        let lockedBy: String
        let lockedUntil: Date
    }

    /// The body of a decision; which fields count depends on the action.
    struct DecisionBody: Codable {
        var revision: Int?
        var reason: String?
        var note: String?
        var publicExplanation: String?
    }

    func decide(_ request: Request, _ context: PortalContext) async throws -> Response {
        guard let user = context.identity else { throw APIError.unauthorized }
        let id = try Self.id(context)
        let body = try await Self.decode(DecisionBody.self, request, context, allowEmpty: true) ?? DecisionBody()
        let decision: DecisionRequest
        switch context.parameters.get("action") ?? "" {
        case "submit-for-approval": decision = .submitForApproval
        case "approve":
            guard let revision = body.revision else {
                throw APIError(.unprocessableContent, code: "revision_required", message: "Say which revision you approve: {\"revision\": n}.")
            }
            decision = .approve(revision: revision)
        case "reject": decision = .reject(reason: body.reason ?? "", note: body.note ?? "")
        case "return": decision = .returnForRevision(note: body.note ?? "")
        case "take-down": decision = .takeDown(reason: body.reason ?? "", publicExplanation: body.publicExplanation ?? "")
        case "withdraw": decision = .withdraw(note: body.note)
        case "resubmit": decision = .resubmit
        case let other:
            throw APIError.notFound(
                "unknown_action", "No action '\(other)'; use submit-for-approval, approve, reject, return, take-down, withdraw or resubmit.")
        }
        guard let view = try await actions.perform(decision, on: id, by: user, correlationId: context.correlationId) else {
            return Response(status: .noContent)
        }
        return try Self.json(view, headers: [.eTag: "\"\(view.revision.number)\""])
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: Array(try encoder.encode(value)))))
    }

    static func id(_ context: PortalContext) throws -> UUID {
        guard let id = context.parameters.get("id").flatMap(UUID.init(uuidString:)) else {
            throw APIError.badRequest("invalid_id", "The id in the path is not a UUID.")
        }
        return id
    }

    static func decode<T: Decodable>(_ type: T.Type, _ request: Request, _ context: PortalContext, allowEmpty: Bool = false) async throws -> T? {
        let buffer = try await request.body.collect(upTo: 5 * 1024 * 1024)
        if allowEmpty, buffer.readableBytes == 0 { return nil }
        return try EventCoding.decoder.decode(T.self, from: Data(buffer.readableBytesView))
    }

    static func decode<T: Decodable>(_ type: T.Type, _ request: Request, _ context: PortalContext) async throws -> T {
        let buffer = try await request.body.collect(upTo: 5 * 1024 * 1024)
        return try EventCoding.decoder.decode(T.self, from: Data(buffer.readableBytesView))
    }
}

extension ArticleView: ResponseEncodable {}
extension RevisionDiff: ResponseEncodable {}
