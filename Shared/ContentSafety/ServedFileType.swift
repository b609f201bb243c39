/// How a file someone sent is served back (to editors, or on the sites): by what its bytes
/// are, never by its name or declared type. Pictures browsers show and PDF are shown; anything
/// else, HTML and SVG included, is an opaque download, so that no sent file runs as a page of
/// the portal's origin.
public enum ServedFileType {
    public static func of(_ head: [UInt8]) -> (contentType: String, inline: Bool) {
        func starts(_ magic: [UInt8], at offset: Int = 0) -> Bool {
            head.count >= offset + magic.count && Array(head[offset..<offset + magic.count]) == magic
        }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return ("image/png", true) }
        if starts([0xFF, 0xD8, 0xFF]) { return ("image/jpeg", true) }
        if starts(Array("GIF87a".utf8)) || starts(Array("GIF89a".utf8)) { return ("image/gif", true) }
        if starts(Array("RIFF".utf8)), starts(Array("WEBP".utf8), at: 8) { return ("image/webp", true) }
        if starts(Array("%PDF-".utf8)) { return ("application/pdf", true) }
        return ("application/octet-stream", false)
    }
}
