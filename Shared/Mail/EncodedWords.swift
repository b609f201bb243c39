import Foundation

/// Joins runs of adjacent base64 encoded-words (RFC 2047) of one charset into a single word.
///
/// GMime 3.2.13, as Debian 12 ships it, decodes such a run as one base64 stream, so a word that
/// ends in padding ("…cA==") swallows every word after it: "=?UTF-8?B?YWJjZA==?= =?UTF-8?B?ZWZnaA==?="
/// decodes to "abcd". Outlook and GMime itself fold long Vietnamese subjects exactly that way.
/// Decoding each word's bytes here and encoding the run again without inner padding gives GMime
/// input it reads correctly, and keeps its charset conversion and its tolerance of characters
/// split across words.
enum EncodedWords {
    private struct Word {
        var charset: String
        var bytes: Data
    }

    static func mergingAdjacentBase64(_ text: String) -> String {
        var output = ""
        var run: Word?
        var pendingSpace = ""
        var rest = Substring(text)
        func flush() {
            if let word = run { output += "=?\(word.charset)?B?\(word.bytes.base64EncodedString())?=" }
            run = nil
        }
        while !rest.isEmpty {
            if let (word, after) = base64Word(at: rest) {
                if let current = run, current.charset.lowercased() == word.charset.lowercased() {
                    // Whitespace between adjacent encoded-words is not part of the text (RFC 2047 §6.2).
                    run!.bytes.append(word.bytes)
                } else {
                    flush()
                    output += pendingSpace
                    run = word
                }
                pendingSpace = ""
                rest = after
                continue
            }
            let character = rest.removeFirst()
            if run != nil, character == " " || character == "\t" || character == "\r" || character == "\n" {
                pendingSpace.append(character)
                continue
            }
            flush()
            output += pendingSpace
            pendingSpace = ""
            output.append(character)
        }
        flush()
        return output + pendingSpace
    }

    /// `=?charset?B?payload?=` at the start of `text`, with its decoded bytes.
    private static func base64Word(at text: Substring) -> (Word, Substring)? {
        guard text.hasPrefix("=?") else { return nil }
        let parts = text.dropFirst(2).split(separator: "?", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 4, !parts[0].isEmpty, parts[1].uppercased() == "B", parts[3].hasPrefix("="),
              !parts[2].contains(where: \.isWhitespace)
        else { return nil }
        var payload = String(parts[2])
        while payload.count % 4 != 0 { payload += "=" }
        guard let bytes = Data(base64Encoded: payload) else { return nil }
        return (Word(charset: String(parts[0]), bytes: bytes), parts[3].dropFirst())
    }
}
