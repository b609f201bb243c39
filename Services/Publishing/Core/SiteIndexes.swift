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
            // This folder's writer is at work; a mark a day old of a writer not seen for a day belongs
            // to a folder no instance serves any more (a machine retired). A live writer's marks stay
            // however old, until its lists are drawn.
            try connection.query(
                "INSERT INTO publishing.site_writers (writer) VALUES ($1) ON CONFLICT (writer) DO UPDATE SET seen_at = now()", [writer])
            try connection.query(
                """
                DELETE FROM publishing.stale_sites s WHERE since < now() - interval '1 day' AND writer <> $1
                  AND NOT EXISTS (SELECT 1 FROM publishing.site_writers w WHERE w.writer = s.writer AND w.seen_at > now() - interval '1 day')
                """, [writer])
            // A site that has no pages yet (new, or a new data folder) gets them without waiting for an item.
            for site in try SiteRegistry.allActive(on: connection) where !files.exists(domain: site.domain, page: "index.html") {
                try Self.markStale(site.domain, on: connection)
            }
        }
    }

    /// Redraws every stale site once, each in a transaction of its own, so that a site whose
    /// lists cannot be written (its folder unwritable, a full disk) holds back no other; returns
    /// how many were drawn. A site that failed keeps its marks and is tried again next round.
    func redrawStale() async throws -> Int {
        let writer = self.writer
        // The marks seen now, by site: a mark added meanwhile survives for the next round.
        let marks = try await database.withConnection { connection in
            try connection.query(
                """
                SELECT domain, array_agg(id)::text AS ids FROM (
                    SELECT id, domain FROM publishing.stale_sites WHERE writer IN ($1, '') ORDER BY id LIMIT 5000
                ) AS marks GROUP BY domain ORDER BY min(id)
                """, [writer]
            ).rows.map { (domain: try $0.decode("domain", as: String.self), ids: try $0.decode("ids", as: String.self)) }
        }
        var drawn = 0, failure: (any Error)?
        for mark in marks {
            do {
                if try await redraw(mark.domain, marks: mark.ids) { drawn += 1 }
            } catch {
                logger.warning("site lists not redrawn; will retry", metadata: ["site": .string(mark.domain), "error": .string("\(error)")])
                failure = failure ?? error
            }
        }
        if drawn == 0, let failure { throw failure }
        return drawn
    }

    /// Draws one site's lists and removes the marks it was drawn for (`marks`, an array literal of
    /// their ids: a mark committed meanwhile, whatever its id, stays for the next round); false
    /// when another process of the same folder is drawing it now.
    func redraw(_ domain: String, marks: String) async throws -> Bool {
        let lists = self.lists, writer = self.writer
        return try await database.withTransaction { connection -> Bool in
            guard try connection.query(
                "SELECT pg_try_advisory_xact_lock(hashtext('portal.site_lists'), hashtext($1 || ' ' || $2)) AS locked", [writer, domain]
            ).one().decode("locked", as: Bool.self) else {
                return false
            }
            for site in try SiteRegistry.sites([domain], on: connection) {
                try lists.write(site, on: connection)
            }
            try connection.send("DELETE FROM publishing.stale_sites WHERE id = ANY($1::bigint[])", [marks])
            return true
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
