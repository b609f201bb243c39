/// Checks a declared content type against the file's first bytes, for the types whose
/// signatures are unambiguous. A file that claims to be a picture or a PDF must be one,
/// so that nothing else reaches a page under that name.
enum ContentSniffer {
    static let signatures: [String: [[UInt8]]] = [
        "image/png": [[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]],
        "image/jpeg": [[0xFF, 0xD8, 0xFF]],
        "image/gif": [Array("GIF87a".utf8), Array("GIF89a".utf8)],
        "application/pdf": [Array("%PDF-".utf8)],
    ]

    /// False when `contentType` is one we know and the bytes do not start as it requires.
    static func matches(_ bytes: [UInt8], declared contentType: String) -> Bool {
        let type = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        if type == "image/webp" {
            return bytes.count >= 12 && Array(bytes[0..<4]) == Array("RIFF".utf8) && Array(bytes[8..<12]) == Array("WEBP".utf8)
        }
        guard let expected = signatures[type] else { return true }
        return expected.contains { bytes.starts(with: $0) }
    }
}
