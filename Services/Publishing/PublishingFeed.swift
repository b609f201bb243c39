import ContentSafety
import Foundation
import Models
import ServiceKit
import Store

/// Puts approved information on the sites and takes it down, from `publishing.events`. An
/// approval is published only if its content still hashes to what the approver signed and the
/// signature verifies with the approver's key in `core.signing_keys`; anything else is refused
/// and dead-lettered with the reason. The same event twice writes the same bytes.
struct PublishingFeed: Sendable {
    let renderer: PageRenderer
    let files: SiteFiles

    static func articlePath(_ id: UUID) -> String { "/bai-viet/\(id.uuidString.lowercased()).html" }

    func handle(_ envelope: EventEnvelope, _ context: EventContext) throws {
        switch envelope.type {
        case EventType.articleApproved: try publish(envelope, context)
        case EventType.articleTakenDown: try takeDown(envelope, context)
        default: return
        }
    }

    func publish(_ envelope: EventEnvelope, _ context: EventContext) throws {
        let connection = context.connection
        let approval: ArticleApproved
        do {
            approval = try envelope.decode(ArticleApproved.self)
        } catch {
            throw PermanentFailure("article.approved without a readable approval: \(error)")
        }
        guard let key = try connection.query(
            "SELECT public_key FROM core.signing_keys WHERE id = $1 AND user_id = $2", [approval.keyId, approval.approverId]
        ).rows.first?.decode("public_key", as: ByteA.self).bytes else {
            throw PermanentFailure("refused to publish \(approval.articleId): key \(approval.keyId) is not the approver's")
        }
        do {
            try ApprovalSignature.verify(approval, publicKey: key)
        } catch {
            context.logger.error(
                "publication refused: the approval does not verify",
                metadata: ["article.id": .string(approval.articleId.uuidString.lowercased()), "problem": .string("\(error)")])
            throw PermanentFailure("refused to publish \(approval.articleId): \(error)")
        }
        let content = approval.content
        try SiteRegistry.sync(on: connection)
        var domains = content.classification.targetSites
        // an item the unit also publishes on its own site appears there too.
        if content.classification.alsoOnOwnSite, let own = try SiteRegistry.domain(ofUnit: content.unitCode, on: connection) {
            domains.append(own)
        }
        if domains.isEmpty { domains = [SiteDomain.portal] }
        let sites = try SiteRegistry.sites(Array(Set(domains)), on: connection)
        guard !sites.isEmpty else { throw PermanentFailure("none of the target sites \(domains) is a registered site") }
        let unitName: String = try connection.query("SELECT name FROM core.units WHERE code = $1", [content.unitCode]).rows.first?
            .decode("name") ?? content.unitCode
        let path = Self.articlePath(approval.articleId)
        // A correction keeps the first publication's date; the page shows the correction note.
        let publishedAt: Date = try connection.query(
            """
            INSERT INTO publishing.articles (id, revision, content, content_sha256, signature, key_id, domains, path, state, published_at)
            VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7::text[], $8, 'published', now())
            ON CONFLICT (id) DO UPDATE SET revision = EXCLUDED.revision, content = EXCLUDED.content,
                content_sha256 = EXCLUDED.content_sha256, signature = EXCLUDED.signature, key_id = EXCLUDED.key_id,
                domains = EXCLUDED.domains, state = 'published', public_explanation = NULL, updated_at = now()
            RETURNING published_at
            """,
            [approval.articleId, content.revision, String(decoding: try EventCoding.encoder.encode(content), as: UTF8.self),
             approval.contentSHA256, approval.signature, approval.keyId, SQLArray.literal(sites.map(\.domain)), path]
        ).one().decode("published_at")
        let searchable = [content.title, content.summary ?? "", HTMLSanitizer.plainText(content.bodyHTML), unitName,
                          content.classification.categories.joined(separator: " ")].joined(separator: " ")
        try connection.query(
            "UPDATE publishing.articles SET search = to_tsvector('simple', unaccent(lower($2))) WHERE id = $1", [approval.articleId, searchable])

        var images = [PageRenderer.Image](), attached = [PageRenderer.File]()
        var blobs = [(String, [UInt8])]()
        for file in content.attachments {
            guard let bytes = try connection.query("SELECT data FROM core.blobs WHERE sha256 = $1", [file.sha256]).rows.first?
                .decode("data", as: ByteA.self).bytes else {
                throw PermanentFailure("attachment \(file.filename) (\(file.sha256)) is missing from the blob store")
            }
            let name = "/tep/\(file.sha256)\(Self.fileExtension(file.filename))"
            blobs.append((name, bytes))
            if file.contentType.hasPrefix("image/") {
                // every image has a text alternative; the file name stands in when none was given.
                let alt = file.altText ?? (file.filename as NSString).deletingPathExtension
                images.append(.init(src: name, alt: alt))
            } else {
                attached.append(.init(src: name, filename: file.filename))
            }
        }
        for site in sites {
            for (name, bytes) in blobs { try files.write(bytes, domain: site.domain, page: String(name.dropFirst())) }
            let pages = renderer.article(content, site: site, unitName: unitName, path: path, publishedAt: publishedAt, images: images, files: attached)
            try files.write(pages.page, domain: site.domain, page: String(path.dropFirst()))
            try files.write(pages.print, domain: site.domain, page: String(path.dropFirst()).replacingOccurrences(of: ".html", with: ".in.html"))
            files.clearGone(domain: site.domain, page: String(path.dropFirst()))
            try Self.markStale(site.domain, on: connection)
        }
        let status = ArticleStatusPayload(
            articleId: approval.articleId, submissionId: approval.submissionId, state: .published, url: "https://\(sites[0].domain)\(path)")
        try context.outbox.enqueue(EventEnvelope(
            type: EventType.articlePublished, correlationId: envelope.correlationId, causationId: envelope.id.uuidString.lowercased(),
            producer: "publishing", payload: try EventCoding.decoder.decode(JSONValue.self, from: EventCoding.encoder.encode(status))), on: connection)
        context.logger.info(
            "article published", metadata: ["article.id": .string(approval.articleId.uuidString.lowercased()), "sites": .string(sites.map(\.domain).joined(separator: ","))])
    }

