import Foundation
import PublishingCore
import ServiceKit

/// The publishing service: approved information on the portal and its component sites, as
/// static files, verified against the approval's signature (Art. 3, 4, 12, 19, 20).
@main
struct PublishingMain {
    static func main() async throws {
        let configuration = ServiceConfiguration(service: .publishing)
        let files = SiteFiles(dataDirectory: configuration.dataDirectory)
        // Every connection of this process names the folder it writes (publishing.page_changes,
        // stale_sites), so that other folders' mirrors write what it wrote, and not the reverse.
        let writer = try files.writerIdentity()
        let options = ProcessInfo.processInfo.environment["PGOPTIONS"].map { $0 + " " } ?? ""
        setenv("PGOPTIONS", options + "-c portal.site_writer=\(writer)", 1)
        let server = try PortalServer.bootstrap(.publishing)
        let renderer = PageRenderer(library: try await PageRenderer.templates())
        let feed = PublishingFeed(pages: ArticlePages(renderer: renderer, files: files))
        SiteServer(
            files: files, search: SiteSearch(database: server.database, renderer: renderer),
            archive: SiteArchive(database: server.database, renderer: renderer)
        ).register(on: server.router)
        SiteRoutes(database: server.database, files: files, renderer: renderer).register(on: server.router)
        let indexes = SiteIndexes(
            database: server.database, lists: SiteLists(renderer: renderer, files: files), files: files, writer: writer,
            readiness: server.readiness, logger: server.logger)
        let mirror = SiteMirror(
            database: server.database, renderer: renderer, files: files, writer: writer, readiness: server.readiness, logger: server.logger)
        let schedule = ScheduledPublications(
            database: server.database, feed: feed, outbox: server.outbox, readiness: server.readiness, logger: server.logger)
        try await server.run(
            eventHandler: feed.handle, batchHandler: feed.handle, failureRecorder: PublishingFeed.recordFailure, subject: PublishingFeed.subject,
            services: [indexes, schedule, mirror])
    }
}
