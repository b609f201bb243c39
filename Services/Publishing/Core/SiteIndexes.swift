import Foundation
import Logging
import ServiceLifecycle
import ServiceKit
import Store

/// Redraws the lists of the sites that publications marked stale: home page, sitemap page,
/// `sitemap.xml`, RSS and Atom. Marks belong to a folder (its writer identity): each folder's
/// lists are redrawn by one instance at a time (an advisory lock on the folder); a site marked
/// again while it is being drawn is drawn again in the next round, so no publication is ever left out.
public struct SiteIndexes: Service {
    let database: DatabasePool
    let lists: SiteLists
    let files: SiteFiles
    let readiness: Readiness
    let logger: Logger
    /// The folder's writer identity (`SiteFiles.writerIdentity`).
    let writer: String

    public init(database: DatabasePool, lists: SiteLists, files: SiteFiles, writer: String, readiness: Readiness, logger: Logger) {
        self.writer = writer
        self.database = database
        self.lists = lists
        self.files = files
        self.readiness = readiness
        self.logger = logger
    }


    public func run() async throws {
        await readiness.waitUntilMigrated()
        try? await cancelWhenGracefulShutdown {
            var registrySynced = ContinuousClock.now - .seconds(3600)
            while !Task.isCancelled {
                let drawn: Int
                if ContinuousClock.now - registrySynced > .seconds(60) {
                    // Units that ended since the last look become redirects; new sites get pages.
                    do {
                        try await syncRegistry()
                        registrySynced = .now
                    } catch {
                        logger.warning("site registry not synchronised; will retry", metadata: ["error": .string("\(error)")])
                    }
                }
                do {
                    drawn = try await redrawStale()
                } catch {
                    logger.warning("site lists not redrawn; will retry", metadata: ["error": .string("\(error)")])
                    drawn = 0
                }
                // After a round, a pause: during a burst of approvals the lists are redrawn twice a second
                // rather than continuously, and the article pages (written by the events) get the CPU.
                try await Task.sleep(for: .milliseconds(drawn == 0 ? 100 : 500))
            }
        }
    }

    func syncRegistry() async throws {
        let files = self.files
        try await database.withTransaction { connection in
            try SiteRegistry.sync(on: connection)
            try SiteRegistry.writeRedirects(files, on: connection)
            // A mark a day old belongs to a folder no instance serves any more (a machine retired).
            try connection.query("DELETE FROM publishing.stale_sites WHERE since < now() - interval '1 day'")
            // A site that has no pages yet (new, or a new data folder) gets them without waiting for an item.
            for site in try SiteRegistry.allActive(on: connection) where !files.exists(domain: site.domain, page: "index.html") {
                try Self.markStale(site.domain, on: connection)
            }
        }
    }

    /// Redraws every stale site once; returns how many.
    func redrawStale() async throws -> Int {
        let lists = self.lists, writer = self.writer
        return try await database.withTransaction { connection -> Int in
            guard try connection.query(
                "SELECT pg_try_advisory_xact_lock(hashtext('portal.site_lists'), hashtext($1)) AS locked", [writer]
            ).one().decode("locked", as: Bool.self) else {
                return 0
            }
            // Only the marks seen now are removed: a mark added meanwhile survives for the next round.
            let stale = try connection.query(
                "SELECT id, domain FROM publishing.stale_sites WHERE writer IN ($1, '') ORDER BY id LIMIT 5000", [writer]
            ).rows.map { (try $0.decode("id", as: Int64.self), try $0.decode("domain", as: String.self)) }
            let domains = Set(stale.map(\.1))
            guard !domains.isEmpty else { return 0 }
            for site in try SiteRegistry.sites(Array(domains), on: connection) {
                try lists.write(site, on: connection)
            }
            try connection.send("DELETE FROM publishing.stale_sites WHERE id = ANY($1::bigint[])", [SQLArray.literal(stale.map { String($0.0) })])
            return domains.count
        }
    }

    /// The site's lists (home, categories, sitemaps, feeds) are redrawn shortly after, once for
    /// however many items a burst of approvals brings, in the folder of the connection's writer
    /// (`portal.site_writer`, set for every connection of a publishing process).
    /// Each mark is a row of its own, so publications never wait for one another here: a redraw
    /// that read the site before this transaction removes only the marks it saw, and this one
    /// stays for the next round.
    public static func markStale(_ domain: String, on connection: Connection) throws {
        try connection.send("INSERT INTO publishing.stale_sites (domain) VALUES ($1)", [domain])
    }
}
