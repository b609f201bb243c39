import ArgumentParser
import Foundation
import Models
import ServiceKit
import Store

/// `portalctl bench all`: the performance targets of the running system, one after another,
/// against the services as `deploy/run` starts them, then one table of figure against target.
/// Each step is this tool's own benchmark, run as a child process whose report is read back;
/// the database's own rate of one-row commits (pgbench, when installed) is taken in the same
/// run, so that figures from different days can be compared as ratios.
struct BenchAllCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "all", abstract: "Every benchmark with a target, in sequence, and a table of figures against targets.")

    @Option(help: "The running intake service.")
    var intakeURL = "http://127.0.0.1:8081"

    @Option(help: "The running approval service.")
    var approvalURL = "http://127.0.0.1:8082"

    @Option(help: "The running publishing service.")
    var publishingURL = "http://127.0.0.1:8083"

    @Option(help: "The running feedback service.")
    var feedbackURL = "http://127.0.0.1:8084"

    @Option(help: "Published items the archive holds for the pre-screen's measure (topped up once, kept).")
    var published = 100_000

    @Option(help: "Seconds of each load at a fixed duration.")
    var seconds = 10

    struct Figure {
        var work: String
        var measured: String
        var target: String
        var met: Bool?
    }

    func run() async throws {
        let tool = ToolContext()
        try await tool.run { tool in try await measure(database: tool.database) }
    }

    func measure(database: DatabasePool) async throws {
        var figures = [Figure]()
        let started = Date()

        let commits = try pgbenchCommits()
        if let commits {
            figures.append(Figure(work: "PostgreSQL one-row commits/s, 64 clients (pgbench)", measured: String(format: "%.0f/s", commits),
                                  target: "reference for the ratios", met: nil))
        }

        step(1, "intake, concurrency 64, small JSON")
        let loadStarted: String = try await database.withConnection { try $0.query("SELECT now()::text AS n").one().decode("n") }
        let intake = try child(["bench", "intake", "--url", intakeURL, "--concurrency", "64", "--seconds", "\(seconds)", "--attachment-requests", "0"])
        if let row = intake.first(where: { $0.hasPrefix("| small JSON | 64 |") }) {
            let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            let durable = Double(cells[3]) ?? 0, p99 = Double(cells[5]) ?? 0
            let ratio = commits.map { String(format: " (%.0f%% of pgbench)", durable / $0 * 100) } ?? ""
            figures.append(Figure(work: "submissions accepted and durable/s, c64", measured: String(format: "%.0f/s%@, p99 %.0f ms", durable, ratio, p99),
                                  target: "≥ 1,500/s, p99 < 100 ms", met: durable >= 1_500 && p99 < 100))
        }
        // What the intake load left for approval to take in, and how long it took.
        let backlog = try await drain(since: loadStarted, database: database)
        figures.append(Figure(work: "submission.received behind at approval after the load; drained in",
                              measured: String(format: "%d behind, drained %.1f s later", backlog.behind, backlog.seconds),
                              target: "keeps up", met: backlog.behind == 0 || backlog.seconds < Double(seconds)))

        step(2, "approvals at concurrency 64 and submission to queue at 200/s, \(published) published items")
        let approval = try child([
            "bench", "approval", "--approval-url", approvalURL, "--intake-url", intakeURL, "--approvals", "3000", "--concurrency", "64",
            "--submissions", "2000", "--rate", "200", "--published", "\(published)",
        ])
        if let line = approval.first(where: { $0.hasPrefix("approvals:") }) {
            let rate = number(in: line, after: "= ", before: "/s"), p99 = number(in: line, after: "p99 ", before: " ms")
            figures.append(Figure(work: "signed approvals/s, c64", measured: String(format: "%.0f/s, p99 %.0f ms", rate, p99),
                                  target: "≥ 600/s", met: rate >= 600))
        }
        if let line = approval.first(where: { $0.hasPrefix("submission to queue:") }) {
            let p99 = number(in: line, after: "p99 ", before: " ms")
            figures.append(Figure(work: "submission → queue p99 at 200/s, \(published.formatted()) published",
                                  measured: String(format: "%.0f ms", p99), target: "< 1,000 ms", met: p99 < 1_000))
        }

        step(3, "a burst of 500 approvals to their pages; article page reads")
        let publishing = try child([
            "bench", "publishing", "--approval-url", approvalURL, "--publishing-url", publishingURL, "--items", "500", "--approvers", "64",
            "--concurrency", "64", "--seconds", "\(seconds)", "--rebuild-articles", "0",
        ])
        if let line = publishing.first(where: { $0.hasPrefix("approval to page:") }) {
            let p99 = number(in: line, after: "p99 ", before: " ms")
            figures.append(Figure(work: "approval → page, burst of 500, p99", measured: String(format: "%.0f ms", p99),
                                  target: "< 500 ms", met: p99 < 500))
        }
        if let line = publishing.first(where: { $0.hasPrefix("article page:") }) {
            let rate = number(in: line, after: "page: ", before: " requests"), p99 = number(in: line, after: "p99 ", before: " ms")
            figures.append(Figure(work: "article page reads/s, c64", measured: String(format: "%.0f/s, p99 %.1f ms", rate, p99),
                                  target: "—", met: nil))
        }

        step(4, "citizens' questions at concurrency 64")
        let feedback = try child(["bench", "feedback", "--url", feedbackURL, "--seconds", "\(seconds)"])
        if let row = feedback.first(where: { $0.hasPrefix("| 64 |") }) {
            let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            let rate = Double(cells[1]) ?? 0, p99 = Double(cells[3]) ?? 0
            figures.append(Figure(work: "questions accepted/s, c64 (routed in the same commit)", measured: String(format: "%.0f/s, p99 %.0f ms", rate, p99),
                                  target: "≥ 1,500/s", met: rate >= 1_500))
        }

        print("")
        print("portalctl bench all, \(Timestamp.format(started)), \(String(format: "%.0f", Date().timeIntervalSince(started))) s")
        print("")
        print("| work | measured | target | met |")
        print("|---|---|---|---|")
        for figure in figures {
            print("| \(figure.work) | \(figure.measured) | \(figure.target) | \(figure.met.map { $0 ? "yes" : "no" } ?? "") |")
        }
    }

    func step(_ number: Int, _ title: String) {
        FileHandle.standardError.write(Data("\n[\(number)/4] \(title)\n".utf8))
    }

    /// Runs this tool with `arguments`; its progress goes to the terminal, its report is returned by line.
    func child(_ arguments: [String]) throws -> [String] {
        let path = URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).standardizedFileURL.path
        let (status, text) = try output(of: path, arguments, showingProgress: true)
        FileHandle.standardError.write(Data(text.utf8))
        guard status == 0 else {
            throw ValidationError("portalctl \(arguments.prefix(2).joined(separator: " ")) failed (exit \(status))")
        }
        return text.split(separator: "\n").map(String.init)
    }

    /// The exit status and standard output of `path` run with `arguments`; its standard error goes
    /// to the terminal when `showingProgress`, nowhere otherwise.
    func output(of path: String, _ arguments: [String], showingProgress: Bool) throws -> (status: Int32, text: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        if !showingProgress { process.standardError = FileHandle.nullDevice }
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// The number between `after` and the next `before` in `line`; commas of thousands allowed.
    func number(in line: String, after: String, before: String) -> Double {
        guard let start = line.range(of: after) else { return 0 }
        let rest = line[start.upperBound...]
        let end = rest.range(of: before)?.lowerBound ?? rest.endIndex
        return Double(rest[..<end].replacingOccurrences(of: ",", with: "").trimmingCharacters(in: .whitespaces)) ?? 0
    }

    /// Submissions received since `start` (the database's clock) that approval has not taken in
    /// yet, right after the load, and the seconds until none is left (at most two minutes).
    func drain(since start: String, database: DatabasePool) async throws -> (behind: Int, seconds: Double) {
        @Sendable func left() async throws -> Int {
            try await database.withConnection { connection in
                try connection.query(
                    """
                    SELECT count(*)::int AS n FROM intake.submissions s
                    WHERE s.received_at >= $1::timestamptz AND NOT EXISTS (SELECT 1 FROM editorial.articles a WHERE a.id = s.id)
                    """, [start]
                ).one().decode("n")
            }
        }
        let started = Date()
        let behind = try await left()
        var remaining = behind
        while remaining > 0, Date().timeIntervalSince(started) < 120 {
            try await Task.sleep(for: .milliseconds(250))
            remaining = try await left()
        }
        return (behind, remaining == 0 ? Date().timeIntervalSince(started) : .infinity)
    }

    /// One-row commits per second of the same PostgreSQL with 64 clients, in a scratch database;
    /// nil when pgbench is not installed.
    func pgbenchCommits() throws -> Double? {
        guard let pgbench = ["/usr/bin/pgbench", "/usr/lib/postgresql/15/bin/pgbench"].first(where: FileManager.default.isExecutableFile(atPath:)),
              let psql = ["/usr/bin/psql", "/usr/lib/postgresql/15/bin/psql"].first(where: FileManager.default.isExecutableFile(atPath:))
        else { return nil }
        step(0, "PostgreSQL's own one-row commits with 64 clients (pgbench, 400 each)")
        let portal = ServiceConfiguration(service: .intake).database.conninfo
        guard let slash = portal.range(of: "/", options: .backwards) else { return nil }
        let scratch = portal[..<slash.upperBound] + "portal_pgbench"
        let postgres = portal[..<slash.upperBound] + "postgres"
        func run(_ path: String, _ arguments: [String]) throws -> String {
            try output(of: path, arguments, showingProgress: false).text
        }
        _ = try run(psql, ["-q", String(postgres), "-c", "DROP DATABASE IF EXISTS portal_pgbench", "-c", "CREATE DATABASE portal_pgbench"])
        _ = try run(psql, ["-q", String(scratch), "-c", "CREATE TABLE t (id bigserial PRIMARY KEY, v text)"])
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("portal-pgbench-\(UUID().uuidString).sql")
        try Data("INSERT INTO t (v) VALUES ('x');\n".utf8).write(to: script)
        defer { try? FileManager.default.removeItem(at: script) }
        // A count of transactions, not -T: pgbench ends a timed run on SIGALRM, which a child
        // started from here does not receive.
        let report = try run(pgbench, ["-n", "-c", "64", "-j", "2", "-t", "400", "-f", script.path, String(scratch)])
        _ = try run(psql, ["-q", String(postgres), "-c", "DROP DATABASE IF EXISTS portal_pgbench"])
        guard let line = report.split(separator: "\n").first(where: { $0.hasPrefix("tps = ") }) else { return nil }
        return number(in: String(line), after: "tps = ", before: " ")
    }
}
