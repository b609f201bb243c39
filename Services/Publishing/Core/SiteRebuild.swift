import Foundation
import Models
import Store

/// Writes every page of one site or of all again, from `publishing.articles`: the same code the
/// events run, so the bytes are the same as those incremental publication wrote.
public struct SiteRebuild: Sendable {
    let pages: ArticlePages
    let lists: SiteLists
    let files: SiteFiles

    public init(renderer: PageRenderer, files: SiteFiles) {
        pages = ArticlePages(renderer: renderer, files: files)
        lists = SiteLists(renderer: renderer, files: files)
        self.files = files
    }

    public struct Outcome: Sendable {
        public var sites = 0
        public var articles = 0
        public var answers = 0
    }

    /// `progress` is called with the items done and the total, after each batch.
    public func run(site domain: String?, database: DatabasePool, progress: (Int, Int) -> Void) async throws -> Outcome {
        let files = self.files
        let sites = try await database.withTransaction { connection -> [SiteRegistry.Site] in
            try SiteRegistry.sync(on: connection)
            try SiteRegistry.writeRedirects(files, on: connection)
            return try SiteRegistry.allActive(on: connection).filter { domain == nil || $0.domain == domain }
        }
        if let domain, sites.isEmpty { throw UnknownSite(domain: domain) }
        let ids = try await database.withConnection { connection in
            try connection.query(
                """
                SELECT id FROM publishing.articles
                WHERE state IN ('published', 'taken_down') AND ($1::text IS NULL OR $1 = ANY(domains)) ORDER BY published_at, id
                """, [domain]
            ).rows.map { try $0.decode("id", as: UUID.self) }
        }
        var outcome = Outcome()
        let pages = self.pages
        for start in stride(from: 0, to: ids.count, by: 100) {
            let batch = Array(ids[start..<min(start + 100, ids.count)])
            try await database.withTransaction { connection in
                for id in batch {
                    guard let article = try PublishedArticle.load(id, on: connection) else { continue }
                    try pages.write(article, onlyOn: domain, markStale: false, on: connection)
                }
            }
            outcome.articles += batch.count
            progress(outcome.articles, ids.count)
        }
        if sites.contains(where: { $0.domain == SiteDomain.portal }) {
            outcome.answers = try await AnswerPages.rewriteAll(renderer: pages.renderer, files: files, database: database)
        }
        let lists = self.lists
        for site in sites {
            try await database.withTransaction { try lists.write(site, on: $0) }
            outcome.sites += 1
        }
        return outcome
    }

    public struct UnknownSite: Error, CustomStringConvertible {
        public var domain: String
        public var description: String { "\(domain) is not an active site of the registry (GET /api/v1/sites lists them)." }
    }
}
