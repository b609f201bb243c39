/// How a file someone sent is served back (to editors, or on the sites): by what its bytes
/// are, never by its name or declared type. Pictures browsers show and PDF are shown; anything
/// else, HTML and SVG included, is an opaque download, so that no sent file runs as a page of
/// the portal's origin.
public enum ServedFileType {
    /// The types whose signature in the first bytes is unambiguous: (offset, bytes) pairs that
    /// must all be there. Intake's check of declared types reads the same table.
    static let signatures: [(type: String, parts: [[(offset: Int, bytes: [UInt8])]])] = [
        ("image/png", [[(0, [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])]]),
        ("image/jpeg", [[(0, [0xFF, 0xD8, 0xFF])]]),
        ("image/gif", [[(0, Array("GIF87a".utf8))], [(0, Array("GIF89a".utf8))]]),
        ("image/webp", [[(0, Array("RIFF".utf8)), (8, Array("WEBP".utf8))]]),
        ("application/pdf", [[(0, Array("%PDF-".utf8))]]),
    ]

    /// The types `detected` can name.
    public static let recognised = Set(signatures.map(\.type))

    /// A declared content type without its parameters, lower-cased: `image/png; name=a.png` is `image/png`.
    public static func baseType(of contentType: String) -> String {
        contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
    }

    /// The type the bytes are by their signature, or nil when they match none of `recognised`.
    public static func detected(_ head: some Collection<UInt8>) -> String? {
        let head = Array(head.prefix(12))
        func has(_ part: (offset: Int, bytes: [UInt8])) -> Bool {
            head.count >= part.offset + part.bytes.count && Array(head[part.offset..<part.offset + part.bytes.count]) == part.bytes
        }
        return signatures.first { $0.parts.contains { $0.allSatisfy(has) } }?.type
    }

    public static func of(_ head: [UInt8]) -> (contentType: String, inline: Bool) {
        detected(head).map { ($0, true) } ?? ("application/octet-stream", false)
    }
}
