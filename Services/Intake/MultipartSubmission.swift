import Foundation
import NIOCore
import ServiceKit

/// Reads `multipart/form-data` into the same request the JSON endpoint takes. Text fields
/// carry the JSON fields by name (`authors`, `legalDocument` and `draft` as JSON text,
/// `targetSites` repeated or comma-separated); each file part named `attachments` is an
/// attachment, and a field `altText:<file name>` gives its alt text.
enum MultipartSubmission {
    static func parse(_ body: ByteBuffer, boundary: String) throws -> SubmissionRequest {
        let form = try MultipartForm.read(body, boundary: boundary)
        let fields = form.fields
        var files = [SubmissionRequest.Attachment]()
        for file in form.files {
            guard file.field == "attachments" else { continue }
            guard let filename = file.filename else {
                throw APIError.badRequest("invalid_attachment", "Each attachments part needs a filename.")
            }
            files.append(.init(filename: filename, contentType: file.contentType, dataBase64: Data(file.bytes).base64EncodedString(), altText: nil))
        }
        for index in files.indices {
            files[index].altText = fields["altText:\(files[index].filename)"]?.first
        }
        func field(_ name: String) -> String? { fields[name]?.first }
        func required(_ name: String) throws -> String {
            guard let value = field(name) else { throw APIError.badRequest("\(name)_required", "The form lacks the field '\(name)'.") }
            return value
        }
        func json<Value: Decodable>(_ name: String, as _: Value.Type) throws -> Value? {
            guard let text = field(name) else { return nil }
            do {
                return try JSONDecoder().decode(Value.self, from: Data(text.utf8))
            } catch {
                throw APIError.badRequest("invalid_\(name)", "The field '\(name)' must be JSON: \(error)")
            }
        }
        return SubmissionRequest(
            title: try required("title"), summary: field("summary"), body: try required("body"),
            bodyFormat: field("bodyFormat"), kind: field("kind"), language: field("language"),
            authors: try json("authors", as: [SubmissionRequest.Author].self),
            targetSites: fields["targetSites"].map { $0.flatMap { $0.split(separator: ",").map { String($0) } } },
            alsoOnOwnSite: field("alsoOnOwnSite").map { $0 == "true" || $0 == "1" },
            attachments: files, legalDocument: try json("legalDocument", as: SubmissionRequest.LegalDocument.self),
            draft: try json("draft", as: SubmissionRequest.Draft.self), wishedPublicationDate: field("wishedPublicationDate"))
    }
}
