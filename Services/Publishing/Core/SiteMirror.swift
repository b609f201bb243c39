import Foundation
import Logging
import Models
import ServiceLifecycle
import ServiceKit
import Store

/// Keeps this folder's copy of the sites up to date with what other folders published: several
/// publishing instances on several machines each serve their own files, and each writes the
/// pages another instance changed (docs/decisions.md, "Publishing on several machines").
///
/// Triggers note every change of a page in `publishing.page_changes` in the changing
/// transaction. The mirror reads the notes window by window of transaction ids: everything below
/// the oldest transaction still running (`pg_snapshot_xmin`) is settled, so a window read once is
/// never added to later, and no note is missed however transactions interleave. The upper end
/// of the last window read is kept in the folder (`.mirror`); a crash reads a window again, which
/// writes the same bytes. A new folder, or one that fell behind the notes kept, is rebuilt first.
/// Notes without a writer come from tools (a seeded archive, a benchmark), not from a
/// publication: as before there were several folders, they write no page.
public struct SiteMirror: Service {
    let database: DatabasePool
    let pages: ArticlePages
    let answers: AnswerPages
    let rebuild: SiteRebuild
    let files: SiteFiles
    let writer: String
    let readiness: Readiness
    let logger: Logger

    /// Notes older than this are pruned; a folder whose position is older is rebuilt.
    static let retention: TimeInterval = 7 * 86_400

    public init(database: DatabasePool, renderer: PageRenderer, files: SiteFiles, writer: String, readiness: Readiness, logger: Logger) {
        self.database = database
        pages = ArticlePages(renderer: renderer, files: files)
        answers = AnswerPages(renderer: renderer, files: files)
        rebuild = SiteRebuild(renderer: renderer, files: files)
        self.files = files
        self.writer = writer
        self.readiness = readiness
        self.logger = logger
    }

    struct Position: Codable {
        /// Every note of a transaction below this id has been applied.
        var horizon: String
        var savedAt: Date
    }

    var positionPath: String { "\(files.root)/.mirror" }

    public func run() async throws {
        await readiness.waitUntilMigrated()
        try? await cancelWhenGracefulShutdown {
            var position: Position?
            var pruned = ContinuousClock.now - .seconds(3600)
            while !Task.isCancelled {
                var applied = 0
                do {
                    if position == nil { position = try await start() }
                    if var current = position {
                        applied = try await follow(&current)
                        position = current
                    }
                    if ContinuousClock.now - pruned > .seconds(3600) {
                        try await prune()
                        pruned = .now
                    }
                } catch {
                    logger.warning("the sites' copy is not up to date; will retry", metadata: ["error": .string("\(error)")])
                }
                try await Task.sleep(for: .milliseconds(applied == 0 ? 250 : 50))
            }
        }
    }

    /// The kept position; for a new folder (or one too far behind), a rebuild from the database
    /// starting at the settled horizon of now. A folder that has the portal's pages but no
    /// position was written by the only instance before mirrors existed: it is up to date.
    func start() async throws -> Position {
        if let data = FileManager.default.contents(atPath: positionPath),
           let kept = try? JSONDecoder().decode(Position.self, from: data),
           Date().timeIntervalSince(kept.savedAt) < Self.retention - 86_400 {
            return kept
        }
        let horizon = try await database.withConnection { try Self.settledHorizon(on: $0) }
        if !FileManager.default.fileExists(atPath: positionPath), files.exists(domain: SiteDomain.portal, page: "index.html") {
            let position = Position(horizon: horizon, savedAt: Date())
            try save(position)
            return position
        }
        logger.info("writing this folder's copy of every site from the database", metadata: ["writer": .string(writer)])
        let outcome = try await rebuild.run(site: nil, database: database) { _, _ in }
        logger.info("sites written", metadata: ["sites": .stringConvertible(outcome.sites), "articles": .stringConvertible(outcome.articles)])
        let position = Position(horizon: horizon, savedAt: Date())
        try save(position)
        return position
    }

    /// Applies the notes of the settled window after `position`; returns how many were others'.
    func follow(_ position: inout Position) async throws -> Int {
        let from = position.horizon, writer = self.writer, pages = self.pages, answers = self.answers, files = self.files
        // Read first, outside a transaction: most rounds find nothing of other folders to write.
        let (to, notes) = try await database.withConnection { connection -> (String, [(String, UUID?)]) in
            let to = try Self.settledHorizon(on: connection)
            guard to != from else { return (to, []) }
            return (to, try connection.query(
                """
                SELECT kind, id FROM publishing.page_changes
                WHERE xid >= $1::xid8 AND xid < $2::xid8 AND writer NOT IN ($3, '')
                GROUP BY kind, id ORDER BY min(seq)
                """, [from, to, writer]
            ).rows.map { (try $0.decode("kind", as: String.self), try $0.decodeIfPresent("id", as: UUID.self)) })
        }
        let applied = notes.isEmpty ? 0 : try await database.withTransaction { connection -> Int in
            // The lists of every site touched are marked once, at the end and in order: marks
            // taken page by page, in another order than a publication's, could deadlock with it.
            var touched = Set<String>()
            for (kind, id) in notes {
                switch (kind, id) {
                case ("article", let id?):
                    guard let article = try PublishedArticle.load(id, on: connection) else { continue }
                    try pages.write(article, markStale: false, on: connection)
                    touched.formUnion(article.domains)
                case ("answer", let id?):
                    try answers.rewrite(id, on: connection)
                    touched.insert(SiteDomain.portal)
                case ("sites", _):
                    try SiteRegistry.writeRedirects(files, on: connection)
                    for site in try SiteRegistry.allActive(on: connection) where !files.exists(domain: site.domain, page: "index.html") {
                        touched.insert(site.domain)
                    }
                default:
                    continue
                }
            }
            let active = Set(try SiteRegistry.sites(Array(touched), on: connection).map(\.domain))
            for domain in touched.sorted() where active.contains(domain) { try SiteIndexes.markStale(domain, on: connection) }
            return notes.count
        }
        guard to != from else { return 0 }
        position.horizon = to
        // The position is written when something was applied, else at most every few seconds.
        if applied > 0 || Date().timeIntervalSince(position.savedAt) > 5 {
            position.savedAt = Date()
            try save(position)
        }
        if applied > 0 { logger.debug("pages of other folders written", metadata: ["notes": .stringConvertible(applied)]) }
        return applied
    }

    /// The oldest transaction id still running: every transaction below it has ended.
    static func settledHorizon(on connection: Connection) throws -> String {
        try connection.query("SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS horizon").one().decode("horizon")
    }

    func save(_ position: Position) throws {
        let data = try JSONEncoder().encode(position)
        try files.writeAtomically(Array(data), to: positionPath)
    }

    func prune() async throws {
        try await database.withConnection {
            try $0.query("DELETE FROM publishing.page_changes WHERE at < now() - make_interval(secs => $1)", [Int(Self.retention)])
        }
    }
}
