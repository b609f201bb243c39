import ArgumentParser
import Foundation
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

    @Option(help: "Concurrent approvals.")
    var approvers = 8

    @Option(help: "Concurrent page requests.")
    var concurrency = 64

    @Option(help: "Seconds of page requests.")
    var seconds = 10

    func run() async throws {
        let tool = ToolContext()
        let head = try await ApiTokens(database: tool.database).create(login: "truongban", label: "bench", lifetimeDays: 1)
        FileHandle.standardError.write(Data("preparing \(items) items pending approval…\n".utf8))
        let ids = try await ApprovalBench.preparePending(count: items, database: tool.database)
        var approval = ApprovalBench()
        approval.approvalURL = approvalURL
        approval.concurrency = approvers
        let approved = try await approval.measure(ids: ids, token: head)
        FileHandle.standardError.write(Data("approved \(approved.ok); waiting for the pages…\n".utf8))

        // Approval's decision and publishing's row, both stamped by the database clock.
        let list = "{" + ids.map { $0.uuidString.lowercased() }.joined(separator: ",") + "}"
        var latencies = [Double]()
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            latencies = try await tool.database.withConnection { connection in
                try connection.query(
                    """
                    SELECT extract(epoch FROM p.updated_at - d.created_at) AS seconds
                    FROM publishing.articles p JOIN editorial.decisions d ON d.article_id = p.id AND d.action = 'approve'
                    WHERE p.id = ANY($1::uuid[])
                    """, [list]
                ).rows.map { try $0.decode("seconds", as: Double.self) }
            }
            if latencies.count >= approved.ok { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        let toPage = Samples(latencies: latencies, failed: approved.ok - latencies.count)
        print(String(format: "approval to page: %d of %d published; p50 %.1f ms, p99 %.1f ms",
                     latencies.count, approved.ok, toPage.percentile(0.5) * 1000, toPage.percentile(0.99) * 1000))

        guard let endpoint = URLComponents(string: publishingURL), let host = endpoint.host else { throw ValidationError("--publishing-url") }
        let path = "/bai-viet/\(ids[0].uuidString.lowercased()).html"
        let end = ContinuousClock.now + .seconds(seconds)
        let started = ContinuousClock.now
        let pages = try await LoadRun.run(host: host, port: endpoint.port ?? 80, concurrency: concurrency, success: 200) {
            ContinuousClock.now < end ? BenchRequest(method: .GET, path: path, body: [], headers: [("Host", "longan.gov.vn")]) : nil
        }
        let elapsed = (ContinuousClock.now - started).seconds
        print(String(format: "article page: %.0f requests/s at concurrency %d (p50 %.2f ms, p99 %.2f ms, %d failed)",
                     Double(pages.latencies.count) / elapsed, concurrency, pages.percentile(0.5) * 1000, pages.percentile(0.99) * 1000, pages.failed))
        await tool.database.close()
    }
}
