import ArgumentParser
import Foundation
import NIOCore
import ServiceKit
import Store

/// `portalctl bench feedback`: questions per second that the running feedback service accepts
/// (each a 202 after its question, sealed personal data, history, event and email are committed),
/// and the time from a question's receipt to its routing to the unit in charge of the field the
/// citizen gave (the service consumes its own `question.received`).
///
/// Each request comes from its own citizen: its own email, and its own address in
/// `X-Forwarded-For` (trusted from a loopback peer, as nginx sends it), so that the limits per
/// address and per contact, which hold for real citizens, do not cut the run short.
struct FeedbackBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feedback", abstract: "Questions accepted per second through the feedback API, and receipt to routing p50/p99.")

    @Option(help: "The running feedback service.")
    var url = "http://127.0.0.1:8084"

    @Option(help: "Concurrent connections.")
    var concurrency = 64

    @Option(help: "Seconds of load.")
    var seconds = 10

    @Option(help: "Seconds to wait for the last questions to be routed.")
    var drainSeconds = 60

    func run() async throws {
        guard let endpoint = URLComponents(string: url), let host = endpoint.host else { throw ValidationError("--url must be http://host:port") }
        let port = endpoint.port ?? 80
        let tool = ToolContext()
        let run = String(UUID().uuidString.prefix(8))
        let counter = Counter(limit: Int.max)
        let started = ContinuousClock.now
        let deadline = started + .seconds(seconds)
        FileHandle.standardError.write(Data("questions at concurrency \(concurrency) for \(seconds) s…\n".utf8))
        let samples = try await LoadRun.run(host: host, port: port, concurrency: concurrency, success: 202) {
            guard ContinuousClock.now < deadline, let index = counter.next() else { return nil }
            let address = "10.\(index / 65_536 % 256).\(index / 256 % 256).\(index % 256)"
            let body = #"{"name": "Người hỏi \#(index)", "email": "bench-\#(run)-\#(index)@example.vn", "title": "Bench \#(run) \#(index): đăng ký khai sinh", "body": "Xin hỏi thủ tục đăng ký khai sinh cho con.", "field": "justice_civil_status", "consent": true}"#
            return BenchRequest(path: "/api/v1/questions", body: Array(body.utf8),
                                headers: [("Content-Type", "application/json"), ("Host", "longan.gov.vn"), ("X-Forwarded-For", address)])
        }
        let elapsed = (ContinuousClock.now - started).seconds
        let accepted = samples.latencies.count
        // Receipt to routing, from the questions' own timestamps, once all of the run are routed.
        let pattern = "Bench \(run) %"
        let waitUntil = ContinuousClock.now + .seconds(drainSeconds)
        var routed = 0
        repeat {
            routed = try await tool.database.withConnection {
                try $0.query("SELECT count(*)::int AS n FROM feedback.questions WHERE title LIKE $1 AND state = 'routed'", [pattern]).one().decode("n")
            }
            if routed >= accepted { break }
            try await Task.sleep(for: .milliseconds(200))
        } while ContinuousClock.now < waitUntil
        let drained = (ContinuousClock.now - started).seconds
        let routing = try await tool.database.withConnection { connection in
            try connection.query(
                """
                SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99
                FROM (SELECT extract(epoch FROM h.at - q.received_at) * 1000 AS ms
                      FROM feedback.questions q JOIN feedback.history h ON h.question_id = q.id AND h.action = 'routed'
                      WHERE q.title LIKE $1) t
                """, [pattern]).one()
        }
        await tool.database.close()
        print("| concurrency | accepted/s | p50 ms | p99 ms | failed | routed | received → routed p50 ms | p99 ms | all routed after s |")
        print("|---|---|---|---|---|---|---|---|---|")
        print(String(format: "| %d | %.0f | %.1f | %.1f | %d | %d | %.0f | %.0f | %.1f |", concurrency, Double(accepted) / elapsed,
                     samples.percentile(0.5) * 1000, samples.percentile(0.99) * 1000, samples.failed, routed,
                     (try? routing.decode("p50", as: Double.self)) ?? 0, (try? routing.decode("p99", as: Double.self)) ?? 0, drained))
    }
}
