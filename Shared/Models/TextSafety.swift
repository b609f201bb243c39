/// Characters that make text read other than it is, and the file names that may be shown and
/// saved as they read. One rule for every way in (the API, forms, mail, citizens' questions), so
/// that what one refuses another cannot let through.
public enum TextSafety {
    /// The embeddings, overrides and isolates of the bidirectional algorithm (U+202A–U+202E,
    /// U+2066–U+2069): "bao-cao\u{202E}fdp.exe" shows as "bao-caoexe.pdf". Vietnamese and English
    /// text never needs them; the plain marks U+200E and U+200F change nothing after them and stay.
    public static func hasDirectionControl(_ text: String) -> Bool {
        text.unicodeScalars.contains { (0x202A...0x202E).contains($0.value) || (0x2066...0x2069).contains($0.value) }
    }

    /// A file name of 1 to 255 characters, with no path separator, no control character and no
    /// direction control.
    public static func isSafeFileName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 255 && !hasDirectionControl(name)
            && !name.unicodeScalars.contains { $0 == "/" || $0 == "\\" || $0.properties.generalCategory == .control }
    }

    /// A cell of an exported table that a spreadsheet would take as a formula (= + - @ first,
    /// or a tab or carriage return that some programs skip before one) gets a leading
    /// apostrophe: the text shows as written and nothing runs.
    public static func spreadsheetText(_ text: String) -> String {
        guard let first = text.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) else { return text }
        return "'" + text
    }
}
