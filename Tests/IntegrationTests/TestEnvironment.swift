import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import MessageBus
import Store
import Testing

/// The servers `deploy/test` started, found through the same variables the services read.
/// When they cannot be reached the test fails with the way to start them: it never skips.
struct TestEnvironment {
    let databaseURL: String
    let amqpURL: String
    let broker: BrokerConfiguration
    let binDirectory: String?
    let infraControl: String?
    let logger: Logger

    static let startHint = "Start the servers with `deploy/infra start` and export `eval \"$(deploy/infra env)\"`, or run everything with deploy/test."

    init(databaseURL: String? = nil, amqpURL: String? = nil) throws {
        let environment = ProcessInfo.processInfo.environment
        self.databaseURL = databaseURL ?? environment["PORTAL_DATABASE_URL"] ?? "postgresql://postgres@127.0.0.1:55432/portal"
        self.amqpURL = amqpURL ?? environment["PORTAL_AMQP_URL"] ?? "amqp://guest:guest@127.0.0.1:35672/"
        guard let broker = BrokerConfiguration(url: self.amqpURL) else {
            throw SetupError("PORTAL_AMQP_URL is not an amqp:// URL: \(self.amqpURL)")
        }
        self.broker = broker
        binDirectory = environment["PORTAL_BIN_DIR"]
        infraControl = environment["PORTAL_INFRA_CTL"]
        var logger = Logger(label: "portal.tests")
        logger.logLevel = .warning
        self.logger = logger
    }

    /// A pool on the test database, checked to answer.
    func database(maxConnections: Int = 4) async throws -> DatabasePool {
        let pool = DatabasePool(configuration: .init(conninfo: databaseURL, maxConnections: maxConnections), logger: logger)
        do {
            try await pool.ping()
        } catch {
            await pool.close()
            throw SetupError("PostgreSQL is unreachable at \(databaseURL): \(error). \(Self.startHint)")
        }
        return pool
    }

    /// A broker link for `topology`, checked to connect.
    func link(_ name: String, topology: Topology) async throws -> BrokerLink {
        let link = BrokerLink(name: name, configuration: broker, topology: topology, logger: logger)
        do {
            try await link.ping()
        } catch {
            await link.close()
            throw SetupError("RabbitMQ is unreachable at \(amqpURL): \(error). \(Self.startHint)")
        }
        return link
    }

    /// The path of a built executable (`PORTAL_BIN_DIR`, else `.build/debug`).
    func executable(_ name: String) throws -> String {
        let directory = binDirectory ?? ".build/debug"
        let path = (directory as NSString).appendingPathComponent(name)
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw SetupError("\(path) is not built: run `swift build` (deploy/test sets PORTAL_BIN_DIR)")
        }
        return path
    }

    /// Runs `deploy/infra <command>` on the test instance (stop-broker, start-db, …).
    func infra(_ command: String) throws {
        guard let control = infraControl else {
            throw SetupError("PORTAL_INFRA_CTL is not set: this test restarts servers and runs under deploy/test")
        }
        let result = try run(control, [command])
        guard result.status == 0 else { throw SetupError("\(control) \(command) failed: \(result.output)") }
    }

    /// Runs a command to completion; returns its exit status and combined output.
    ///
    /// posix_spawn and waitpid rather than Foundation's Process, whose waitUntilExit was
    /// seen to hang after a command that starts a daemon (the broker) had exited. Output
    /// goes to a file, not a pipe, which such a daemon would keep open for ever.
    @discardableResult
    func run(_ path: String, _ arguments: [String], environment extra: [String: String] = [:]) throws -> (status: Int32, output: String) {
        let outputPath = NSTemporaryDirectory() + "portal-run-\(UUID().uuidString).log"
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let environment = ProcessInfo.processInfo.environment.merging(extra) { _, new in new }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, path, &actions, nil, argv, envp)
        guard spawned == 0 else { throw SetupError("cannot start \(path): error \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (exitStatus, (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "")
    }
}

struct SetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A unique suffix so that tests never share queues or rows.
func uniqueName(_ prefix: String) -> String {
    "\(prefix).\(UUID().uuidString.prefix(8).lowercased())"
}

/// Polls `condition` until it holds or `seconds` pass.
func eventually(
    _ what: String, within seconds: Double = 30, every interval: Duration = .milliseconds(100),
    _ condition: () async throws -> Bool
) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try await condition() { return }
        try await Task.sleep(for: interval)
    }
    throw SetupError("timed out after \(seconds) s waiting for: \(what)")
}

/// A plain HTTP GET through curl (Foundation's client on Linux refuses IPv6 literals):
/// status and body; nil status when nothing answers.
func httpGet(_ url: String) async -> (status: Int?, body: String) {
    let response = httpRequest("GET", url)
    return (response.status, response.body)
}

/// Any HTTP request through curl; the response headers come back lower-cased.
func httpRequest(
    _ method: String, _ url: String, headers: [String: String] = [:], body: String? = nil
) -> (status: Int?, body: String, headers: [String: String]) {
    httpRequest(method, url, headers: headers, bytes: body.map { Data($0.utf8) })
}

