import NIOCore
import ServiceKit
import Testing

/// Multipart bodies as the API fuzzing sent them: whatever the bytes, a clear refusal or the parts,
/// never a crash.
@Suite("Multipart bodies")
struct MultipartFormTests {
    static let boundary = "732a0d7bcbe3df851a045155ac5738b2"

    func read(_ bytes: [UInt8]) throws -> MultipartForm {
        try MultipartForm.read(ByteBuffer(bytes: bytes), boundary: Self.boundary)
    }

    @Test("A part with bytes where its headers should be, right before the closing boundary, is refused with invalid_multipart")
    func partWithoutHeaders() throws {
        let body = Array("--\(Self.boundary)\r\n".utf8) + [0xF1, 0xB8, 0x86, 0x8F, 0x73] + Array("--\(Self.boundary)--\r\n".utf8)
        let error = #expect(throws: APIError.self) { try read(body) }
        #expect(error?.code == "invalid_multipart", "\(String(describing: error))")
    }
}

extension MultipartFormTests {
    @Test("A header name with a byte above 0x7F is refused; a file name in UTF-8, in the header's value, is read")
    func headerNamesAndValues() throws {
        let foreignName = Array("--\(Self.boundary)\r\nContent-Disposition: form-data; name=\"title\"\r\nX-".utf8) + [0xC3, 0xA9]
            + Array(": 1\r\n\r\nabc\r\n--\(Self.boundary)--\r\n".utf8)
        let error = #expect(throws: APIError.self) { try read(foreignName) }
        #expect(error?.code == "invalid_multipart", "\(String(describing: error))")
        let form = try read(Array("""
            --\(Self.boundary)\r\nContent-Disposition: form-data; name="title"\r\n\r\nHội nghị\r\n\
            --\(Self.boundary)\r\nContent-Disposition: form-data; name="attachments"; filename="Ảnh hội nghị.png"\r\n\
            Content-Type: image/png\r\n\r\n\u{89}PNG\r\n--\(Self.boundary)--\r\n
            """.utf8))
        #expect(form.field("title") == "Hội nghị")
        #expect(form.files.map(\.filename) == ["Ảnh hội nghị.png"])
    }
}
