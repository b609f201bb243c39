// Internal: libxml2 is built with ICU here, and its headers must not meet Foundation's own ICU
// in the modules that import this one.
internal import CLibXML2
import Foundation

/// Reduces HTML to an allowlist of elements and attributes with libxml2's HTML parser, so that
/// a stored body can never carry script into a page (issue: intake; R-3.8 needs the rest:
/// headings, lists, tables, images with alt text, links).
///
/// Elements outside the list are unwrapped (their text stays); `script`, `style` and other
/// active content go with everything inside them. Only `http`, `https` and `mailto` links and
/// relative ones survive; an image from another site becomes a link to it (`linkedPicture`);
/// every `on*` attribute and inline style is dropped. Text is re-escaped on output.
public enum HTMLSanitizer {
    static let allowedElements: Set<String> = [
        "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "b", "em", "i", "u", "s", "sub", "sup",
        "ul", "ol", "li", "blockquote", "pre", "code", "a", "img", "figure", "figcaption",
        "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td", "span",
    ]
    static let droppedWithContent: Set<String> = [
        "script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math", "form", "textarea",
        "select", "button", "head", "title", "frame", "frameset", "applet",
    ]
    static let allowedAttributes: [String: Set<String>] = [
        "a": ["href", "title"],
        "img": ["src", "alt", "title", "width", "height"],
        "th": ["scope", "colspan", "rowspan"],
        "td": ["colspan", "rowspan"],
        "ol": ["start"],
    ]
    static let voidElements: Set<String> = ["br", "hr", "img"]

    public static func sanitize(_ html: String) -> String {
        sanitize(html, placingPictures: defaultPlace)
    }

    /// Where a picture of a body goes on a page, decided from its source.
    public enum PicturePlace: Sendable, Equatable {
        /// Drawn, from this source of the page's own site.
        case picture(source: String)
        /// A link to the picture (another site's, or a file no browser draws), named by its alt
        /// text, else by `name`. Inside a link already, its alt text alone.
        case link(href: String, name: String)
        /// Nothing can show it (it names no file there is): its alt text alone, as text.
        case altText
    }

    /// Sanitises as `sanitize(_:)` does, and places each picture where `place` says: the
    /// publisher draws only the item's own files, the ones it has published with the page.
    public static func sanitize(_ html: String, placingPictures place: (String) -> PicturePlace) -> String {
        walk(html, fallback: escape(html)) { write($0, into: &$1, place) }
    }

    /// A picture from another site becomes a link to it; any other is kept where it points.
    static func defaultPlace(_ source: String) -> PicturePlace {
        isOnAnotherSite(source) ? .link(href: source, name: source) : .picture(source: source)
    }

    /// The file a picture's relative source names (`anh.png`, `./anh.png`, `hinh/anh%20moi.png`
    /// name `anh.png` and `anh moi.png`): what a body in markdown or HTML says of the files sent
    /// with it. Nil for a full address or a path from the site's root.
    public static func fileName(of source: String) -> String? {
        let trimmed = source.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, !trimmed.hasPrefix("/"), !isOnAnotherSite(trimmed),
              !trimmed.contains(where: { $0 == ":" }) else { return nil }
        let path = trimmed.prefix { $0 != "?" && $0 != "#" }
        guard let last = path.split(separator: "/").last else { return nil }
        let name = String(last).removingPercentEncoding ?? String(last)
        return name.isEmpty || name == "." || name == ".." ? nil : name.precomposedStringWithCanonicalMapping
    }

