import ArgumentParser
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceKit
import Store

/// `portalctl bench intake`: submissions per second that the running intake accepts durably,
/// with latency, at several concurrencies, for small bodies and with a 200 KB attachment.
///
/// A 202 means the submission and its event are committed; the figure "durable" also waits until
/// the outbox relay has had every event confirmed by the broker.
struct IntakeBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "intake", abstract: "Submissions per second through the intake API, p50/p99 latency, intake memory.")

    @Option(help: "The running intake service.")
    var url = "http://127.0.0.1:8081"

    @Option(help: "Concurrencies to measure, comma-separated.")
    var concurrency = "1,16,64"

    @Option(help: "Seconds per small-body run.")
    var seconds = 10

    @Option(help: "Requests per run with a 200 KB attachment (each stores its raw body).")
    var attachmentRequests = 400

    @Option(help: "The submitting user (a collaborator of a unit).")
    var user = "ctv.tuphap"

    @Option(help: "The intake process id for memory figures; found by name when omitted.")
    var pid: Int32?

    struct Result {
        var label: String
        var concurrency: Int
        var accepted: Int
        var failed: Int
        var seconds: Double
        var durableSeconds: Double
        var samples: Samples

        func percentile(_ p: Double) -> Double { samples.percentile(p) }
    }

    func run() async throws {
        guard let endpoint = URLComponents(string: url), let host = endpoint.host else { throw ValidationError("--url must be http://host:port") }
        let port = endpoint.port ?? 80
        let levels = concurrency.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let tool = ToolContext()
        let token = try await ApiTokens(database: tool.database).create(login: user, label: "bench", lifetimeDays: 1)
        let intakePid = pid ?? ProcessMemory.find(named: "intake")
        var results = [Result]()
        let photo = [UInt8](repeating: 0, count: 200 * 1024).enumerated().map { UInt8(truncatingIfNeeded: $0.offset &* 31) }
        let pdf = Array("%PDF-1.4\n".utf8) + photo
        for (label, attachment) in [("small JSON", nil as [UInt8]?), ("200 KB attachment", pdf)] {
            for level in levels {
                FileHandle.standardError.write(Data("\(label), concurrency \(level)…\n".utf8))
                let result = try await measure(
                    label: label, concurrency: level, host: host, port: port, token: token, attachment: attachment,
                    limit: attachment == nil ? .seconds(seconds) : .requests(attachmentRequests), database: tool.database)
                results.append(result)
            }
        }
        await tool.database.close()
        print("| body | concurrency | accepted/s | durable/s | p50 ms | p99 ms | failed |")
        print("|---|---|---|---|---|---|---|")
        for r in results {
            print(String(format: "| %@ | %d | %.0f | %.0f | %.1f | %.1f | %d |", r.label, r.concurrency, Double(r.accepted) / r.seconds,
                         Double(r.accepted) / r.durableSeconds, r.percentile(0.5) * 1000, r.percentile(0.99) * 1000, r.failed))
        }
        if let intakePid, let memory = ProcessMemory.read(pid: intakePid) {
            print(String(format: "intake memory: %.0f MB resident now, %.0f MB at peak (pid %d)", memory.resident, memory.peak, intakePid))
        }
    }

    enum Limit {
        case seconds(Int)
        case requests(Int)
    }

    func measure(
        label: String, concurrency: Int, host: String, port: Int, token: String, attachment: [UInt8]?, limit: Limit, database: DatabasePool
    ) async throws -> Result {
        let started = ContinuousClock.now
        let deadline: ContinuousClock.Instant? = if case .seconds(let s) = limit { started + .seconds(s) } else { nil }
        let counter = Counter(limit: { if case .requests(let n) = limit { n } else { Int.max } }())
        let run = UUID().uuidString.prefix(8)
        let headers = [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json"), ("Host", "\(host):\(port)")]
        let samples = try await LoadRun.run(host: host, port: port, concurrency: concurrency, success: 202) {
            guard deadline.map({ ContinuousClock.now < $0 }) ?? true, let index = counter.next() else { return nil }
            return BenchRequest(
                path: "/api/v1/submissions", body: Self.submission(title: "Bench \(run) \(index): Hội nghị tổng kết", attachment: attachment),
                headers: headers)
        }
        let accepted = ContinuousClock.now - started
        // Durable: every event of the run confirmed by the broker (the relay marks it published).
        while try await database.withConnection({
            try $0.query("SELECT count(*) AS n FROM intake.outbox WHERE published_at IS NULL").one().decode("n", as: Int.self)
        }) > 0 {
            try await Task.sleep(for: .milliseconds(5))
        }
        let durable = ContinuousClock.now - started
        return Result(
            label: label, concurrency: concurrency, accepted: samples.latencies.count, failed: samples.failed, seconds: accepted.seconds,
            durableSeconds: durable.seconds, samples: samples)
    }

    static func submission(title: String, attachment: [UInt8]?) -> [UInt8] {
        var json = """
            {"title": "\(title)", "body": "Sáng ngày 28/11, **Sở Tư pháp** tổ chức hội nghị.", "bodyFormat": "markdown",
             "kind": "news", "language": "vi", "authors": [{"name": "Nguyễn Văn An"}], "targetSites": ["longan.gov.vn"]
            """
        if let attachment {
            json += #", "attachments": [{"filename": "ke-hoach.pdf", "contentType": "application/pdf", "dataBase64": ""#
                + Data(attachment).base64EncodedString() + #""}]"#
        }
        return Array((json + "}").utf8)
    }
}