/// The same with a body of any bytes (a form with a picture in it).
func httpRequest(
    _ method: String, _ url: String, headers: [String: String] = [:], bytes body: Data?
) -> (status: Int?, body: String, headers: [String: String]) {
    let scratch = NSTemporaryDirectory() + "portal-http-\(UUID().uuidString)"
    defer { ["", ".body", ".headers", ".code"].forEach { try? FileManager.default.removeItem(atPath: scratch + $0) } }
    // `-X HEAD` would wait for a body that never comes; `-I` is curl's HEAD.
    var arguments = ["-s", "-g", "--max-time", "10"] + (method == "HEAD" ? ["-I"] : ["-X", method])
        + ["-o", scratch + ".body", "-D", scratch + ".headers", "-w", "%{http_code}", url]
    for (name, value) in headers { arguments += ["-H", "\(name): \(value)"] }
    if let body {
        _ = FileManager.default.createFile(atPath: scratch, contents: body)
        arguments += ["--data-binary", "@" + scratch]
    }
    // curl's output goes to a file, and curl is waited for with waitpid: a daemon started
    // meanwhile by another thread (the broker, in a drill) inherits whatever pipe is open at
    // that moment, and a read of such a pipe would never end.
    guard spawnAndWait("/usr/bin/curl", arguments, output: scratch + ".code") != nil else { return (nil, "curl did not start", [:]) }
    // "000" when nothing answered.
    let code = (try? String(contentsOfFile: scratch + ".code", encoding: .utf8)) ?? ""
    let responseBody = (try? String(contentsOfFile: scratch + ".body", encoding: .utf8)) ?? ""
    var responseHeaders = [String: String]()
    for line in ((try? String(contentsOfFile: scratch + ".headers", encoding: .utf8)) ?? "").split(separator: "\r\n") {
        guard let colon = line.firstIndex(of: ":") else { continue }
        responseHeaders[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    guard let status = Int(code), status > 0 else { return (nil, responseBody, responseHeaders) }
    return (status, responseBody, responseHeaders)
}

/// Several POSTs at once through one curl (`--parallel`): each request's status and body, in the
/// order given; nil status when nothing answered.
func httpPostsAtOnce(_ url: String, bodies: [String], headers: [Int: [String: String]]) -> [(status: Int?, body: String)] {
    let scratch = NSTemporaryDirectory() + "portal-http-\(UUID().uuidString)"
    defer { try? FileManager.default.removeItem(atPath: scratch) }
    try? FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    var arguments = ["-s", "-g", "--parallel", "--parallel-immediate", "--parallel-max", "\(max(1, bodies.count))"]
    for (index, body) in bodies.enumerated() {
        _ = FileManager.default.createFile(atPath: "\(scratch)/\(index).request", contents: Data(body.utf8))
        if index > 0 { arguments.append("--next") }
        arguments += ["--max-time", "30", "-X", "POST", "--data-binary", "@\(scratch)/\(index).request", "-o", "\(scratch)/\(index).body",
                      "-w", "%{http_code} %{filename_effective}\\n"]
        for (name, value) in headers[index] ?? [:] { arguments += ["-H", "\(name): \(value)"] }
        arguments.append(url)
    }
    guard spawnAndWait("/usr/bin/curl", arguments, output: "\(scratch)/codes") != nil else {
        return bodies.map { _ in (nil, "curl did not start") }
    }
    // One line a transfer, in the order they ended: "<status> <its body's file>".
    var statuses = [String: Int]()
    for line in ((try? String(contentsOfFile: "\(scratch)/codes", encoding: .utf8)) ?? "").split(separator: "\n") {
        let parts = line.split(separator: " ", maxSplits: 1)
        if parts.count == 2, let status = Int(parts[0]), status > 0 { statuses[String(parts[1])] = status }
    }
    return bodies.indices.map { index in
        let file = "\(scratch)/\(index).body"
        return (statuses[file], (try? String(contentsOfFile: file, encoding: .utf8)) ?? "")
    }
}

/// Runs a program with its standard output in `output` (standard input and error: /dev/null)
/// and waits for it; its exit status, or nil when it could not start.
func spawnAndWait(_ path: String, _ arguments: [String], output: String) -> Int32? {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    let argv = ([path] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid = pid_t()
    guard posix_spawn(&pid, path, &actions, nil, argv, environ) == 0 else { return nil }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
}

/// The schema the integration tests own: an outbox, an inbox and a table of effects.
enum TestSchema {
    static let name = "it"

    static func prepare(_ pool: DatabasePool, logger: Logger) async throws {
        try await Migrator.apply(
            [(name, [Migration(1, "integration test tables", """
                CREATE SCHEMA IF NOT EXISTS it;
                \(Outbox.migration(schema: name))
                \(Inbox.migration(schema: name))
                CREATE TABLE it.effects (message_id uuid NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp());
                """)])],
            on: pool, logger: logger)
    }

    /// How many times the effect of each message was applied.
    static func effectCounts(_ pool: DatabasePool, ids: [UUID]) async throws -> [UUID: Int] {
        let list = "{" + ids.map { $0.uuidString.lowercased() }.joined(separator: ",") + "}"
        return try await pool.withConnection { connection in
            var counts = [UUID: Int]()
            for row in try connection.query(
                "SELECT message_id, count(*) AS n FROM it.effects WHERE message_id = ANY($1::uuid[]) GROUP BY message_id", [list]
            ).rows {
                counts[try row.decode("message_id")] = try row.decode("n")
            }
            return counts
        }
    }
}