    /// The text of an HTML fragment, words separated by single spaces: for descriptions,
    /// comparisons and scans, never to be put back into a page unescaped.
    ///
    /// `picture` names each picture where it stood, from its alt text (empty when it has none), for a
    /// text that people read in place of the page, such as a draft's text beside the comment form:
    /// without it a picture leaves no trace. Descriptions and comparisons leave it out, since the
    /// stored near-duplicate bands were computed without it.
    public static func plainText(_ html: String, picture: ((String) -> String)? = nil) -> String {
        walk(html, fallback: html) { node, output in text(of: node, into: &output, picture) }
            .split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// Parses `html` with libxml2's HTML parser and visits the top-level nodes.
    private static func walk(_ html: String, fallback: String, _ visit: (xmlNodePtr, inout String) -> Void) -> String {
        var input = Array(html.utf8)
        guard !input.isEmpty else { return "" }
        let options = Int32(HTML_PARSE_NOERROR.rawValue | HTML_PARSE_NOWARNING.rawValue | HTML_PARSE_NONET.rawValue)
        let document = input.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                htmlReadMemory($0, Int32(buffer.count), nil, "UTF-8", options)
            }
        }
        guard let document else { return fallback }
        defer { xmlFreeDoc(document) }
        var output = ""
        var child = xmlDocGetRootElement(document)
        // The parser wraps fragments in html/body; walk from the root down.
        while let node = child {
            visit(node, &output)
            child = node.pointee.next
        }
        return output
    }

    private static func text(of node: xmlNodePtr, into output: inout String, _ picture: ((String) -> String)?) {
        switch node.pointee.type {
        case XML_TEXT_NODE, XML_CDATA_SECTION_NODE:
            output += content(of: node)
        case XML_ELEMENT_NODE:
            let name = String(cString: node.pointee.name).lowercased()
            if droppedWithContent.contains(name) { return }
            if name == "img", let picture {
                let alt = attributes(of: node, element: name).first(where: { $0.0 == "alt" })?.1 ?? ""
                output += " " + picture(alt.split(whereSeparator: \.isWhitespace).joined(separator: " ")) + " "
                return
            }
            output += " "
            var child = node.pointee.children
            while let current = child {
                text(of: current, into: &output, picture)
                child = current.pointee.next
            }
            output += " "
        default:
            return
        }
    }

    private static func write(_ node: xmlNodePtr, into output: inout String, _ place: (String) -> PicturePlace) {
        switch node.pointee.type {
        case XML_TEXT_NODE, XML_CDATA_SECTION_NODE:
            output += escape(content(of: node))
        case XML_ELEMENT_NODE:
            let name = String(cString: node.pointee.name).lowercased()
            if droppedWithContent.contains(name) { return }
            let keep = allowedElements.contains(name)
            if keep {
                var kept = attributes(of: node, element: name)
                if name == "img" {
                    // An image without alt text would be read out by its file name: it gets an empty
                    // alt, and intake flags it (`imagesWithoutAltText`) for the editors to describe.
                    let alt = kept.first(where: { $0.0 == "alt" })?.1 ?? ""
                    // No safe source (`javascript:`, `data:`, a `cid:` no part of the mail had, or
                    // the empty one markdown leaves of those): nothing to draw, but what the picture says stays.
                    guard let source = kept.first(where: { $0.0 == "src" })?.1, !source.allSatisfy(\.isWhitespace) else {
                        output += escape(trimmed(alt))
                        return
                    }
                    switch place(source) {
                    case .picture(let placed):
                        if placed != source { kept = kept.map { $0.0 == "src" ? ("src", placed) : $0 } }
                    case .link(let href, let name):
                        output += linkedPicture(href, name: name, alt: alt, insideLink: isInsideLink(node))
                        return
                    case .altText:
                        output += escape(trimmed(alt))
                        return
                    }
                    if !kept.contains(where: { $0.0 == "alt" }) { kept.append(("alt", "")) }
                }
                output += "<" + name
                for (attribute, value) in kept {
                    output += " \(attribute)=\"\(escape(value))\""
                }
                output += ">"
            }
            var child = node.pointee.children
            while let current = child {
                write(current, into: &output, place)
                child = current.pointee.next
            }
            if keep, !voidElements.contains(name) { output += "</\(name)>" }
        default:
            return  // comments, processing instructions, doctype
        }
    }

    /// Whether an image's source is a full address (`https://…`, `//host/…`): the portal's pages
    /// take pictures only from their own site (`img-src 'self'`), so on a page the browser would
    /// show a broken picture, on a unit's site even for an address of the portal's own.
    public static func isOnAnotherSite(_ source: String) -> Bool {
        let compact = String(source.unicodeScalars.filter { $0.value > 0x20 }).lowercased()
        return compact.hasPrefix("//") || compact.hasPrefix("http:") || compact.hasPrefix("https:")
    }

    /// A picture as what a reader can still use: a link to it, named by its alt text (or by
    /// `name`). Inside a link already, its alt text alone.
    static func linkedPicture(_ href: String, name: String, alt: String, insideLink: Bool) -> String {
        let text = trimmed(alt), address = trimmed(href)
        if insideLink { return escape(text) }
        let shown = text.isEmpty ? trimmed(name) : text
        return "<a href=\"\(escape(address))\">\(escape(shown.isEmpty ? address : shown))</a>"
    }

    private static func trimmed(_ text: String) -> String {
        String(text.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }

    private static func isInsideLink(_ node: xmlNodePtr) -> Bool {
        var parent = node.pointee.parent
        while let current = parent {
            if current.pointee.type == XML_ELEMENT_NODE, let name = current.pointee.name,
               String(cString: name).lowercased() == "a" {
                return true
            }
            parent = current.pointee.parent
        }
        return false
    }

    private static func attributes(of node: xmlNodePtr, element: String) -> [(String, String)] {
        guard let allowed = allowedAttributes[element] else { return [] }
        var result = [(String, String)]()
        var attribute = node.pointee.properties
        while let current = attribute {
            defer { attribute = current.pointee.next }
            let name = String(cString: current.pointee.name).lowercased()
            guard allowed.contains(name) else { continue }
            var value = ""
            if let text = xmlNodeListGetString(node.pointee.doc, current.pointee.children, 1) {
                value = String(cString: text)
                portal_xml_free(text)
            }
            if name == "href" || name == "src" {
                guard isSafeURL(value, allowMailto: name == "href") else { continue }
            }
            result.append((name, value))
        }
        return result
    }

    /// Relative URLs and http(s) (and mailto for links) only; whitespace and control
    /// characters inside a scheme ("java\tscript:") do not get past.
    static func isSafeURL(_ url: String, allowMailto: Bool) -> Bool {
        let compact = String(url.unicodeScalars.filter { $0.value > 0x20 }).lowercased()
        guard let colon = compact.firstIndex(of: ":") else { return true }
        let beforeColon = compact[..<colon]
        // A ':' after a '/', '?' or '#' belongs to a relative path, not a scheme.
        if beforeColon.contains(where: { "/?#".contains($0) }) { return true }
        let scheme = String(beforeColon)
        if scheme == "http" || scheme == "https" { return !hasLookalikeHost(compact) }
        return allowMailto && scheme == "mailto" && !hasLookalikeHost(compact)
    }

    /// A host with any character outside ASCII (`lоngan.gov.vn` with a Cyrillic о) can pass for
    /// another one on screen: such a link is dropped, its text kept, so a reader never follows a
    /// name that only looks like the portal's. A host in its punycode form (`xn--…`) says what it is.
    static func hasLookalikeHost(_ url: String) -> Bool {
        var rest = Substring(url)
        if let scheme = rest.range(of: "://") { rest = rest[scheme.upperBound...] } else if let colon = rest.firstIndex(of: ":") { rest = rest[rest.index(after: colon)...] }
        let authority = rest.prefix { !"/?#".contains($0) }
        let host = authority.split(separator: "@").last ?? authority
        // Percent-escapes in a host are decoded by browsers before anything else.
        return host.unicodeScalars.contains { !$0.isASCII } || host.contains("%")
    }

    private static func content(of node: xmlNodePtr) -> String {
        guard let text = node.pointee.content else { return "" }
        return String(cString: text)
    }

    /// The sources of the images of sanitised HTML that have no alt text to read out.
    public static func imagesWithoutAltText(_ sanitized: String) -> [String] {
        // Most bodies have no image: a plain search is far cheaper than the expression.
        guard mayHaveImage(sanitized) else { return [] }
        return sanitized.matches(of: #/<img\s[^>]*>/#).compactMap { image in
            guard image.output.contains(#" alt="""#) else { return nil }
            return image.output.firstMatch(of: #/ src="([^"]*)"/#).map { String($0.output.1) }
        }
    }

    /// Whether the text holds "<img", by a loop over its bytes: the generic `contains` of one
    /// collection in another took 4 % of intake's time on bodies that have none.
    public static func mayHaveImage(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            guard bytes.count >= 4 else { return false }
            for index in 0...(bytes.count - 4) where bytes[index] == UInt8(ascii: "<") {
                if bytes[index + 1] == UInt8(ascii: "i"), bytes[index + 2] == UInt8(ascii: "m"), bytes[index + 3] == UInt8(ascii: "g") { return true }
            }
            return false
        }
    }

    /// Escapes text for an HTML element or a quoted attribute.
    /// Works on the UTF-8 bytes: the five characters are ASCII, which no byte of another scalar
    /// can be, so a "<" is escaped even when a combining mark follows it. Text with none of them
    /// (most titles and names) comes back as it is.
    public static func escape(_ text: String) -> String {
        var text = text
        let escaped: String? = text.withUTF8 { bytes in
            func special(_ byte: UInt8) -> Bool { byte == 0x26 || byte == 0x3C || byte == 0x3E || byte == 0x22 || byte == 0x27 }
            guard let first = bytes.firstIndex(where: special) else { return nil }
            var result = [UInt8]()
            result.reserveCapacity(bytes.count + 32)
            result.append(contentsOf: bytes[..<first])
            for byte in bytes[first...] {
                switch byte {
                case 0x26: result.append(contentsOf: "&amp;".utf8)
                case 0x3C: result.append(contentsOf: "&lt;".utf8)
                case 0x3E: result.append(contentsOf: "&gt;".utf8)
                case 0x22: result.append(contentsOf: "&quot;".utf8)
                case 0x27: result.append(contentsOf: "&#39;".utf8)
                default: result.append(byte)
                }
            }
            return String(decoding: result, as: UTF8.self)
        }
        return escaped ?? text
    }
}
