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
        if let part = firstPartWithAForeignHeaderName(body, boundary: boundary) {
            throw APIError.badRequest(
                "invalid_multipart", "Part \(part) has a header whose name is not ASCII, or bytes where its headers should be.")
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

    /// The number of the first part with a byte above 0x7F in a header's name (the bytes of a
    /// header line before its colon, or the whole line without one), nil when there is none.
    /// MultipartKit's parser looks such a byte up in a table of 128 entries and stops the process
    /// (index out of range), so those bodies are refused before it sees them. Header values may
    /// hold UTF-8 (a file name), and part bodies anything.
    static func firstPartWithAForeignHeaderName(_ body: ByteBuffer, boundary: String) -> Int? {
        let bytes = body.readableBytesView
        let delimiter = Array("--\(boundary)".utf8)
        var part = 0
        var index = bytes.startIndex
        while let found = Self.find(delimiter, in: bytes, from: index) {
            var cursor = found + delimiter.count
            // The closing delimiter ("--" after the boundary) ends the parts.
            if bytes[cursor...].starts(with: [0x2D, 0x2D]) { return nil }
            part += 1
            guard let lineEnd = Self.find([0x0D, 0x0A], in: bytes, from: cursor) else { return nil }
            cursor = lineEnd + 2
            // Header lines up to the empty one (or the end of the body).
            while cursor < bytes.endIndex {
                let end = Self.find([0x0D, 0x0A], in: bytes, from: cursor) ?? bytes.endIndex
                if end == cursor { break }
                let line = bytes[cursor..<end]
                let name = line[..<(line.firstIndex(of: 0x3A) ?? line.endIndex)]
                if name.contains(where: { $0 > 0x7F }) { return part }
                cursor = min(end + 2, bytes.endIndex)
            }
            index = cursor
        }
        return nil
    }

    private static func find(_ needle: [UInt8], in bytes: ByteBufferView, from start: Int) -> Int? {
        bytes[start...].firstRange(of: needle)?.lowerBound
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
