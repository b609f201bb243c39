import Foundation
import Logging
@testable import PublishingCore
import ServiceKit
import Store
import Testing

/// Every publication marks its sites' lists to be redrawn. A burst of approvals publishes many
/// items of one site at once: their marks must never make them wait for one another.
@Suite("Publishing: the lists' stale marks under concurrent publications", .serialized)
struct StaleMarksTests {
    struct RolledBack: Error {}

    @Test("A site's stale mark stays, however old, while its writer is at work, and is drawn; a site whose lists cannot be written holds back no other; only a retired writer's marks are dropped")
    func oldMarksOfALiveWriterAreDrawnNotDropped() async throws {
        let env = try TestEnvironment()
        let pool = try await env.database(maxConnections: 2)
        defer { Task { await pool.close() } }
        let folder = NSTemporaryDirectory() + "stale-marks-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let files = SiteFiles(dataDirectory: folder)
        let writer = "test-writer-\(UUID().uuidString.prefix(8))", retired = "retired-\(UUID().uuidString.prefix(8))"
        let indexes = SiteIndexes(
            database: pool, lists: SiteLists(renderer: PageRenderer(library: try await PageRenderer.templates()), files: files), files: files,
            writer: writer, readiness: Readiness(), logger: Logger(label: "test"))
        let (good, blocked): (String, String) = try await pool.withTransaction { connection in
            try SiteRegistry.sync(on: connection)
            let domains = try connection.query("SELECT domain FROM publishing.sites ORDER BY domain LIMIT 2").rows.map { try $0.decode("domain", as: String.self) }
            return (domains[0], domains[1])
        }
        // Marks two days old: the redraws kept failing over a weekend (this writer), a machine retired long ago (the other).
        try await pool.withConnection { connection in
            for (domain, owner) in [(good, writer), (blocked, writer), (good, retired)] {
                try connection.query(
                    "INSERT INTO publishing.stale_sites (domain, writer, since) VALUES ($1, $2, now() - interval '2 days')", [domain, owner])
            }
        }
        try await indexes.syncRegistry()
        let left = try await pool.withConnection {
            try $0.query("SELECT writer, domain FROM publishing.stale_sites WHERE writer IN ($1, $2) ORDER BY writer, domain", [writer, retired])
                .rows.map { "\(try $0.decode("writer", as: String.self))/\(try $0.decode("domain", as: String.self))" }
        }
        #expect(left.contains("\(writer)/\(good)") && left.contains("\(writer)/\(blocked)"), "a live writer's old marks stay: \(left)")
        #expect(!left.contains("\(retired)/\(good)"), "a retired writer's old mark is dropped: \(left)")
        // One site's folder cannot be written (a file where its folder should be): the other is still drawn.
        try FileManager.default.createDirectory(atPath: folder + "/sites", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: folder + "/sites/\(blocked)", contents: Data("not a folder".utf8))
        let drawn = try await indexes.redrawStale()
        #expect(drawn >= 1)
        #expect(files.exists(domain: good, page: "index.html"), "the site that could be written has its lists")
        let still = try await pool.withConnection {
            try $0.query("SELECT domain FROM publishing.stale_sites WHERE writer = $1", [writer]).rows.map { try $0.decode("domain", as: String.self) }
        }
        #expect(!still.contains(good) && still.contains(blocked), "the failed site keeps its mark for the next round: \(still)")
        try await pool.withConnection { _ = try $0.query("DELETE FROM publishing.stale_sites WHERE writer = $1", [writer]) }
    }

    @Test("A publication marking a site does not wait for another one, still open, that marked the same site")
    func marksOfOneSiteDoNotQueue() async throws {
        let env = try TestEnvironment()
        let pool = try await env.database(maxConnections: 2)
        defer { Task { await pool.close() } }
        // The registry as publishing keeps it, from the units (a site's mark refers to it).
        let domain: String = try await pool.withTransaction { connection in
            try SiteRegistry.sync(on: connection)
            return try connection.query("SELECT domain FROM publishing.sites ORDER BY domain LIMIT 1").one().decode("domain")
        }
        // The first publication marks the site and stays open for two seconds.
        let first = Task {
            try? await pool.withTransaction { connection in
                try SiteIndexes.markStale(domain, on: connection)
                try connection.flush()
                Thread.sleep(forTimeInterval: 2)
                throw RolledBack()
            }
        }
        try await Task.sleep(for: .milliseconds(300))
        // The second marks the same site meanwhile; before, it waited for the first's commit.
        let started = ContinuousClock.now
        do {
            try await pool.withTransaction { connection in
                try SiteIndexes.markStale(domain, on: connection)
                try connection.flush()
                throw RolledBack()
            }
        } catch is RolledBack {}
        let waited = ContinuousClock.now - started
        await first.value
        #expect(waited < .milliseconds(1_000), "the second publication waited \(waited) for the first one's mark")
    }
}
