import Foundation

/// The development address of a site, `/sites/<domain>/…`, serves the same files as the site's
/// own host. The pages link root-relative (`/chuyen-muc/`), which is right on the host and a dead
/// end under the prefix, so pages served under the prefix have their root-relative addresses
/// moved under it. Production (a host per site) never goes through here.
enum PathModeLinks {
    /// `href`, `src`, `action` and `poster` values and each candidate of a `srcset` that start
    /// with one `/` (not `//`, which names another host).
    static func rewrite(_ html: String, prefix: String) -> String {
        let range = NSRange(html.startIndex..., in: html)
        var out = attribute.stringByReplacingMatches(in: html, range: range, withTemplate: "$1\(NSRegularExpression.escapedTemplate(for: prefix))/")
        // srcset="a.jpg 320w, /b.jpg 640w": every candidate after the first, too.
        for match in srcset.matches(in: out, range: NSRange(out.startIndex..., in: out)).reversed() {
            guard let valueRange = Range(match.range(at: 1), in: out) else { continue }
            let candidates = out[valueRange].split(separator: ",").map { candidate -> String in
                let trimmed = candidate.trimmingCharacters(in: .whitespaces)
                return trimmed.hasPrefix("/") && !trimmed.hasPrefix("//") && !trimmed.hasPrefix(prefix + "/") ? prefix + trimmed : trimmed
            }
            out.replaceSubrange(valueRange, with: candidates.joined(separator: ", "))
        }
        return out
    }

    /// The redirect target of a site that moved (R-7.3), under the prefix of its successor.
    static func prefix(of domain: String) -> String { "/sites/\(domain)" }

    private static let attribute = try! NSRegularExpression(pattern: #"(\s(?:href|src|action|poster)=["'])/(?!/)"#, options: [.caseInsensitive])
    private static let srcset = try! NSRegularExpression(pattern: #"\ssrcset=["']([^"']*)["']"#, options: [.caseInsensitive])
}
