import Foundation

/// The pictures of a body and the files sent with it. A body shows a file of its own item by the
/// file's name (`![Bản đồ](ban-do.png)`, `<img src="ban-do.png">`) or, from mail, by the path the
/// sites publish it at (`/tep/<sha256>.png`, written in place of its `cid:`). A picture naming
/// anything else is no file the page has: every browser would show it broken.
public struct BodyPictures: Sendable {
    /// A file of the item: its name as sent, and the path of the sites it is published at.
    public struct File: Sendable, Equatable {
        public let name: String
        public let path: String

        public init(name: String, path: String) {
            self.name = name
            self.path = path
        }
    }

    let files: [File]

    public init(files: [File]) {
        self.files = files
    }

    /// The file a picture's source names: its published path, or its name (`HTMLSanitizer.fileName(of:)`).
    public func file(for source: String) -> File? {
        let trimmed = source.trimmingCharacters(in: .whitespacesAndNewlines)
        if let file = files.first(where: { $0.path == trimmed }) { return file }
        guard let name = HTMLSanitizer.fileName(of: trimmed) else { return nil }
        return files.first { $0.name.precomposedStringWithCanonicalMapping == name }
            ?? files.first { $0.name.precomposedStringWithCanonicalMapping.lowercased() == name.lowercased() }
    }

    /// The sources of the body's pictures that name no file of the item and are not from another
    /// site (those become links): what the sender must attach, or take out of the body.
    public func unattached(in html: String) -> [String] {
        guard HTMLSanitizer.mayHaveImage(html) else { return [] }
        var missing = [String]()
        _ = HTMLSanitizer.sanitize(html) { source in
            if file(for: source) == nil, !HTMLSanitizer.isOnAnotherSite(source), !missing.contains(source) { missing.append(source) }
            return .picture(source: source)
        }
        return missing
    }

    /// The body as a page shows it: a picture of a file of the item goes where `place` says (the
    /// publisher draws the pictures it published with the page, and links the other files); a
    /// picture of another site is a link; a picture naming no file is its alt text. A body
    /// without pictures comes back as it is.
    public func placed(_ html: String, _ place: (File) -> HTMLSanitizer.PicturePlace) -> String {
        guard HTMLSanitizer.mayHaveImage(html) else { return html }
        return HTMLSanitizer.sanitize(html) { source in
            if let file = file(for: source) { return place(file) }
            return HTMLSanitizer.isOnAnotherSite(source) ? .link(href: source, name: source) : .altText
        }
    }
}
