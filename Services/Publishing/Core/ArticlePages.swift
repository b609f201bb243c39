import ContentSafety
import Foundation
import Images
import Models
import ServiceKit
import Store

/// Writes an item's pages on each of its sites: the article page, its print version and its files;
/// or, once taken down, the 410 page with the public explanation in their place. The site lists
/// are marked for `SiteIndexes` to redraw.
public struct ArticlePages: Sendable {
    let renderer: PageRenderer
    let files: SiteFiles

    public init(renderer: PageRenderer, files: SiteFiles) {
        self.renderer = renderer
        self.files = files
    }

    /// `markStale`: false for a rebuild, which draws the lists itself at the end; its long
    /// transactions would otherwise hold the sites' marks that every publication takes too.
    /// `registered`: the item's sites when the caller has just read them from the registry, which
    /// is then not asked again. `batch`: the files of the caller's transaction, which it makes
    /// durable before its commit; without one, this item's files are made durable together here.
    public func write(
        _ article: PublishedArticle, onlyOn domain: String? = nil, markStale: Bool = true, registered: [SiteRegistry.Site]? = nil,
        batch: SiteFiles.Batch? = nil, on connection: Connection
    ) throws {
        let own = batch ?? files.batch()
        try write(article, onlyOn: domain, markStale: markStale, registered: registered, into: own, on: connection)
        if batch == nil { try own.sync() }
    }

    private func write(
        _ article: PublishedArticle, onlyOn domain: String?, markStale: Bool, registered: [SiteRegistry.Site]?, into batch: SiteFiles.Batch,
        on connection: Connection
    ) throws {
        let domains = domain.map { article.domains.contains($0) ? [$0] : [] } ?? article.domains
        let sites = try registered.map { known in known.filter { domains.contains($0.domain) } } ?? SiteRegistry.sites(domains, on: connection)
        let page = String(article.path.dropFirst()), printPage = Self.printPage(page)
        switch article.state {
        case .scheduled:
            return
        case .takenDown:
            let explanation = article.publicExplanation ?? Self.defaultExplanation
            for site in sites {
                let gone = renderer.gone(site: site, title: article.content.title, explanation: explanation, path: article.path)
                for name in [page, printPage] {
                    try batch.write(gone, domain: site.domain, page: name)
                    try batch.markGone(domain: site.domain, page: name)
                }
                // Its files and their copies go too (a photo taken down for a person's privacy
                // must not stay at its address), unless another item still shows them there.
                try removeFiles(of: article, from: site.domain, into: batch, on: connection)
                if markStale { try SiteIndexes.markStale(site.domain, on: connection) }
            }
        case .published:
            let content = article.content
            let unitName = try Self.unitName(content.unitCode, on: connection)
            var images = [PageRenderer.Image](), attached = [PageRenderer.File]()
            var blobs = [(String, [UInt8])]()
            for file in content.attachments {
                guard let bytes = try connection.query("SELECT data FROM core.blobs WHERE sha256 = $1", [file.sha256]).rows.first?
                    .decode("data", as: ByteA.self).bytes else {
                    throw MissingAttachment(filename: file.filename, sha256: file.sha256)
                }
                let name = String(PublishedFiles.path(sha256: file.sha256, filename: file.filename).dropFirst())
                blobs.append((name, bytes))
                if file.contentType.hasPrefix("image/") {
                    // Smaller copies for lists and phones.
                    var sources = [(String, Int)]()
                    for width in Thumbnails.widths {
                        guard let made = try? Thumbnails.jpeg(bytes, width: width), made.width != sources.last?.1 else { break }
                        let thumbnail = Thumbnails.path(sha256: file.sha256, width: width, folder: PublishedFiles.folder)
                        blobs.append((String(thumbnail.dropFirst()), made.bytes))
                        sources.append((thumbnail, made.width))
                    }
                    // Without a copy, only a picture too large to copy (accepted before intake's
                    // limit) is drawn: any other, unreadable or broken after its header, no browser
                    // could show either.
                    if !sources.isEmpty || Thumbnails.isTooLarge(bytes) {
                        // every image has a text alternative; the file name stands in when none was given.
                        images.append(.init(
                            src: "/" + name, alt: file.altText ?? (file.filename as NSString).deletingPathExtension,
                            srcset: sources.map { "\($0.0) \($0.1)w" }.joined(separator: ", ")))
                    } else {
                        // Offered as the file it is (accepted before intake read pictures), never as a broken picture.
                        attached.append(.init(src: "/" + name, filename: file.filename))
                    }
                } else {
                    attached.append(.init(src: "/" + name, filename: file.filename))
                }
            }
            let legal = LegalDocumentDetails.from(details: content.details)
            var shown = content
            shown.bodyHTML = Self.bodyPictures(content, drawn: Set(images.map(\.src)))
            for site in sites {
                for (name, bytes) in blobs { try batch.write(bytes, domain: site.domain, page: name) }
                let pages = renderer.article(
                    shown, site: site, unitName: unitName, path: article.path, publishedAt: article.publishedAt, images: images,
                    files: attached, legal: legal)
                try batch.write(pages.page, domain: site.domain, page: page)
                try batch.write(pages.print, domain: site.domain, page: printPage)
                files.clearGone(domain: site.domain, page: page)
                files.clearGone(domain: site.domain, page: printPage)
                if markStale { try SiteIndexes.markStale(site.domain, on: connection) }
            }
            // A correction took it off these sites: nothing of it stays there.
            for former in article.formerDomains where domain == nil || domain == former {
                for name in [page, printPage] { try batch.remove(domain: former, page: name) }
                try removeFiles(of: article, from: former, into: batch, on: connection)
                if markStale { try SiteIndexes.markStale(former, on: connection) }
            }
        }
    }

