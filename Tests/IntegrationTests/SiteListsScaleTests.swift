import Foundation
import Models
@testable import PublishingCore
import ServiceKit
import Store
import Testing

/// A site's lists (home page, categories, feeds, sitemaps) are redrawn after every burst of
/// publications: what that costs must follow the few newest items they show, not the archive.
@Suite("Site lists at the archive's size", .serialized)
struct SiteListsScaleTests {
    struct RolledBack: Error {}
    static let domain = "scale-test.longan.gov.vn"

    @Test("Redrawing a site's lists takes about the same time with 6,200 published items over three years as with 200, and still shows the newest")
    func redrawDoesNotGrowWithTheArchive() async throws {
        let env = try TestEnvironment()
        let pool = try await env.database()
        defer { Task { await pool.close() } }
        let folder = NSTemporaryDirectory() + "site-lists-scale-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let files = SiteFiles(dataDirectory: folder)
        let lists = SiteLists(renderer: PageRenderer(library: try await PageRenderer.templates()), files: files)
        // Everything in one transaction that is rolled back: no other test sees this site. What
        // it measured is checked after, in the test's own task.
        let seen = Seen()
        do {
            try await pool.withTransaction { connection in
                try connection.query("INSERT INTO publishing.sites (domain, name, kind) VALUES ($1, 'Trang thử quy mô', 'bench')", [Self.domain])
                guard let site = try SiteRegistry.sites([Self.domain], on: connection).first else { throw RolledBack() }
                // Item n was published n × 4 hours ago: the newest are items 1, 2, 3…
                try publish(200, from: 1, on: connection)
                try connection.script(analyze)
                seen.small = try secondsPerRedraw(site, lists, on: connection)

                try publish(6_000, from: 201, on: connection)
                try connection.script(analyze)
                seen.large = try secondsPerRedraw(site, lists, on: connection)
                func page(_ path: String) -> String { files.read(domain: Self.domain, path: path).map { String(buffer: $0.bytes) } ?? "" }
                seen.home = page("index.html")
                seen.categories = page("chuyen-muc/index.html")
                seen.sitemapIndex = page("sitemap.xml")
                throw RolledBack()
            }
        } catch is RolledBack {}

        // Reading and drawing every item, 31 times as many would take many times as long.
        print(String(format: "per redraw: %.1f ms with 200 published, %.1f ms with 6,200", seen.small * 1000, seen.large * 1000))
        #expect(seen.small > 0 && seen.large / seen.small < 2, "per redraw: \(seen.small * 1000) ms with 200 published, \(seen.large * 1000) ms with 6,200")
        // What the redraw shows is still the newest, and the counts are the whole archive's.
        #expect(seen.home.contains("Tin thử quy mô số 1 "), "the newest item on the home page")
        #expect(seen.categories.contains("Chuyên mục 0</a> (1.550)"), "each of the 4 categories counts its 1,550 items")
        let months = seen.sitemapIndex.components(separatedBy: "<sitemap>").count - 2
        #expect((34...36).contains(months), "about three years of monthly sitemaps besides the pages': \(months)")
    }

    final class Seen: @unchecked Sendable {
        var small = 0.0, large = 0.0
        var home = "", categories = "", sitemapIndex = ""
    }

    /// What autovacuum does as the tables grow: the planner's view of their sizes.
    let analyze = "ANALYZE publishing.articles; ANALYZE publishing.site_items; ANALYZE publishing.category_items"

    func publish(_ count: Int, from first: Int, on connection: Connection) throws {
        try connection.query(
            """
            INSERT INTO publishing.articles (id, revision, content, content_sha256, signature, key_id, domains, path, state, published_at, categories)
            SELECT gen_random_uuid(), 1, jsonb_build_object('title', 'Tin thử quy mô số ' || n || ' ', 'summary', 'Tóm tắt tin số ' || n),
                   '', '', 'test', ARRAY[$1], '/bai-viet/quy-mo-' || n || '.html', 'published',
                   now() - make_interval(hours => n * 4), ARRAY['Chuyên mục ' || (n % 4)]
            FROM generate_series($2::int, $3::int) AS n
            """, [Self.domain, first, first + count - 1])
    }

    /// The median of five redraws.
    func secondsPerRedraw(_ site: SiteRegistry.Site, _ lists: SiteLists, on connection: Connection) throws -> Double {
        var times = [Double]()
        for _ in 0..<5 {
            let started = ContinuousClock.now
            try lists.write(site, on: connection)
            let elapsed = ContinuousClock.now - started
            times.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }
        return times.sorted()[2]
    }
}
