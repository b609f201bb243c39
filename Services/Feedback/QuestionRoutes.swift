import Foundation
import Hummingbird
import Models
import ServiceKit
import Store

/// The citizens' API (`docs/openapi.yaml`): send a question, follow it by its code, add what the
/// unit asked for, ask for a link to one's personal data. No account; limited per address and
/// per contact.
struct QuestionRoutes {
    let store: QuestionStore
    let reference: ReferenceData
    let limits: PublicLimits
    let personal: PersonalDataRequests

    func register(on router: Router<PortalContext>) {
        let api = router.group("/api/v1/questions")
        api.post { request, context in try await submit(request, context) }
        api.get("/:code") { request, context in
            try lookupAllowed(request, context)
            return try await status(try code(context))
        }
        api.post("/:code/clarification") { request, context in
            try lookupAllowed(request, context)
            let fields = try await Self.fields(request)
            try await refusing { try await store.clarify(trackingCode: try code(context), text: fields["text"] ?? "") }
            return try await status(try code(context))
        }
        api.post("/:code/personal-data-link") { request, context in
            try lookupAllowed(request, context)
            try await refusing { try await personal.sendLink(trackingCode: try code(context), correlationId: context.correlationId) }
            return Response(status: .accepted, headers: [.contentType: "application/json; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: #"{"sent":true}"#)))
        }
    }

    func lookupAllowed(_ request: Request, _ context: PortalContext) throws {
        guard limits.lookupsByAddress.allow(PublicLimits.clientAddress(request, context)) else { throw PublicLimits.tooManyLookups }
    }

    func code(_ context: PortalContext) throws -> String {
        guard let code = context.parameters.get("code").flatMap(TrackingCode.normalized) else {
            throw APIError.notFound("tracking_code_not_found", "Không tìm thấy câu hỏi với mã này; kiểm tra lại mã (20 ký tự). / No question has this code.")
        }
        return code
    }

    /// Runs a store action, turning its refusal into the API's error.
    func refusing<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let refusal as QuestionStore.Refusal { throw refusal.error }
    }

    struct Accepted: ResponseEncodable {
        let trackingCode: String
        let statusUrl: String
    }

    func submit(_ request: Request, _ context: PortalContext) async throws -> Response {
        let (fields, attachment) = try await Self.question(request)
        let question = NewQuestion(fields: fields, attachment: attachment)
        let snapshot = try await reference.current()
        if let problem = question.problems(fields: snapshot.fields).first { throw problem.apiError }
        let site = Self.site(request)
        let received = try await accept(question, request, context, site: site)
        var response = try Accepted(trackingCode: received.trackingCode, statusUrl: "/api/v1/questions/\(received.trackingCode)")
            .response(from: request, context: context)
        response.status = .accepted
        return response
    }

    /// Counts the question against the limits, then stores it.
    func accept(_ question: NewQuestion, _ request: Request, _ context: PortalContext, site: String, dialogueId: UUID? = nil) async throws -> QuestionStore.Received {
        guard limits.questionsByAddress.allow(PublicLimits.clientAddress(request, context)) else { throw PublicLimits.tooManyQuestions }
        for contact in [question.personalData.email, question.personalData.phone].compactMap({ $0 }) {
            guard limits.questionsByContact.allow(limits.questionsByContact.contactKey(contact)) else { throw PublicLimits.tooManyQuestions }
        }
        return try await store.receive(question, site: site, dialogueId: dialogueId, correlationId: context.correlationId)
    }

    /// The site the request came to, by `Host`, when it is one of the portal's names.
    static func site(_ request: Request) -> String {
        let host = (request.head.authority ?? "").split(separator: ":").first.map { $0.lowercased() } ?? ""
        return host == SiteDomain.portal || host.hasSuffix("." + SiteDomain.portal) ? host : SiteDomain.portal
    }

    /// The fields of a question from JSON, a urlencoded form or a multipart form (with the attachment).
    static func question(_ request: Request) async throws -> ([String: String], NewQuestion.Attachment?) {
        let type = (request.headers[.contentType] ?? "").lowercased()
        if type.hasPrefix("multipart/form-data") {
            guard let boundary = MultipartForm.boundary(of: request.headers[.contentType] ?? "") else {
                throw APIError.badRequest("invalid_multipart", "The multipart body has no boundary.")
            }
            // Read up to what the proxy lets through (deploy/nginx: 7 MB), more than a question takes:
            // a photo a little too large is then refused by name, in the form, with what was typed kept.
            let body = try await request.body.collect(upTo: 7 * 1024 * 1024)
            let form = try MultipartForm.read(body, boundary: boundary, fileFields: ["attachment"])
            var fields = [String: String]()
            for (name, values) in form.fields { fields[name] = values.first }
            let file = form.files.first { $0.field == "attachment" && !$0.bytes.isEmpty }
            return (fields, file.map { .init(filename: $0.filename ?? "tep-dinh-kem", contentType: $0.contentType, bytes: $0.bytes) })
        }
        return (try await fields(request), nil)
    }

    /// A JSON object's members as text (`true` as "true"), or a urlencoded form.
    static func fields(_ request: Request) async throws -> [String: String] {
        let type = (request.headers[.contentType] ?? "").lowercased()
        if type.hasPrefix("application/x-www-form-urlencoded") {
            var fields = [String: String]()
            for (name, value) in try await Form.read(request).pairs where fields[name] == nil { fields[name] = value }
            return fields
        }
        let body = try await request.body.collect(upTo: 64 * 1024)
        guard let value = try? EventCoding.decoder.decode(JSONValue.self, from: Data(body.readableBytesView)), case .object(let members) = value else {
            throw APIError.badRequest("invalid_json", "Nội dung gửi phải là một đối tượng JSON. / The body must be a JSON object.")
        }
        var fields = [String: String]()
        for (name, member) in members {
            switch member {
            case .string(let text): fields[name] = text
            case .bool(let flag): fields[name] = flag ? "true" : "false"
            case .number(let number): fields[name] = String(describing: number)
            case .null: continue
            default: throw APIError.badRequest("invalid_\(name)", "Trường “\(name)” phải là chuỗi ký tự. / '\(name)' must be a string.")
            }
        }
        return fields
    }

    // MARK: Status

    /// What anyone holding the code sees: never the name, contact or address.
    struct Status: ResponseEncodable {
        struct Named: Codable { let code: String; let name: String }
        struct Answer: Codable { let text: String; let answeredOn: String; let notice: String }
        let status: String
        let statusLabel: String
        let statusLabelEn: String
        let title: String
        let receivedOn: String
        let field: Named?
        let unit: Named
        let dueDate: String?
        let clarificationRequest: String?
        let answer: Answer?
        let publishedUrl: String?
    }

    func status(_ code: String) async throws -> Status {
        guard let found = try await store.find(trackingCode: code) else {
            throw APIError.notFound("tracking_code_not_found", "Không tìm thấy câu hỏi với mã này; kiểm tra lại mã. / No question has this code.")
        }
        return Self.status(of: found, snapshot: try await reference.current())
    }

    static func status(of found: QuestionStore.Case, snapshot: ReferenceData.Snapshot) -> Status {
        let answered = found.state == .answered || found.state == .published
        return Status(
            status: found.state.rawValue, statusLabel: found.state.vietnamese, statusLabelEn: found.state.english, title: found.title,
            receivedOn: found.receivedOn.description,
            field: snapshot.field(found.fieldCode).map { .init(code: $0.code, name: $0.nameVi) },
            unit: .init(code: found.unitCode, name: snapshot.unitName(found.unitCode)),
            dueDate: found.dialogueId == nil ? found.dueOn?.description : nil,
            clarificationRequest: found.state == .awaitingCitizen ? found.clarificationRequest : nil,
            answer: answered ? found.answer.map {
                .init(text: $0, answeredOn: found.answeredAt.map { LocalDate.of($0).description } ?? "", notice: AnswerNotice.vietnamese)
            } : nil,
            publishedUrl: found.state == .published ? "/hoi-dap/\(found.id.uuidString.lowercased()).html" : nil)
    }
}