    func takeDown(_ envelope: EventEnvelope, _ context: EventContext) throws {
        let status = try envelope.payload(as: ArticleStatusPayload.self)
        var explanation = "Thông tin này đã được gỡ bỏ theo quyết định của Trưởng Ban Biên tập."
        if case .object(let fields) = envelope.payload, case .string(let text)? = fields["publicExplanation"], !text.isEmpty { explanation = text }
        guard let row = try context.connection.query(
            """
            UPDATE publishing.articles SET state = 'taken_down', public_explanation = $2, updated_at = now()
            WHERE id = $1 RETURNING array_to_json(domains)::text AS domains, path, content->>'title' AS title
            """, [status.articleId, explanation]
        ).rows.first else { return }  // never published: nothing to take down
        let domains = try JSONDecoder().decode([String].self, from: Data(try row.decode("domains", as: String.self).utf8))
        let path: String = try row.decode("path")
        for site in try SiteRegistry.sites(domains, on: context.connection) {
            // The text stays archived in publishing.articles; the page answers 410 with the explanation.
            let gone = renderer.gone(site: site, title: try row.decode("title"), explanation: explanation, path: path)
            for page in [String(path.dropFirst()), String(path.dropFirst()).replacingOccurrences(of: ".html", with: ".in.html")] {
                try files.write(gone, domain: site.domain, page: page)
                try files.markGone(domain: site.domain, page: page)
            }
            try Self.markStale(site.domain, on: context.connection)
        }
    }

    /// The site's lists (home, sitemaps, feeds) are redrawn by `SiteIndexes` shortly after, once
    /// for however many items a burst of approvals brings.
    static func markStale(_ domain: String, on connection: Connection) throws {
        try connection.query("INSERT INTO publishing.stale_sites (domain) VALUES ($1) ON CONFLICT (domain) DO NOTHING", [domain])
    }

    /// The pages that list a site's items: the home page (the latest twenty), the sitemap for
    /// people and as XML, the RSS and Atom feeds; and the privacy notice the home page links to.
    /// Taken-down items are in none of them.
    func renderHome(_ site: SiteRegistry.Site, on connection: Connection) throws {
        let published = try connection.query(
            """
            SELECT content->>'title' AS title, content->>'summary' AS summary, path, published_at FROM publishing.articles
            WHERE state = 'published' AND $1 = ANY(domains) ORDER BY published_at DESC, id
            """, [site.domain]
        ).rows.map { row in
            PageRenderer.Listed(
                title: try row.decode("title"), path: try row.decode("path"), summary: try row.decodeIfPresent("summary"),
                publishedAt: try row.decode("published_at"))
        }
        try files.write(renderer.home(site: site, articles: Array(published.prefix(20))), domain: site.domain, page: "index.html")
        let indexes = renderer.indexes(site: site, articles: published)
        try files.write(indexes.sitemap, domain: site.domain, page: "so-do-trang.html")
        try files.write(indexes.sitemapXML, domain: site.domain, page: "sitemap.xml")
        try files.write(indexes.rss, domain: site.domain, page: "rss.xml")
        try files.write(indexes.atom, domain: site.domain, page: "atom.xml")
        try files.write(renderer.privacy(site: site), domain: site.domain, page: "chinh-sach-bao-ve-du-lieu-ca-nhan.html")
    }

    static func fileExtension(_ filename: String) -> String {
        let ext = (filename as NSString).pathExtension.lowercased()
        return ext.isEmpty || ext.count > 5 || !ext.allSatisfy({ $0.isLetter || $0.isNumber }) ? "" : "." + ext
    }
}
