import Crypto
import Foundation

/// The published sites as files under `<data>/sites/<domain>/`. Every write goes to a temporary
/// file first and is renamed into place, so a reader sees the old page or the new one, never half.
struct SiteFiles: Sendable {
    let root: String

    init(dataDirectory: String) {
        root = "\(dataDirectory)/sites"
    }

    func path(_ domain: String, _ page: String) -> String {
        "\(root)/\(domain)/\(page)"
    }

    func write(_ text: String, domain: String, page: String) throws {
        try write(Array(text.utf8), domain: domain, page: page)
    }

    func write(_ bytes: [UInt8], domain: String, page: String) throws {
        let target = path(domain, page)
        let folder = (target as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let temporary = "\(folder)/.\(UUID().uuidString.lowercased()).tmp"
        try Data(bytes).write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, target) == 0 else {
            try? FileManager.default.removeItem(atPath: temporary)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: target])
        }
    }

    /// Marks a page as taken down: it answers 410 with the page written for it.
    func markGone(domain: String, page: String) throws {
        try write("", domain: domain, page: page + ".gone")
    }

    func clearGone(domain: String, page: String) {
        try? FileManager.default.removeItem(atPath: path(domain, page) + ".gone")
    }

    struct File: Sendable {
        let bytes: [UInt8]
        let modified: Date
        let gone: Bool

        /// A strong validator: the SHA-256 of the bytes served.
        var etag: String { "\"" + SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined().prefix(32) + "\"" }
    }

    /// The file for a request path; a folder means its `index.html`. Nil when there is none or the
    /// path tries to leave the site's folder.
    func read(domain: String, path requested: String) -> File? {
        let clean = requested.split(separator: "/").map(String.init)
        guard !domain.contains("/"), !domain.hasPrefix("."), !clean.contains(where: { $0 == ".." || $0.hasPrefix(".") }) else { return nil }
        var page = clean.joined(separator: "/")
        if page.isEmpty || requested.hasSuffix("/") { page += (page.isEmpty ? "" : "/") + "index.html" }
        let full = path(domain, page)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory) else { return nil }
        if isDirectory.boolValue { return read(domain: domain, path: page + "/") }
        guard let data = FileManager.default.contents(atPath: full),
              let attributes = try? FileManager.default.attributesOfItem(atPath: full) else { return nil }
        return File(
            bytes: [UInt8](data), modified: attributes[.modificationDate] as? Date ?? Date(),
            gone: FileManager.default.fileExists(atPath: full + ".gone"))
    }
}
