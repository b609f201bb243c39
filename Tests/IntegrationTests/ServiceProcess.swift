import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One of the built services, run as a separate process the way an operator runs it.
final class ServiceProcess {
    let name: String
    let port: Int
    private let process = Process()
    let logPath: String

    /// Starts `name` on `port` with the test environment plus `environment`.
    init(_ name: String, port: Int, environment extra: [String: String] = [:], in env: TestEnvironment) throws {
        self.name = name
        self.port = port
        logPath = NSTemporaryDirectory() + "portal-\(name)-\(port)-\(UUID().uuidString.prefix(6)).log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: try env.executable(name))
        var environment = ProcessInfo.processInfo.environment
        environment["\(name.uppercased())_HTTP_PORT"] = String(port)
        if name == "intake" {
            // Mail listeners beside the HTTP port, so that several intakes never share one.
            environment["INTAKE_LMTP_PORT"] = String(port + 10_000)
            environment["INTAKE_SMTP_PORT"] = String(port + 11_000)
        }
        environment["PORTAL_LOG_LEVEL"] = environment["PORTAL_LOG_LEVEL"] ?? "info"
        environment.merge(extra) { _, new in new }
        process.environment = environment
        let log = FileHandle(forWritingAtPath: logPath)
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    /// Intake's LMTP and SMTP listeners.
    var lmtpPort: Int { port + 10_000 }
    var smtpPort: Int { port + 11_000 }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    func url(_ path: String, host: String = "127.0.0.1") -> String {
        "http://\(host.contains(":") ? "[\(host)]" : host):\(port)\(path)"
    }

    func waitUntilReady(within seconds: Double = 60) async throws {
        try await eventually("\(name) /readyz answers 200", within: seconds) {
            guard process.isRunning else { throw SetupError("\(name) exited: \(log)") }
            return await httpGet(url("/readyz")).status == 200
        }
    }

    /// SIGTERM, then waits; returns the exit status.
    @discardableResult
    func terminate(within seconds: Double = 20) async throws -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        kill(pid, SIGTERM)
        try await eventually("\(name) exits after SIGTERM", within: seconds) { !process.isRunning }
        return process.terminationStatus
    }

    /// SIGKILL: the crash nothing can clean up after.
    func crash() async throws {
        kill(pid, SIGKILL)
        try await eventually("\(name) dies", within: 10) { !process.isRunning }
    }

    var log: String {
        (try? String(contentsOfFile: logPath, encoding: .utf8)).map { String($0.suffix(3000)) } ?? ""
    }

    deinit {
        if process.isRunning { kill(pid, SIGKILL) }
    }
}
