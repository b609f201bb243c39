import ArgumentParser
import Crypto
import Foundation
import Models
import ServiceKit
import Store

/// `portalctl bench approval`: signed approvals per second through the approval API, and the
/// time from a submission's commit in intake to its appearance in the editors' queue.
struct ApprovalBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approval", abstract: "Signed approvals per second through the API; submission-to-queue latency p50/p99.")

    @Option(help: "The running approval service.")
    var approvalURL = "http://127.0.0.1:8082"

    @Option(help: "The running intake service.")
    var intakeURL = "http://127.0.0.1:8081"

    @Option(help: "Items to approve.")
    var approvals = 2_000

    @Option(help: "Concurrent approvers' requests.")
    var concurrency = 16

    @Option(help: "Submissions to follow into the queue.")
    var submissions = 1_000

    @Option(help: "Submissions per second offered for the latency measurement.")
    var rate = 200

    @Option(help: "Published items the archive holds first (topped up, never written twice), for the pre-screens' cost.")
    var published = 0

    func run() async throws {
        let tool = ToolContext()
        let head = try await ApiTokens(database: tool.database).create(login: "truongban", label: "bench", lifetimeDays: 1)
        let collaborator = try await ApiTokens(database: tool.database).create(login: "ctv.benluc", label: "bench", lifetimeDays: 1)

        if published > 0 {
            FileHandle.standardError.write(Data("filling the archive to \(published) published items…\n".utf8))
            try await SyntheticArchive.fill(to: published, unit: "district-benluc", site: Self.benchSite, database: tool.database) { have in
                FileHandle.standardError.write(Data("\r  \(have)/\(published)".utf8))
            }
            try await tool.database.withConnection { try $0.script("ANALYZE editorial.articles; ANALYZE editorial.revisions; ANALYZE editorial.similarity_bands") }
            FileHandle.standardError.write(Data("\n".utf8))
        }

        // 1. Items waiting for the Head, written as the API leaves them after an editor sends them.
        FileHandle.standardError.write(Data("preparing \(approvals) items pending approval…\n".utf8))
        let ids = try await Self.preparePending(count: approvals, database: tool.database)
        let approve = try await measure(ids: ids, token: head)
        print(String(format: "approvals: %d signed in %.2f s = %.0f/s at concurrency %d (p50 %.1f ms, p99 %.1f ms, %d failed)",
                     approve.ok, approve.seconds, Double(approve.ok) / approve.seconds, concurrency,
                     approve.p50 * 1000, approve.p99 * 1000, approve.failed))

        // 2. Submissions through intake; latency from intake's commit to the item's row in the queue.
        FileHandle.standardError.write(Data("offering \(submissions) submissions at \(rate)/s…\n".utf8))
        let run = "Bench \(UUID().uuidString.prefix(8))"
        guard let intake = URLComponents(string: intakeURL), let host = intake.host else { throw ValidationError("--intake-url") }
        let interval = Duration.seconds(1) / max(1, rate)
        try await HTTPBenchClient.withConnection(host: host, port: intake.port ?? 80) { client in
            var next = ContinuousClock.now
            for index in 0..<submissions {
                try await Task.sleep(until: next)
                next += interval
                // About 1.2 KB of text of its own, as a unit's news item: the pre-screen reads all of it.
                let text = SyntheticArchive.text(seed: UInt64.random(in: 0...UInt64.max), words: 150).body
                let body = Array(#"{"title": "\#(run) \#(index)", "body": "\#(text)", "bodyFormat": "text", "kind": "news", "language": "vi", "authors": [{"name": "A"}]}"#.utf8)
                _ = try await client.post("/api/v1/submissions", body: body, headers: [
                    ("Authorization", "Bearer \(collaborator)"), ("Content-Type", "application/json"), ("Host", host),
                ])
            }
        }
        var latencies = [Double]()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            latencies = try await tool.database.withConnection { connection in
                try connection.query(
                    """
                    SELECT extract(epoch FROM a.queued_at - s.received_at) AS seconds
                    FROM intake.submissions s JOIN editorial.articles a ON a.id = s.id WHERE s.title LIKE $1
                    """, ["\(run) %"]
                ).rows.map { try $0.decode("seconds", as: Double.self) }
            }
            if latencies.count >= submissions { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        let queued = Samples(latencies: latencies, failed: submissions - latencies.count)
        func percentile(_ p: Double) -> Double { queued.percentile(p) }
        print(String(format: "submission to queue: %d of %d queued; p50 %.1f ms, p99 %.1f ms, max %.1f ms",
                     latencies.count, submissions, percentile(0.5) * 1000, percentile(0.99) * 1000, (latencies.max() ?? 0) * 1000))
        await tool.database.close()
    }

    struct Outcome {
        var ok: Int
        var failed: Int
        var seconds: Double
        var p50: Double
        var p99: Double
    }

    func measure(ids: [UUID], token: String) async throws -> Outcome {
        guard let endpoint = URLComponents(string: approvalURL), let host = endpoint.host else { throw ValidationError("--approval-url") }
        let port = endpoint.port ?? 80
        let counter = Counter(limit: ids.count)
        let headers = [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json"), ("Host", host)]
        let started = ContinuousClock.now
        let samples = try await LoadRun.run(host: host, port: port, concurrency: concurrency, success: 200) {
            counter.next().map {
                BenchRequest(path: "/api/v1/articles/\(ids[$0].uuidString.lowercased())/approve", body: Array(#"{"revision": 1}"#.utf8), headers: headers)
            }
        }
        return Outcome(
            ok: samples.latencies.count, failed: samples.failed, seconds: (ContinuousClock.now - started).seconds,
            p50: samples.percentile(0.5), p99: samples.percentile(0.99))
    }

    /// Where the approved items are published: a site of the benchmarks, not the portal.
    static let benchSite = "benchapproval.\(SiteDomain.portal)"

    /// Items of a district, classified and pending approval, with one revision, written in bulk.
    static func preparePending(count: Int, database: DatabasePool) async throws -> [UUID] {
        let ids = (0..<count).map { _ in UUID() }
        // Published on a site of their own, never on the portal's home page people see.
        let classification = Classification(
            genre: "news", coefficientHundredths: 800, authors: [AuthorShare(name: "Tác giả")], targetSites: [benchSite])
        try await database.withTransaction { connection in
            try connection.query(
                "INSERT INTO publishing.sites (domain, unit_code, name, kind) VALUES ($1, 'trungtamhcc', 'Trang đo hiệu năng', 'bench') ON CONFLICT DO NOTHING",
                [benchSite])
            for id in ids {
                // Each its own text, as real news is: identical items would all be each other's near-duplicates.
                let body = SyntheticArchive.text(seed: UInt64.random(in: 0...UInt64.max), words: 40).body
                let content = CanonicalRevision(
                    articleId: id, revision: 1, unitCode: "district-benluc", kind: "news", language: "vi", title: "Tin đo hiệu năng",
                    summary: "Tóm tắt", bodyHTML: "<p>\(body)</p>", attachments: [], classification: classification, details: .object([:]))
                let hash = SHA256.hash(data: content.canonicalBytes).hexString
                try connection.query(
                    """
                    INSERT INTO editorial.articles (id, unit_code, channel, state, current_revision, received_at)
                    VALUES ($1, 'district-benluc', 'api', 'pending_approval', 1, now())
                    """, [id])
                try connection.query(
                    """
                    INSERT INTO editorial.revisions (article_id, number, kind, language, title, summary, body_format, body, body_html,
                        classification, created_by_label, content_sha256)
                    VALUES ($1, 1, 'news', 'vi', 'Tin đo hiệu năng', 'Tóm tắt', 'text', $2, $3, $4::jsonb, 'bench', $5)
                    """, [id, body, "<p>\(body)</p>", String(decoding: try JSONEncoder().encode(classification), as: UTF8.self), hash])
            }
        }
        return ids
    }
}
