import ContentSafety
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Models
import ServiceKit

/// `POST /api/v1/submissions`, `GET /api/v1/submissions/{id}`, `GET /api/v1/submissions`.
struct SubmissionRoutes {
    let store: SubmissionStore
    /// `INTAKE_MAX_ATTACHMENT_BYTES`: decoded attachments of one submission, in all.
    let maxAttachmentBytes: Int

    static let idempotencyHeader = HTTPField.Name("Idempotency-Key")!

    func register(on router: Router<PortalContext>) {
        let group = router.group("/api/v1/submissions")
        group.post { request, context in try await create(request, context) }
        group.get { request, context in try await list(request, context) }
        group.get("/:id") { request, context in try await status(request, context) }
        router.get("/theo-doi/:id") { _, context in try await trackingPage(context) }
    }

    /// The page an acknowledgement links to: what became of what was sent, in Vietnamese first,
    /// without signing in (the random id is the key); nothing but the title and the status.
    func trackingPage(_ context: PortalContext) async throws -> Response {
        var found: SubmissionStatus?
        if let id = context.parameters.get("id").flatMap(UUID.init(uuidString:)) { found = try await store.status(of: id) }
        let escape = HTMLSanitizer.escape
        var body = ""
        if let status = found {
            body = """
                <h1>Tình trạng tin, bài đã gửi</h1>
                <dl>
                <dt>Tiêu đề</dt><dd>\(escape(status.title))</dd>
                <dt>Mã theo dõi</dt><dd>\(status.id)</dd>
                <dt>Thời điểm tiếp nhận</dt><dd>\(PortalCalendar.dateTime(status.receivedAt)) (giờ Việt Nam)</dd>
                <dt>Tình trạng</dt><dd>\(escape(status.statusLabel))\(status.note.map { " – " + escape($0) } ?? "")</dd>
                \(status.publishedUrl.map { "<dt>Đã đăng tại</dt><dd><a href=\"\(escape($0))\">\(escape($0))</a></dd>" } ?? "")
                </dl>
                <p lang="en">Status of your submission: \(escape(status.status.replacingOccurrences(of: "_", with: " "))).</p>
                """
        } else {
            body = "<h1>Không tìm thấy mã theo dõi này</h1><p>Xin kiểm tra lại đường dẫn trong thư báo đã tiếp nhận.</p><p lang=\"en\">No submission has this tracking id.</p>"
        }
        let page = """
            <!DOCTYPE html>
            <html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
            <title>Theo dõi tin, bài – Cổng Thông tin điện tử tỉnh Long An</title>
            <style>body{font-family:sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5}dt{font-weight:bold}</style>
            </head><body><main>\(body)</main></body></html>
            """
        return Response(
            status: found == nil ? .notFound : .ok,
            headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                      HTTPField.Name("Content-Security-Policy")!: "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
                      HTTPField.Name("Referrer-Policy")!: "no-referrer"],
            body: .init(byteBuffer: ByteBuffer(string: page)))
    }

    struct Accepted: ResponseEncodable {
        let id: String
        let status: String
        let statusUrl: String
    }

    func create(_ request: Request, _ context: PortalContext) async throws -> Response {
        let (user, unit) = try Self.submitter(context)
        let contentType = request.headers[.contentType] ?? ""
        let isJSON = contentType.lowercased().hasPrefix("application/json")
        let boundary = contentType.lowercased().hasPrefix("multipart/form-data") ? MultipartForm.boundary(of: contentType) : nil
        guard isJSON || boundary != nil else {
            throw APIError(
                .unsupportedMediaType, code: "unsupported_media_type",
                message: "Send the submission as application/json or multipart/form-data (with a boundary).")
        }
        let key = request.headers[Self.idempotencyHeader]?.trimmingCharacters(in: .whitespaces)
        if let key, !(1...200).contains(key.count) {
            throw APIError.badRequest("invalid_idempotency_key", "Idempotency-Key must be 1 to 200 characters.")
        }
        // Base64 makes attachments a third larger than their bytes.
        let buffer = try await request.body.collect(upTo: maxAttachmentBytes / 3 * 4 + 2_000_000)
        let raw = Array(buffer.readableBytesView)
        let parsed: SubmissionRequest
        let fingerprint: [UInt8]
        if let boundary {
            parsed = try MultipartSubmission.parse(buffer, boundary: boundary)
            // A client picks a new boundary for each request: what identifies a repeat is the
            // submission it carries, not the bytes around it.
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            fingerprint = Array(try encoder.encode(parsed))
        } else {
            parsed = try JSONDecoder().decode(SubmissionRequest.self, from: Data(raw))
            fingerprint = raw
        }
        let submission = try parsed.validated(
            maxAttachmentBytes: maxAttachmentBytes, sender: .init(name: user.fullName, userId: user.id, share: nil))
        let unknown = try await store.unknownSites(submission.targetSites)
        guard unknown.isEmpty else {
            throw APIError.badRequest(
                "unknown_target_site", "No component site \(unknown.joined(separator: ", ")) is registered; use the portal or a unit's site.")
        }
        let repeatKey = key.map {
            RepeatKey.idempotency(userId: user.id, key: $0, requestSHA256: SHA256.hash(data: fingerprint).hexString)
        }
        let created = try await store.create(
            submission, raw: raw, rawType: isJSON ? "application/json" : contentType, origin: .api(user, unit: unit),
            repeatKey: repeatKey, correlationId: context.correlationId)
        context.logger.info(
            created.replayed ? "submission replayed for its idempotency key" : "submission received",
            metadata: ["submission.id": .string(created.id.uuidString.lowercased()), "unit": .string(unit)])
        let body = Accepted(id: created.id.uuidString.lowercased(), status: ArticleState.received.rawValue, statusUrl: "/api/v1/submissions/\(created.id.uuidString.lowercased())")
        var response = try body.response(from: request, context: context)
        response.status = .accepted
        response.headers[.location] = body.statusUrl
        return response
    }

    func status(_ request: Request, _ context: PortalContext) async throws -> SubmissionStatus {
        let (_, unit) = try Self.submitter(context)
        guard let id = context.parameters.get("id").flatMap(UUID.init(uuidString:)) else {
            throw APIError.badRequest("invalid_id", "The submission id is not a UUID.")
        }
        guard let status = try await store.status(of: id, forUnit: unit) else {
            throw APIError.notFound("submission_not_found", "No submission \(id.uuidString.lowercased()) from your unit.")
        }
        return status
    }

    struct Listing: ResponseEncodable {
        let items: [SubmissionStatus]
    }

    func list(_ request: Request, _ context: PortalContext) async throws -> Listing {
        let (_, unit) = try Self.submitter(context)
        let query = request.uri.queryParameters
        if let asked = query.get("unit"), asked != unit {
            throw APIError.forbidden("other_unit", "You can list the submissions of your own unit (\(unit)) only.")
        }
        let status = query.get("status")
        if let status, ArticleState(rawValue: status) == nil {
            throw APIError.badRequest("invalid_status", "Unknown status '\(status)'; use one of: \(ArticleState.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        func date(_ name: String) throws -> LocalDate? {
            guard let text = query.get(name) else { return nil }
            guard let date = LocalDate(iso: text) else { throw APIError.badRequest("invalid_date", "\(name) must be a date YYYY-MM-DD.") }
            return date
        }
        let items = try await store.list(unit: unit, status: status, from: try date("from"), to: try date("to"), limit: 200)
        return Listing(items: items)
    }

    /// The caller must be signed in as a collaborator or liaison of a unit.
    static func submitter(_ context: PortalContext) throws -> (AuthenticatedUser, String) {
        guard let user = context.identity else { throw APIError.unauthorized }
        guard user.has(.collaborator) || user.has(.unitLiaison), let unit = user.unitCode else {
            throw APIError.forbidden("not_a_submitter", "Only collaborators and liaisons of a unit can submit or follow submissions.")
        }
        return (user, unit)
    }
}

extension SubmissionStatus: ResponseEncodable {}
