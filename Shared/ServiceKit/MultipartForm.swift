import Foundation
import MultipartKit
import NIOCore
import NIOHTTP1

/// The parts of a `multipart/form-data` body: text fields by name, and file parts (a part with a
/// filename, or named as a file by the caller).
public struct MultipartForm: Sendable {
    public struct File: Sendable {
        public var field: String
        public var filename: String?
        public var contentType: String
        public var bytes: [UInt8]
    }

    public var fields = [String: [String]]()
    public var files = [File]()

    public func field(_ name: String) -> String? { fields[name]?.first }

    public static func read(_ body: ByteBuffer, boundary: String, fileFields: Set<String> = ["attachments"]) throws -> MultipartForm {
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
        for (index, part) in parts.enumerated() {
            // A part is never dropped without a word: its file or its text would be lost while
            // the rest is accepted. (A header that is not UTF-8 reaches here empty.)
            let disposition = part.headers.first(name: "Content-Disposition") ?? ""
            guard let name = MultipartForm.parameter("name", in: disposition), !name.isEmpty else {
                throw APIError.badRequest(
                    "invalid_multipart", "Part \(index + 1) has no readable Content-Disposition with a name (its headers must be UTF-8).")
            }
            let bytes = Array(part.body.readableBytesView)
            let filename = MultipartForm.parameter("filename", in: disposition)
            if fileFields.contains(name) || filename != nil {
                // An empty name with no bytes is a browser's "no file chosen"; with bytes, a name lost.
                if let filename, filename.isEmpty, !bytes.isEmpty {
                    throw APIError.badRequest("invalid_file_name", "The file of part '\(name)' has no readable name (it must be UTF-8).")
                }
                form.files.append(.init(
                    field: name, filename: filename, contentType: part.headers.first(name: "Content-Type") ?? "application/octet-stream", bytes: bytes))
            } else {
                guard let text = String(validating: bytes, as: UTF8.self) else {
                    throw APIError.badRequest("invalid_multipart", "The field '\(name)' is not UTF-8 text.")
                }
                form.fields[name, default: []].append(text)
            }
        }
        return form
    }

    /// The boundary of a `multipart/form-data` content type.
    public static func boundary(of contentType: String) -> String? {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0].lowercased() == "boundary" {
                return pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
        }
        return nil
    }

    /// The `;`-separated items of a header value; a `;` inside a quoted value is part of it.
    static func parameters(of header: String) -> [Substring] {
        var items = [Substring](), start = header.startIndex, quoted = false, escaped = false
        for index in header.indices {
            let character = header[index]
            if escaped { escaped = false; continue }
            if character == "\\", quoted { escaped = true; continue }
            if character == "\"" { quoted.toggle() }
            if character == ";", !quoted {
                items.append(header[start..<index])
                start = header.index(after: index)
            }
        }
        items.append(header[start...])
        return items
    }

    /// A parameter of a Content-Disposition value: `name="x"`, and RFC 5987 `filename*=UTF-8''…`.
    public static func parameter(_ key: String, in header: String) -> String? {
        var plain: String?
        for item in parameters(of: header).dropFirst() {
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
