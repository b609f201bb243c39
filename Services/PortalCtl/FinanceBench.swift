import ArgumentParser
import Foundation
import MessageBus
import Models
import ServiceKit
import Store

/// `portalctl bench finance`: a month of published items with one to three authors each, sent to
/// the running finance service as publishing sends them; the ledger's posting rate, then the time
/// (and, with `--finance-pid`, the service's peak memory) to produce that month's XLSX. Run it on a
/// scratch database: the ledger is append-only and keeps what the bench posts.
struct FinanceBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finance", abstract: "Ledger posting rate from events; time and memory for a month's XLSX.")

    @Option(help: "The running finance service.")
    var financeURL = "http://127.0.0.1:8085"

    @Option(help: "Published items in the month.")
    var items = 50_000

    @Option(help: "The month the items are published in (a past month of its own).")
    var month = "2025-03"

    @Option(help: "The finance process, to read its peak memory (VmHWM).")
    var financePid: Int32?

    func run() async throws {
        guard let chosen = YearMonth(month) else { throw ValidationError("--month is YYYY-MM") }
        let tool = ToolContext()
        let approver = try await tool.database.withConnection {
            try $0.query("SELECT id FROM core.users WHERE login = 'gd.tuphap'").one().decode("id", as: UUID.self)
        }
        let link = BrokerLink(name: "bench-finance", configuration: try tool.configuration.broker, topology: tool.configuration.topology, logger: tool.logger)
        let before = try await ledgerRows(tool)
        var expected = 0
        var random = SystemRandomNumberGenerator()
        FileHandle.standardError.write(Data("sending \(items) approvals and publications for \(chosen)…\n".utf8))
        let started = ContinuousClock.now
        var batch = [OutgoingMessage]()
        for index in 0..<items {
            let id = UUID()
            let authors = (0..<Int.random(in: 1...3, using: &random)).map { AuthorShare(name: "Tác giả \(index % 500)-\($0)") }
            expected += authors.count + 1
            let day = chosen.firstDay.adding(days: index % 28)
            let content = CanonicalRevision(
                articleId: id, revision: 1, unitCode: "trungtamhcc", kind: "news", language: "vi", title: "Tin đo hiệu năng \(index)",
                summary: nil, bodyHTML: "", attachments: [],
                classification: Classification(genre: "news", coefficientHundredths: 500 + index % 500, authors: authors), details: .object([:]))
            let approval = ArticleApproved(
                articleId: id, submissionId: nil, content: content, contentSHA256: "", signature: "", keyId: "",
                approverId: approver, rule: .boardMemberLeadingUnit, delegationId: nil)
            batch.append(Self.toFinanceOnly(try OutgoingMessage(event: try EventEnvelope(approval, correlationId: "bench", producer: "approval"))))
            var status = ArticleStatusPayload(articleId: id, submissionId: nil, state: .published)
            status.publishedAt = PortalCalendar.gregorian.date(from: DateComponents(year: day.year, month: day.month, day: day.day, hour: 10))
            batch.append(Self.toFinanceOnly(try OutgoingMessage(event: EventEnvelope(
                type: EventType.articlePublished, correlationId: "bench", producer: "publishing",
                encoding: status))))
            if batch.count >= 1_000 {
                try await link.publish(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        try await link.publish(batch)
        await link.close()
        let sent = (ContinuousClock.now - started).seconds
        var posted = 0
        let deadline = ContinuousClock.now + .seconds(600)
        while ContinuousClock.now < deadline {
            posted = try await ledgerRows(tool) - before
            if posted >= expected { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        let seconds = (ContinuousClock.now - started).seconds
        print(String(format: "ledger: %d events (%d publications) posted %d entries in %.1f s = %.0f events/s (sending them took %.1f s)",
                     items * 2, items, posted, seconds, Double(items * 2) / seconds, sent))
        // The consumer's own rate: from its first row to its last, the queue never empty in between
        // once the sender is ahead (each row carries its transaction's time).
        let span = try await tool.database.withConnection {
            try $0.query(
                "SELECT extract(epoch FROM max(posted_at) - min(posted_at))::float8 AS span FROM finance.ledger WHERE month = $1 AND kind = 'royalty'",
                [month]
            ).one().decode("span", as: Double.self)
        }
        print(String(format: "ledger posting, first row to last: %.1f s = %.0f events/s", span, Double(items * 2) / max(span, 0.001)))

        guard let endpoint = URLComponents(string: financeURL), let host = endpoint.host else { throw ValidationError("--finance-url") }
        let token = try await ApiTokens(database: tool.database).create(login: "ketoan.mai", label: "bench", lifetimeDays: 1)
        let headers = [("Authorization", "Bearer \(token)"), ("Host", host)]
        try await HTTPBenchClient.withConnection(host: host, port: endpoint.port ?? 80) { client in
            _ = try await client.send(.POST, "/api/v1/royalties/\(chosen)/generate", body: [], headers: headers)
            let memoryBefore = financePid.flatMap(Self.peakMemoryMB)
            let xlsxStarted = ContinuousClock.now
            let status = try await client.send(.GET, "/api/v1/royalties/\(chosen)?format=xlsx", body: [], headers: headers)
            let xlsxSeconds = (ContinuousClock.now - xlsxStarted).seconds
            let memory = financePid.flatMap(Self.peakMemoryMB)
            print(String(format: "xlsx of %@: HTTP %d in %.2f s; finance peak memory %@", chosen.description, status, xlsxSeconds,
                         memory.map { "\($0) MB (before the export: \(memoryBefore ?? 0) MB)" } ?? "not read (no --finance-pid)"))
        }
        await tool.database.close()
    }

    /// Straight to finance's queue (the default exchange routes by queue name): the bench's unsigned
    /// approvals must not reach publishing, which would refuse and dead-letter every one.
    static func toFinanceOnly(_ message: OutgoingMessage) -> OutgoingMessage {
        var direct = message
        direct.exchange = ""
        direct.routingKey = PortalService.finance.queueName
        return direct
    }

    func ledgerRows(_ tool: ToolContext) async throws -> Int {
        try await tool.database.withConnection {
            try $0.query("SELECT count(*) AS n FROM finance.ledger WHERE month = $1", [month]).one().decode("n", as: Int.self)
        }
    }

    /// VmHWM of a process, in MB.
    static func peakMemoryMB(_ pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return nil }
        return kilobytes / 1024
    }
}
