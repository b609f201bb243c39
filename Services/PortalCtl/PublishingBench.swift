import ArgumentParser
import Foundation
import Models
import PublishingCore
import ServiceKit
import Store

/// `portalctl bench publishing`: the time from an approval to its page, and article pages served
/// per second by the publishing service.
struct PublishingBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publishing", abstract: "Approval-to-page latency p50/p99; article page requests per second.")

    @Option(help: "The running approval service.")
    var approvalURL = "http://127.0.0.1:8082"

    @Option(help: "The running publishing service.")
    var publishingURL = "http://127.0.0.1:8083"

    @Option(help: "Items to approve and publish.")
    var items = 500

    @Option(help: "Concurrent approvals, as fast as they go (with --rate 0).")
    var approvers = 8

    @Option(help: "Approvals per second at a steady pace, one client; 0 for a burst.")
    var rate = 0

    @Option(help: "Concurrent page requests.")
    var concurrency = 64

    @Option(help: "Seconds of page requests.")
    var seconds = 10

    @Option(help: "Articles for the full-rebuild measure (0 to skip it).")
    var rebuildArticles = 10_000

    @Flag(help: "Only the full rebuild.")
    var rebuildOnly = false

    func run() async throws {
        let tool = ToolContext()
        if rebuildArticles > 0 { try await measureRebuild(tool) }
        if rebuildOnly {
            await tool.database.close()
            return
        }
        let head = try await ApiTokens(database: tool.database).create(login: "truongban", label: "bench", lifetimeDays: 1)
        FileHandle.standardError.write(Data("preparing \(items) items pending approval…\n".utf8))
        let ids = try await ApprovalBench.preparePending(count: items, database: tool.database)
        var approval = ApprovalBench()
        approval.approvalURL = approvalURL
        approval.concurrency = approvers
        // Watched from the first approval on: an item counts as published when its row, which the
        // publisher commits after its pages are on the disk, can be read.
        let watching = Task { try await Self.watchPublications(ids, database: tool.database) }
        let approved: ApprovalBench.Outcome
        do {
            approved = rate > 0 ? try await paced(ids: ids, token: head) : try await approval.measure(ids: ids, token: head)
        } catch {
            watching.cancel()
            throw error
        }
        FileHandle.standardError.write(Data("approved \(approved.ok); waiting for the pages…\n".utf8))
        let seen = try await watching.value

        // From approval's decision to the moment the page's row was first seen committed, both by
        // the database's clock; the polling adds at most its interval.
        let list = "{" + ids.map { $0.uuidString.lowercased() }.joined(separator: ",") + "}"
        let decided = try await tool.database.withConnection { connection in
            try connection.query(
                """
                SELECT d.article_id, extract(epoch FROM d.created_at)::float8 AS at
                FROM editorial.decisions d WHERE d.action = 'approve' AND d.article_id = ANY($1::uuid[])
                """, [list]
            ).rows.map { (try $0.decode("article_id", as: UUID.self), try $0.decode("at", as: Double.self)) }
        }
        let latencies = decided.compactMap { id, at in seen[id].map { $0 - at } }
        let toPage = Samples(latencies: latencies, failed: approved.ok - latencies.count)
        print(String(format: "approval to page: %d of %d published; p50 %.1f ms, p99 %.1f ms",
                     latencies.count, approved.ok, toPage.percentile(0.5) * 1000, toPage.percentile(0.99) * 1000))

        guard let endpoint = URLComponents(string: publishingURL), let host = endpoint.host else { throw ValidationError("--publishing-url") }
        let path = "/bai-viet/\(ids[0].uuidString.lowercased()).html"
        let end = ContinuousClock.now + .seconds(seconds)
        let started = ContinuousClock.now
        let pages = try await LoadRun.run(host: host, port: endpoint.port ?? 80, concurrency: concurrency, success: 200) {
            ContinuousClock.now < end ? BenchRequest(method: .GET, path: path, body: [], headers: [("Host", ApprovalBench.benchSite)]) : nil
        }
        let elapsed = (ContinuousClock.now - started).seconds
        print(String(format: "article page: %.0f requests/s at concurrency %d (p50 %.2f ms, p99 %.2f ms, %d failed)",
                     Double(pages.latencies.count) / elapsed, concurrency, pages.percentile(0.5) * 1000, pages.percentile(0.99) * 1000, pages.failed))
        await tool.database.close()
    }

    /// When each item's published row was first seen, by the database's clock (seconds since 1970):
    /// asked every 25 ms about the items not yet seen, for at most three minutes.
    static func watchPublications(_ ids: [UUID], database: DatabasePool) async throws -> [UUID: Double] {
        var seen = [UUID: Double]()
        var waiting = Set(ids)
        let deadline = ContinuousClock.now + .seconds(180)
        while !waiting.isEmpty, ContinuousClock.now < deadline {
            try Task.checkCancellation()
            let list = "{" + waiting.map { $0.uuidString.lowercased() }.joined(separator: ",") + "}"
            let found = try await database.withConnection { connection in
                try connection.query(
                    """
                    SELECT id, extract(epoch FROM clock_timestamp())::float8 AS at
                    FROM publishing.articles WHERE id = ANY($1::uuid[]) AND state = 'published'
                    """, [list]
                ).rows.map { (try $0.decode("id", as: UUID.self), try $0.decode("at", as: Double.self)) }
            }
            for (id, at) in found where waiting.remove(id) != nil { seen[id] = at }
            try await Task.sleep(for: .milliseconds(25))
        }
        return seen
    }

    /// Approvals at `rate` per second, the pace of a working day's peak rather than a burst.
    func paced(ids: [UUID], token: String) async throws -> ApprovalBench.Outcome {
        guard let endpoint = URLComponents(string: approvalURL), let host = endpoint.host else { throw ValidationError("--approval-url") }
        let interval = Duration.seconds(1) / rate
        let started = ContinuousClock.now
        var ok = 0
        try await HTTPBenchClient.withConnection(host: host, port: endpoint.port ?? 80) { client in
            var next = ContinuousClock.now
            for id in ids {
                try await Task.sleep(until: next)
                next += interval
                let status = try await client.post(
                    "/api/v1/articles/\(id.uuidString.lowercased())/approve", body: Array(#"{"revision": 1}"#.utf8),
                    headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json"), ("Host", host)])
                if status == 200 { ok += 1 }
            }
        }
        return ApprovalBench.Outcome(ok: ok, failed: ids.count - ok, seconds: (ContinuousClock.now - started).seconds, p50: 0, p99: 0)
    }

    /// A full rebuild of a site holding `rebuildArticles` published items, written into a scratch
    /// folder: items per second, time and peak memory. The bench site and its rows are removed after.
    func measureRebuild(_ tool: ToolContext) async throws {
        let domain = "benchrebuild.\(SiteDomain.portal)"
        FileHandle.standardError.write(Data("storing \(rebuildArticles) published items on \(domain)…\n".utf8))
        let paragraph = "<p>Ủy ban nhân dân tỉnh Long An chỉ đạo các sở, ngành và địa phương triển khai thực hiện kế hoạch phát triển kinh tế - xã hội, bảo đảm an sinh xã hội và nâng cao chất lượng phục vụ người dân, doanh nghiệp.</p>"
        try await tool.database.withTransaction { connection in
            try connection.query(
                "INSERT INTO publishing.sites (domain, unit_code, name, kind) VALUES ($1, 'trungtamhcc', 'Trang đo hiệu năng', 'bench') ON CONFLICT DO NOTHING",
                [domain])
            let categories = ["Tin tức", "Kinh tế", "Văn hóa - Xã hội", "Chỉ đạo điều hành", "Pháp luật"]
            for start in stride(from: 0, to: rebuildArticles, by: 500) {
                var rows = [String]()
                for index in start..<min(start + 500, rebuildArticles) {
                    let content = CanonicalRevision(
                        articleId: UUID(), revision: 1, unitCode: "trungtamhcc", kind: "news", language: "vi",
                        title: "Tin hoạt động số \(index) của các sở, ngành tỉnh Long An", summary: "Tóm tắt tin số \(index).",
                        bodyHTML: String(repeating: paragraph, count: 8), attachments: [],
                        classification: Classification(authors: [AuthorShare(name: "Phóng viên \(index % 40)")],
                                                       categories: [categories[index % 5], categories[(index / 5) % 5]], targetSites: [domain]),
                        details: .object([:]))
                    let json = String(decoding: try EventCoding.encoder.encode(content), as: UTF8.self)
                    rows.append(json)
                }
                try connection.query(
                    """
                    INSERT INTO publishing.articles (id, revision, content, content_sha256, signature, key_id, domains, path, state, published_at, categories)
                    SELECT (c->>'articleId')::uuid, 1, c, '', '', 'bench', ARRAY[$2], '/bai-viet/' || lower(c->>'articleId') || '.html', 'published',
                           now() - make_interval(mins => n::int), ARRAY(SELECT jsonb_array_elements_text(c->'classification'->'categories'))
                    FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(c, n)
                    """, ["[" + rows.joined(separator: ",") + "]", domain])
            }
        }
        let scratch = NSTemporaryDirectory() + "portal-rebuild-bench-\(UUID().uuidString.prefix(8))"
        let rebuild = SiteRebuild(renderer: PageRenderer(library: try await PageRenderer.templates()), files: SiteFiles(dataDirectory: scratch))
        let started = ContinuousClock.now
        let outcome = try await rebuild.run(site: domain, database: tool.database) { _, _ in }
        let elapsed = (ContinuousClock.now - started).seconds
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        print(String(format: "full rebuild: %d items in %.1f s = %.0f items/s (peak memory %d MB)",
                     outcome.articles, elapsed, Double(outcome.articles) / elapsed, usage.ru_maxrss / 1024))
        try await tool.database.withTransaction { connection in
            try connection.query("DELETE FROM publishing.articles WHERE domains = ARRAY[$1]", [domain])
            try connection.query("DELETE FROM publishing.stale_sites WHERE domain = $1", [domain])
            try connection.query("DELETE FROM publishing.sites WHERE domain = $1", [domain])
        }
        try? FileManager.default.removeItem(atPath: scratch)
    }
}
