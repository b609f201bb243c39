import Foundation
import MultipartKit
import NIOCore
import NIOHTTP1
import ServiceKit

/// Reads `multipart/form-data` into the same request the JSON endpoint takes. Text fields
/// carry the JSON fields by name (`authors`, `legalDocument` and `draft` as JSON text,
/// `targetSites` repeated or comma-separated); each file part named `attachments` is an
/// attachment, and a field `altText:<file name>` gives its alt text.
enum MultipartSubmission {
    static func boundary(of contentType: String) -> String? {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0].lowercased() == "boundary" {
                return pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
        }
        return nil
    }

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

    /// A parameter of a Content-Disposition value: `name="x"`, and RFC 5987 `filename*=UTF-8''…`.
    static func parameter(_ key: String, in header: String) -> String? {
        var plain: String?
        for item in header.split(separator: ";").dropFirst() {
            let pair = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2 else { continue }
            if pair[0].lowercased() == key + "*", let quote = pair[1].range(of: "''") {
                return String(pair[1][quote.upperBound...]).removingPercentEncoding
            }
            if pair[0].lowercased() == key {
                plain = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
        }
        return plain
    }
}

/// The parts of a `multipart/form-data` body: text fields by name, and file parts (a part with a
/// filename, or named as a file by the caller).
struct MultipartForm {
    struct File {
        var field: String
        var filename: String?
        var contentType: String
        var bytes: [UInt8]
    }

    var fields = [String: [String]]()
    var files = [File]()

    func field(_ name: String) -> String? { fields[name]?.first }

    static func read(_ body: ByteBuffer, boundary: String, fileFields: Set<String> = ["attachments"]) throws -> MultipartForm {
        var parts = [MultipartPart]()
        var headers = HTTPHeaders()
        var partBody = ByteBuffer()
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { name, value in headers.add(name: name, value: value) }
        parser.onBody = { chunk in partBody.writeBuffer(&chunk) }
        parser.onPartComplete = {
            parts.append(MultipartPart(headers: headers, body: partBody))
            headers = HTTPHeaders()
            partBody = ByteBuffer()
        }
        do {
            try parser.execute(body)
        } catch {
            throw APIError.badRequest("invalid_multipart", "The multipart body cannot be read: \(error)")
        }
        var form = MultipartForm()
        for part in parts {
            let disposition = part.headers.first(name: "Content-Disposition") ?? ""
            guard let name = MultipartSubmission.parameter("name", in: disposition) else { continue }
            let bytes = Array(part.body.readableBytesView)
            let filename = MultipartSubmission.parameter("filename", in: disposition)
            if fileFields.contains(name) || filename != nil {
                form.files.append(.init(
                    field: name, filename: filename, contentType: part.headers.first(name: "Content-Type") ?? "application/octet-stream", bytes: bytes))
            } else {
                form.fields[name, default: []].append(String(decoding: bytes, as: UTF8.self))
            }
        }
        return form
    }
}
