import ContentSafety
import Foundation

/// The text of a mail as people write it, made into what editors should read: soft line
/// breaks joined (RFC 3676), quoted reply history folded away, forwarded messages marked,
/// inline images pointed at their files. Pure functions on strings.
enum MailText {
    // MARK: format=flowed (RFC 3676)

    /// Joins the soft line breaks of `format=flowed` text: a line that ends in a space goes on
    /// in the next line of the same quote depth; one leading space of a stuffed line goes; the
    /// signature separator "-- " is never joined.
    static func unflowed(_ text: String, deleteSpace: Bool) -> String {
        var output = [String]()
        var current: (depth: Int, text: String)?
        for rawLine in text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false) {
            var line = Substring(rawLine)
            let depth = line.prefix(while: { $0 == ">" }).count
            line = line.dropFirst(depth)
            if line.first == " " { line = line.dropFirst() }  // space-stuffing
            let isSignature = line == "-- "
            let flowed = !isSignature && line.hasSuffix(" ")
            var content = String(line)
            if flowed && deleteSpace { content.removeLast() }
            if var open = current, open.depth == depth {
                open.text += content
                current = open
            } else {
                if let open = current { output.append(Self.quoted(open.text, depth: open.depth)) }
                current = (depth, content)
            }
            if !flowed, let open = current {
                output.append(Self.quoted(open.text, depth: open.depth))
                current = nil
            }
        }
        if let open = current { output.append(Self.quoted(open.text, depth: open.depth)) }
        return output.joined(separator: "\n")
    }

    private static func quoted(_ text: String, depth: Int) -> String {
        depth == 0 ? text : String(repeating: ">", count: depth) + " " + text
    }

    // MARK: quoted reply history

    /// Lines that introduce a quoted message: "Vào 28/11/2026 lúc 9:15, An đã viết:" (Vietnamese
    /// clients), "On … wrote:", and the separators Outlook writes before the message replied to.
    static func isAttribution(_ line: String) -> Bool {
        let text = line.trimmingCharacters(in: .whitespaces).lowercased()
        if text.hasSuffix("đã viết:") || text.hasSuffix("wrote:") { return true }
        return text.hasPrefix("-----original message-----") || text.hasPrefix("-----thư gốc-----")
    }

    /// True for a subject that marks a forward, as clients write it: "FW:" and "Fwd:", "TR:"
    /// (French clients), and "CT:" or "Chuyển tiếp:" (Outlook and webmail in Vietnamese). Outlook
    /// puts a forwarded message under the same separator as a reply's ("-----Original Message-----",
    /// `divRplyFwdMsg`); only the subject tells them apart, and a forward's message is the content.
    static func isForward(subject: String) -> Bool {
        let text = subject.trimmingCharacters(in: .whitespaces).lowercased().precomposedStringWithCanonicalMapping
        return ["fw:", "fwd:", "tr:", "ct:", "chuyển tiếp:"].contains { text.hasPrefix($0) }
    }

    /// Splits plain text into what the sender wrote and the quoted history below it: from an
    /// attribution line followed by quoted lines, or from the first run of ">" lines that goes
    /// on to the end. In a forward (`forwarded`), Outlook's separator starts the forwarded
    /// message, which stays.
    static func foldingQuotedText(_ text: String, forwarded: Bool = false) -> (body: String, history: String?) {
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n")
        func isQuote(_ line: String) -> Bool { line.hasPrefix(">") }
        func onlyQuotesOrBlankAfter(_ index: Int) -> Bool {
            lines[index...].allSatisfy { isQuote($0) || $0.trimmingCharacters(in: .whitespaces).isEmpty }
        }
        for (index, line) in lines.enumerated() {
            // The signature ("-- ", RFC 3676) and what follows it are the sender's, not the item's.
            if line == "-- " || line == "--" { return split(lines, at: index) }
            let outlookSeparator = line.lowercased().contains("original message") || line.contains("Thư gốc")
            if forwarded, outlookSeparator { return (text, nil) }
            if isAttribution(line), index + 1 < lines.count,
               lines[(index + 1)...].contains(where: isQuote) || line.lowercased().contains("original message") || line.contains("Thư gốc") {
                return split(lines, at: index)
            }
            if isQuote(line), onlyQuotesOrBlankAfter(index) { return split(lines, at: index) }
        }
        return (text, nil)
    }

    private static func split(_ lines: [String], at index: Int) -> (body: String, history: String?) {
        let body = lines[..<index].joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        let history = lines[index...].joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        return (body, history.isEmpty ? nil : history)
    }

    /// The HTML body without the quote clients append to a reply (Gmail's `gmail_quote`,
    /// Thunderbird's `moz-cite-prefix` and `<blockquote type="cite">`, Outlook's
    /// `divRplyFwdMsg`), which runs to the end of the message.
    static func foldingQuotedHTML(_ html: String, forwarded: Bool = false) -> (body: String, history: String?) {
        // A forward's quoted block is the message forwarded: the content, whatever the client.
        if forwarded { return (html, nil) }
        let markers = [#"<div class="gmail_quote"#, #"<div class="gmail_extra"#, #"<div class="moz-cite-prefix"#,
                       #"<blockquote type="cite""#, #"<div id="divRplyFwdMsg"#, #"<div id="appendonsend""#]
        let lowered = html.lowercased()
        let cuts = markers.compactMap { lowered.range(of: $0.lowercased())?.lowerBound }
        guard let cut = cuts.min() else { return (html, nil) }
        // A forward puts the forwarded message in the same kind of block: that is the content.
        let quoted = lowered[cut...]
        if quoted.contains("forwarded message") || quoted.contains("thư đã chuyển tiếp") || quoted.contains("thư chuyển tiếp") {
            return (html, nil)
        }
        let offset = lowered.distance(from: lowered.startIndex, to: cut)
        let index = html.index(html.startIndex, offsetBy: offset)
        let history = plainText(String(html[index...])).trimmingCharacters(in: .whitespacesAndNewlines)
        return (String(html[..<index]), history.isEmpty ? nil : history)
    }

    // MARK: forwarded messages

    static func forwardedText(_ mail: ParsedMail) -> String {
        var text = "\n\n---------- Thư chuyển tiếp / Forwarded message ----------\n"
        text += header(mail)
        let inner = mail.textIsFlowed ? unflowed(mail.text ?? "", deleteSpace: mail.textDeletesSpace) : (mail.text ?? plainText(mail.html ?? ""))
        return text + "\n" + inner
    }

    static func forwardedHTML(_ mail: ParsedMail) -> String {
        let lines = header(mail).split(separator: "\n").map { "<br>" + HTMLSanitizer.escape(String($0)) }.joined()
        let inner = mail.html ?? "<p>" + HTMLSanitizer.escape(mail.text ?? "").replacingOccurrences(of: "\n", with: "<br>") + "</p>"
        return "<hr><p><strong>Thư chuyển tiếp / Forwarded message</strong>\(lines)</p>\(inner)"
    }

    private static func header(_ mail: ParsedMail) -> String {
        var lines = [String]()
        if let from = mail.from {
            lines.append("Từ / From: \(from.name.map { "\($0) <\(from.address)>" } ?? from.address)")
        }
        if let date = mail.header("Date") { lines.append("Ngày / Date: \(date)") }
        lines.append("Tiêu đề / Subject: \(mail.subject)")
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: inline images

    /// The `alt` of each `<img src="cid:…">`, by Content-ID.
    static func altTextsOfInlineImages(_ html: String) -> [String: String] {
        var alts = [String: String]()
        for tag in tags("img", in: html) {
            guard let src = attribute("src", of: tag), src.lowercased().hasPrefix("cid:") else { continue }
            alts[String(src.dropFirst(4))] = attribute("alt", of: tag)?.trimmingCharacters(in: .whitespaces) ?? ""
        }
        return alts
    }

    static func replacingContentId(_ id: String, with path: String, in html: String) -> String {
        html.replacingOccurrences(of: "cid:\(id)", with: path)
    }

    private static func tags(_ name: String, in html: String) -> [Substring] {
        var found = [Substring]()
        var rest = html[...]
        while let open = rest.range(of: "<\(name)", options: .caseInsensitive) {
            guard let close = rest[open.upperBound...].firstIndex(of: ">") else { break }
            found.append(rest[open.lowerBound...close])
            rest = rest[rest.index(after: close)...]
        }
        return found
    }

    private static func attribute(_ name: String, of tag: Substring) -> String? {
        guard let start = tag.range(of: " \(name)=", options: .caseInsensitive) else { return nil }
        var rest = tag[start.upperBound...]
        guard let quote = rest.first, quote == "\"" || quote == "'" else {
            return String(rest.prefix(while: { !$0.isWhitespace && $0 != ">" }))
        }
        rest = rest.dropFirst()
        return String(rest.prefix(while: { $0 != quote }))
    }

    // MARK: helpers

    /// The text of some HTML: block elements end lines, other tags go, entities are decoded.
    /// Unlike `HTMLSanitizer.plainText`, which makes one line with a space for every element,
    /// this keeps the lines and the text inside an element as written ("An <a@b.vn>"): it is
    /// what editors read of a quoted message.
    static func plainText(_ html: String) -> String {
        let blocks: Set<String> = ["p", "/p", "div", "/div", "br", "br/", "blockquote", "/blockquote", "li", "tr", "h1", "h2", "h3", "hr"]
        var text = ""
        var tag: String?
        for character in html {
            if character == "<" {
                tag = ""
            } else if character == ">", let name = tag {
                let element = name.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).first.map { $0.lowercased() } ?? ""
                if blocks.contains(element) { text.append("\n") }
                tag = nil
            } else if tag != nil {
                tag?.append(character)
            } else {
                text.append(character == "\n" ? " " : character)
            }
        }
        for (entity, character) in [("&nbsp;", " "), ("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&amp;", "&")] {
            text = text.replacingOccurrences(of: entity, with: character)
        }
        return text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
            .joined(separator: "\n").replacingOccurrences(of: "\n\n\n", with: "\n\n")
    }
}