/// Hands out 0, 1, 2, … up to a limit to concurrent workers.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var issued = 0
    private let limit: Int

    init(limit: Int) { self.limit = limit }

    func next() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard issued < limit else { return nil }
        issued += 1
        return issued - 1
    }
}

/// One request of a load run.
struct BenchRequest: Sendable {
    var method: HTTPMethod = .POST
    var path: String
    var body: [UInt8]
    var headers: [(String, String)]
}

/// Latencies of the requests that succeeded, and how many did not.
struct Samples: Sendable {
    var latencies: [Double]
    var failed: Int

    func percentile(_ p: Double) -> Double {
        let sorted = latencies.sorted()
        return sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
    }
}

/// `concurrency` keep-alive connections, each sending what `next` gives until it gives nothing,
/// timing every request.
enum LoadRun {
    static func run(
        host: String, port: Int, concurrency: Int, success: Int, next: @escaping @Sendable () -> BenchRequest?
    ) async throws -> Samples {
        try await withThrowingTaskGroup(of: Samples.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    try await HTTPBenchClient.withConnection(host: host, port: port) { client in
                        var samples = Samples(latencies: [], failed: 0)
                        while let request = next() {
                            let sent = ContinuousClock.now
                            let status = try await client.send(request.method, request.path, body: request.body, headers: request.headers)
                            if status == success {
                                samples.latencies.append((ContinuousClock.now - sent).seconds)
                            } else {
                                samples.failed += 1
                            }
                        }
                        return samples
                    }
                }
            }
            var all = Samples(latencies: [], failed: 0)
            for try await samples in group {
                all.latencies += samples.latencies
                all.failed += samples.failed
            }
            return all
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// Keep-alive HTTP/1.1 connections that send a request and wait for its response.
enum HTTPBenchClient {
    static func withConnection<Result: Sendable>(
        host: String, port: Int, _ body: (Session) async throws -> Result
    ) async throws -> Result {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await body(Session(responses: inbound.makeAsyncIterator(), outbound: outbound))
        }
    }

    /// One connection, used by one task.
    final class Session {
        private var responses: NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator
        private let outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>

        init(responses: NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator, outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>) {
            self.responses = responses
            self.outbound = outbound
        }

        /// Sends a POST and returns the response status.
        func post(_ path: String, body: [UInt8], headers: [(String, String)]) async throws -> Int {
            try await send(.POST, path, body: body, headers: headers)
        }

        /// Sends a request (a body only when there is one) and returns the response status.
        func send(_ method: HTTPMethod, _ path: String, body: [UInt8], headers: [(String, String)]) async throws -> Int {
            try await exchange(method, path, body: body, headers: headers, keepBody: false).status
        }

        /// Sends a request and returns the response status and, when `keepBody`, its body.
        func exchange(
            _ method: HTTPMethod, _ path: String, body: [UInt8], headers: [(String, String)], keepBody: Bool = true
        ) async throws -> (status: Int, body: [UInt8]) {
            var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
            for (name, value) in headers { head.headers.add(name: name, value: value) }
            if method == .GET {
                try await outbound.write(contentsOf: [.head(head), .end(nil)])
            } else {
                head.headers.add(name: "Content-Length", value: String(body.count))
                try await outbound.write(contentsOf: [.head(head), .body(.byteBuffer(ByteBuffer(bytes: body))), .end(nil)])
            }
            var status = 0
            var received = [UInt8]()
            while let part = try await responses.next() {
                switch part {
                case .head(let response): status = Int(response.status.code)
                case .body(let chunk): if keepBody { received += chunk.readableBytesView }
                case .end: return (status, received)
                }
            }
            throw ValidationError("the connection closed before the response ended")
        }
    }
}

/// Resident memory of a process, from /proc.
enum ProcessMemory {
    static func find(named name: String) -> Int32? {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).first { pid in
            (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) == name
        }
    }

    /// Megabytes: VmRSS and VmHWM.
    static func read(pid: Int32) -> (resident: Double, peak: Double)? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        func value(_ key: String) -> Double? {
            status.split(separator: "\n").first { $0.hasPrefix(key) }
                .flatMap { $0.split(separator: " ").dropFirst().first.flatMap { Double($0) } }.map { $0 / 1024 }
        }
        guard let resident = value("VmRSS:"), let peak = value("VmHWM:") else { return nil }
        return (resident, peak)
    }
}