    /// Removes the item's files and their smaller copies from a site, except those another item
    /// published there still shows.
    private func removeFiles(of article: PublishedArticle, from domain: String, into batch: SiteFiles.Batch, on connection: Connection) throws {
        for file in article.content.attachments where try !Self.shownElsewhere(file.sha256, on: domain, besides: article.id, on: connection) {
            try batch.remove(domain: domain, page: String(PublishedFiles.path(sha256: file.sha256, filename: file.filename).dropFirst()))
            for width in Thumbnails.widths {
                try batch.remove(domain: domain, page: String(Thumbnails.path(sha256: file.sha256, width: width, folder: PublishedFiles.folder).dropFirst()))
            }
        }
    }

    /// True when an item other than `article`, published on `domain`, has the file `sha256`
    /// (through the index of the items' files, publishing migration 13).
    static func shownElsewhere(_ sha256: String, on domain: String, besides article: UUID, on connection: Connection) throws -> Bool {
        try connection.query(
            """
            SELECT EXISTS (
                SELECT 1 FROM publishing.articles
                WHERE content -> 'attachments' @> jsonb_build_array(jsonb_build_object('sha256', $1::text))
                  AND id <> $3 AND state = 'published' AND $2 = ANY (domains)
            ) AS shown
            """, [sha256, domain, article]
        ).one().decode("shown")
    }

    /// The body with its pictures placed (`BodyPictures`): drawn only when they are the item's own
    /// pictures drawn on its page (`drawn`), whatever the signed body says; the others are links,
    /// or their alt text when they name no file. A body signed before intake checked its pictures
    /// is shown the same way.
    static func bodyPictures(_ content: CanonicalRevision, drawn: Set<String>) -> String {
        BodyPictures(attachments: content.attachments).placed(content.bodyHTML) { file in
            drawn.contains(file.path) ? .picture(source: file.path) : .link(href: file.path, name: file.name)
        }
    }

    /// Units' names, read once a minute: every page of an item names its source.
    static let unitNames = ExpiringCache<String, String>(lifetime: .seconds(60))

    static func unitName(_ code: String, on connection: Connection) throws -> String {
        if let name = unitNames.value(for: code) { return name }
        let name: String = try connection.query("SELECT name FROM core.units WHERE code = $1", [code]).rows.first?.decode("name") ?? code
        unitNames.store(name, for: code)
        return name
    }

    static let defaultExplanation = "Thông tin này đã được gỡ bỏ theo quyết định của Trưởng Ban Biên tập."

    static func printPage(_ page: String) -> String { page.replacingOccurrences(of: ".html", with: ".in.html") }

}

/// An approved attachment is not in the blob store: publishing cannot complete until it is.
struct MissingAttachment: Error, CustomStringConvertible {
    var filename: String
    var sha256: String
    var description: String { "attachment \(filename) (\(sha256)) is missing from the blob store" }
}
