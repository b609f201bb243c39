import Foundation
import Testing

/// Hostile input to every service's routes (path and query parameters, JSON bodies, forms),
/// against the running processes: never a 5xx, never a process that exits. The driver is
/// seeded and prints its seed (`Tests/Fuzz/http_fuzz.py`, `FUZZ_SEED` repeats a run).
@Suite("Fuzzing every service over HTTP", .serialized)
struct HTTPFuzzTests {
    static let ports = ["intake": 18_230, "approval": 18_231, "publishing": 18_232, "finance": 18_233, "feedback": 18_234]

    @Test("No input answers 5xx or stops a service (issue: no input crashes a service)")
    func noInputCrashesAService() async throws {
        let env = try TestEnvironment()
        let tokens = try ["ctv.tuphap", "btv.lan", "truongban", "ketoan.mai", "admin"].map {
            "\($0)=\(try IntakeAPITests().token($0, env))"
        }
        let work = NSTemporaryDirectory() + "portal-fuzz-\(UUID().uuidString.prefix(8))"
        let environment = ["PORTAL_DATA_DIR": "\(work)/data", "PORTAL_MAIL_RELAY": "folder:\(work)/outgoing",
                           "APPROVAL_KEY_SECRET": "integration-test-secret", "INTAKE_LMTP_PORT": "0", "INTAKE_SMTP_PORT": "0"]
        var services = [String: ServiceProcess]()
        do {
            for (name, port) in Self.ports.sorted(by: { $0.key < $1.key }) {
                services[name] = try ServiceProcess(name, port: port, environment: environment, in: env)
            }
            for service in services.values { try await service.waitUntilReady() }
            // A real item, so that requests about an item reach its handlers.
            let (intake, approval) = (try #require(services["intake"]), try #require(services["approval"]))
            let created = httpRequest(
                "POST", intake.url("/api/v1/submissions"),
                headers: ["Authorization": "Bearer \(try IntakeAPITests().token("ctv.tuphap", env))", "Content-Type": "application/json"],
                body: IntakeAPITests().submission(title: "Tin để thử đầu vào"))
            let id = try #require(try JSONDecoder().decode([String: String].self, from: Data(created.body.utf8))["id"])
            let approvalURL = approval.url("/api/v1/articles/\(id)")
            let editor = try IntakeAPITests().token("btv.lan", env)
            try await eventually("the item reaches approval") {
                httpRequest("GET", approvalURL, headers: ["Authorization": "Bearer \(editor)"]).status == 200
            }
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("Fuzz/http_fuzz.py").path
            // Signed out, a staff page sends to its sign-in page (it once answered 500), naming the
            // page to come back to unless it is the area's first page.
            for (service, path, login) in [("approval", "/console", "/console/login"), ("approval", "/console/quarantine", "/console/login?next=/console/quarantine"),
                                           ("finance", "/finance", "/finance/login")] {
                let page = httpRequest("GET", try #require(services[service]).url(path))
                #expect(page.status == 303 && page.headers["location"] == login, "\(path): \(page.status ?? 0) \(page.headers["location"] ?? "")")
            }
            // The default seed, and seeds that once found a fault (kept so that it stays fixed);
            // FUZZ_SEED picks one (or `random`).
            let seeds = ProcessInfo.processInfo.environment["FUZZ_SEED"].map { [$0] } ?? ["20261201", "1796159111"]
            for seed in seeds {
                let run = try env.run("/usr/bin/env", ["python3", script], environment: [
                    "SERVICES": Self.ports.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: ","),
                    "TOKENS": tokens.joined(separator: ","), "IDS": id, "FUZZ_SEED": seed,
                    "FUZZ_SECONDS": ProcessInfo.processInfo.environment["FUZZ_SECONDS"] ?? "10",
                ])
                print(run.output)
                #expect(run.status == 0 && run.output.contains("http fuzz passed"), "\(run.output)")
            }
        } catch {
            for service in services.values { _ = try? await service.terminate() }
            throw error
        }
        for (name, service) in services {
            #expect(try await service.terminate() == 0, "\(name) did not stop cleanly: it may have crashed")
        }
    }
}
