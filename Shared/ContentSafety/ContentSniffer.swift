
/// Checks a declared content type against the file's first bytes, for the types whose
/// signatures are unambiguous. A file that claims to be a picture or a PDF must be one,
/// so that nothing else reaches a page under that name.
public enum ContentSniffer {
    /// False when `contentType` is one we know (`ServedFileType.recognised`) and the bytes do
    /// not start as it requires.
    public static func matches(_ bytes: [UInt8], declared contentType: String) -> Bool {
        let type = ServedFileType.baseType(of: contentType)
        guard ServedFileType.recognised.contains(type) else { return true }
        return ServedFileType.detected(bytes) == type
    }
}
