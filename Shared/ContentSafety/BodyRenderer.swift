internal import CCmarkGFM
import Foundation
#if canImport(Glibc)
import Glibc  // free() for the string cmark-gfm allocates
#endif

/// Turns a submitted body into the HTML that editors see and publishing will place in a page.
/// No path can carry script: text is escaped; cmark-gfm's default (safe) mode replaces raw
/// HTML and drops `javascript:`-style links, and its output then passes the same allowlist
/// as HTML bodies (`HTMLSanitizer`).
public enum BodyRenderer {
    /// The HTML of a body in `format` (`text`, `markdown` or `html`); nil for another format.
    public static func html(format: String, body: String) -> String? {
        switch format {
        case "text": html(fromText: body)
        case "markdown": html(fromMarkdown: body)
        case "html": HTMLSanitizer.sanitize(body)
        default: nil
        }
    }

    /// HTML that arrived from another service (an event on the bus) passes the allowlist again
    /// before it is stored or shown: whatever reaches the bus, no markup outside the allowlist
    /// reaches a page. Clean HTML comes out unchanged.
    public static func resanitized(_ html: String) -> String {
        HTMLSanitizer.sanitize(html)
    }

    /// The full addresses of the pictures a submitted body takes from other sites, which its HTML
    /// shows as links (`HTMLSanitizer.linkedPicture`): for the editors, who may ask for the files.
    public static func picturesFromOtherSites(format: String, body: String) -> [String] {
        let unsanitized: String
        switch format {
        case "html": unsanitized = body
        case "markdown": unsanitized = cmarkHTML(body)
        default: return []
        }
        guard HTMLSanitizer.mayHaveImage(unsanitized) else { return [] }
        var sources = [String]()
        _ = HTMLSanitizer.sanitize(unsanitized) { source in
            if HTMLSanitizer.isOnAnotherSite(source), !sources.contains(source) { sources.append(source) }
            return .picture(source: source)
        }
        return sources
    }

    public static func html(fromText text: String) -> String {
        text.replacingOccurrences(of: "\r\n", with: "\n")
            .components(separatedBy: "\n\n")
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { !$0.isEmpty }
            .map { "<p>" + HTMLSanitizer.escape($0).replacingOccurrences(of: "\n", with: "<br>") + "</p>" }
            .joined(separator: "\n")
    }

    public static func html(fromMarkdown markdown: String) -> String {
        HTMLSanitizer.sanitize(cmarkHTML(markdown))
    }

    /// cmark-gfm's HTML in its safe mode, before the allowlist.
    private static func cmarkHTML(_ markdown: String) -> String {
        guard let rendered = cmark_markdown_to_html(markdown, markdown.utf8.count, CMARK_OPT_DEFAULT) else { return "" }
        defer { free(rendered) }
        return String(cString: rendered)
    }
}
