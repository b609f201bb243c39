import Foundation
import MessageBus
import ServiceKit
import Store
import Testing

/// A failure drill (Art. 16.2: running stably and continuously): each service is killed with
/// SIGKILL in turn, with nothing to clean up after, while units submit, the Board approves and
/// citizens ask. After the restarts, what was accepted is all there and every effect happened once.
@Suite("Failure drills", .serialized)
struct KillDrillTests {
    static let ports = ["intake": 18_240, "approval": 18_241, "publishing": 18_242, "finance": 18_243, "feedback": 18_244]
    static let order = ["intake", "approval", "publishing", "feedback", "finance"]

    /// What the clients were told, shared by the load's threads.
    final class Load: @unchecked Sendable {
        private let lock = NSLock()
        private var _stopped = false
        var accepted = [String](), toApprove = [String](), approved = [String](), questions = [String](), failures = [String]()
        var stopped: Bool { locked { _stopped } }
        func stop() { locked { _stopped = true } }
        func locked<T>(_ body: () -> T) -> T { lock.lock(); defer { lock.unlock() }; return body() }
    }

    /// The services, as the drill starts, kills and restarts them: one instance of each, named
    /// by the service; or more, named `<service>-b` and so on.
    final class Fleet: @unchecked Sendable {
        let env: TestEnvironment
        let ports: [String: Int]
        let environment: [String: String]
        /// Settings of one instance only (its own data folder).
        let overrides: [String: [String: String]]
        var services = [String: ServiceProcess]()
        /// The logs of the processes killed, for the check that no personal data is in any log.
        var logs = [(String, String)]()

        init(env: TestEnvironment, ports: [String: Int], environment: [String: String], overrides: [String: [String: String]] = [:]) {
            self.env = env
            self.ports = ports
            self.environment = environment
            self.overrides = overrides
        }

        func start(_ name: String) throws {
            let executable = String(name.split(separator: "-").first ?? Substring(name))
            services[name] = try ServiceProcess(
                executable, port: ports[name] ?? 0, environment: environment.merging(overrides[name] ?? [:]) { $1 }, in: env)
        }

        func crashAndRestart(_ name: String) async throws {
            if let killed = services[name] { logs.append((name, killed.logPath)) }
            try await services[name]?.crash()
            try start(name)
            try await services[name]?.waitUntilReady()
        }

        /// Until every service's /readyz says `ready` (or, with false, none does).
        func waitUntil(ready: Bool, within seconds: Double = 60) async throws {
            try await eventually("every service \(ready ? "ready" : "not ready")", within: seconds, every: .milliseconds(250)) {
                services.values.allSatisfy { (httpRequest("GET", $0.url("/readyz")).status == 200) == ready }
            }
        }
    }

    @Test("R-1.7: each service SIGKILLed in turn under submissions, approvals and questions: every accepted submission and question is stored, every approved item published once with its ledger entries once, nothing dead-lettered, and every service stops cleanly after")
    func killEachServiceUnderLoad() async throws {
        try await drill(ports: Self.ports) { fleet in
            for name in Self.order {
                try await Task.sleep(for: .seconds(3))
                try await fleet.crashAndRestart(name)
            }
            return []
        }
    }

    @Test("R-1.7: a poison message in each service's queue ends in its dead-letter queue while the rest flows; RabbitMQ, then PostgreSQL, stopped and started again under the same load: every service says it is not ready, then recovers by itself, and nothing accepted is lost or doubled")
    func poisonAndOutagesUnderLoad() async throws {
        try await drill(ports: Self.ports.mapValues { $0 + 10 }) { fleet in
            // A message no service can read, straight into each consuming queue.
            let topology = ServiceConfiguration(service: .intake).topology
            let link = try await fleet.env.link("drill-poison", topology: topology)
            let poisons = topology.queues.map { queue in
                OutgoingMessage(exchange: "", routingKey: queue.name, body: Array("{not an event".utf8),
                                messageId: "poison-\(UUID().uuidString.lowercased())", type: "article.approved", producer: "drill")
            }
            try await link.publish(poisons)
            await link.close()
            for (stop, start) in [("stop-broker", "start-broker"), ("stop-db", "start-db")] {
                try await Task.sleep(for: .seconds(3))
                try fleet.env.infra(stop)
                try await fleet.waitUntil(ready: false, within: 30)
                try await Task.sleep(for: .seconds(2))
                try fleet.env.infra(start)
                try await fleet.waitUntil(ready: true, within: 90)
            }
            return poisons.compactMap(\.messageId)
        }
    }

    /// Runs the load on five fresh services while `disrupt` does its harm (returning the ids of
    /// the messages it sent to be dead-lettered), then checks that what the clients were told holds.
    func drill(ports: [String: Int], disrupt: (Fleet) async throws -> [String]) async throws {
        let env = try TestEnvironment()
        let work = NSTemporaryDirectory() + "portal-drill-\(UUID().uuidString.prefix(8))"
        let environment = Self.serviceEnvironment(work)
        let portalctl = try env.executable("portalctl")
        let deadBefore = try Self.deadLetters(env, portalctl)
        let fleet = Fleet(env: env, ports: ports, environment: environment)
        do {
            for name in Self.order { try fleet.start(name) }
            for service in fleet.services.values { try await service.waitUntilReady() }
            let urls = ports.mapValues { "http://127.0.0.1:\($0)" }
            let tokens = try ["ctv.tuphap", "btv.lan", "gd.tuphap"].reduce(into: [String: String]()) { $0[$1] = try IntakeAPITests().token($1, env) }
            let load = Load()
            let tag = String(UUID().uuidString.prefix(6).lowercased())
            let threads = [
                Self.thread { Self.submit(load, url: urls["intake"]!, token: tokens["ctv.tuphap"]!, tag: tag, worker: 1) },
                Self.thread { Self.submit(load, url: urls["intake"]!, token: tokens["ctv.tuphap"]!, tag: tag, worker: 2) },
                Self.thread { Self.approve(load, url: urls["approval"]!, editor: tokens["btv.lan"]!, board: tokens["gd.tuphap"]!) },
                Self.thread { Self.approve(load, url: urls["approval"]!, editor: tokens["btv.lan"]!, board: tokens["gd.tuphap"]!) },
                Self.thread { Self.ask(load, url: urls["feedback"]!, tag: tag) },
            ]
            let poisons = try await disrupt(fleet)
            try await Task.sleep(for: .seconds(3))
            load.stop()
            for thread in threads { while !thread.isFinished { try await Task.sleep(for: .milliseconds(100)) } }

            try await Self.verify(load, env: env, portalctl: portalctl, tag: tag, deadBefore: deadBefore, poisons: poisons,
                                  sites: ["\(work)/data/sites"], logs: fleet.logs + fleet.services.map { ($0.key, $0.value.logPath) })
        } catch {
            for service in fleet.services.values { _ = try? await service.terminate() }
            throw error
        }
        for name in Self.order {
            #expect(try await fleet.services[name]?.terminate() == 0, "\(name) stops cleanly after the drill")
        }
    }

    /// The settings of a drill's services: the data folder and mail under `work`, no mail listener.
    static func serviceEnvironment(_ work: String) -> [String: String] {
        ["PORTAL_DATA_DIR": "\(work)/data", "PORTAL_MAIL_RELAY": "folder:\(work)/outgoing",
         "APPROVAL_KEY_SECRET": "integration-test-secret", "INTAKE_LMTP_PORT": "0", "INTAKE_SMTP_PORT": "0"]
    }

    /// What the clients were told holds after the harm: every accepted submission and question
    /// stored, every approved item published once (its page in each of `sites`, the folders of
    /// the publishing instances) with its ledger entries once, nothing of the drill dead-lettered
    /// but the `poisons`, and no citizen's name or email in any of the `logs`.
    static func verify(
        _ load: Load, env: TestEnvironment, portalctl: String, tag: String, deadBefore: [DeadLetter], poisons: [String], sites: [String],
        logs: [(String, String)]
    ) async throws {
        // Connected after the harm: a connection open across a database restart is lost at its next use.
        let pool = try await env.database()
        defer { Task { await pool.close() } }
        let (accepted, approved, questions, failures) = load.locked { (load.accepted, load.approved, load.questions, load.failures) }
        print("drill: \(accepted.count) submissions accepted, \(approved.count) approved, \(questions.count) questions accepted")
        #expect(failures.isEmpty, "requests that never succeeded within a minute: \(failures.prefix(5))")
        #expect(accepted.count >= 50 && approved.count >= 5 && questions.count >= 20, "the load ran through the kills")
        let ids = "{" + accepted.joined(separator: ",") + "}", approvedIds = "{" + approved.joined(separator: ",") + "}"
        func count(_ sql: String, _ parameters: [String]) async throws -> Int {
            try await pool.withConnection { try $0.query(sql, parameters).one().decode("n", as: Int.self) }
        }
        #expect(try await count("SELECT count(*)::int AS n FROM intake.submissions WHERE id = ANY($1::uuid[])", [ids]) == accepted.count,
                "every submission answered 202 is stored")
        try await eventually("every accepted submission reached approval, once", within: 90) {
            try await count("SELECT count(*)::int AS n FROM editorial.articles WHERE id = ANY($1::uuid[])", [ids]) == accepted.count
        }
        #expect(try await count(
            "SELECT count(*)::int AS n FROM (SELECT article_id FROM editorial.decisions WHERE action = 'approve' AND article_id = ANY($1::uuid[]) GROUP BY 1 HAVING count(*) <> 1) d",
            [approvedIds]) == 0, "one signed approval per approved item")
        try await eventually("every approved item is published, and its page written", within: 90) {
            try await count("SELECT count(*)::int AS n FROM publishing.articles WHERE state = 'published' AND id = ANY($1::uuid[])", [approvedIds])
                == approved.count
                && approved.allSatisfy { id in sites.allSatisfy { FileManager.default.fileExists(atPath: "\($0)/longan.gov.vn/bai-viet/\(id).html") } }
        }
        #expect(try await count(
            """
            SELECT count(*)::int AS n FROM (SELECT lower(envelope::jsonb->'payload'->>'articleId') FROM publishing.outbox
            WHERE routing_key = 'article.published' AND lower(envelope::jsonb->'payload'->>'articleId') = ANY($1::text[]) GROUP BY 1 HAVING count(*) > 1) p
            """, [approvedIds]) == 0, "no page published twice")
        try await eventually("finance has every approved item's royalty", within: 90) {
            try await count("SELECT count(DISTINCT article_id)::int AS n FROM finance.ledger WHERE article_id = ANY($1::uuid[])", [approvedIds])
                == approved.count
        }
        #expect(try await count(
            """
            SELECT count(*)::int AS n FROM (SELECT 1 FROM finance.ledger WHERE article_id = ANY($1::uuid[])
            GROUP BY article_id, kind, role, payee_name HAVING count(*) > 1) d
            """, [approvedIds]) == 0, "no ledger entry doubled")
        let codes = "{" + questions.joined(separator: ",") + "}"
        #expect(try await count(
            "SELECT count(*)::int AS n FROM feedback.questions WHERE tracking_sha256 = ANY(ARRAY(SELECT sha256(convert_to(c, 'UTF8')) FROM unnest($1::text[]) c))",
            [codes]) == questions.count, "every question answered with a tracking code is stored")
        // The services also take in what earlier tests left in the shared queues, and may
        // rightly dead-letter some of it: the drill's own items and questions must be in none.
        let before = Set(deadBefore.map(\.id))
        let deadAfter = try Self.deadLetters(env, portalctl)
        let new = deadAfter.filter { !before.contains($0.id) && !poisons.contains($0.id) }
        let ours = new.filter { letter in
            letter.body.contains(tag) || (accepted + approved).contains { letter.body.lowercased().contains($0.lowercased()) }
        }
        if !new.isEmpty { print("dead letters from before the drill, taken in meanwhile: \(new.map { "\($0.type): \($0.reason)" })") }
        #expect(ours.isEmpty, "nothing of the drill was dead-lettered: \(ours.map { "\($0.type): \($0.reason)" })")
        #expect(Set(poisons).isSubset(of: Set(deadAfter.map(\.id))), "each poison message is in its dead-letter queue")
        // R-5.4: the citizens' names and emails are in no log, of any service, crashed or not.
        for (name, log) in logs {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            #expect(!text.contains("dien.tap.\(tag)") && !text.contains("Người hỏi diễn tập"), "R-5.4: personal data in \(name)'s log \(log)")
        }
    }

    static func thread(_ body: @escaping @Sendable () -> Void) -> Thread {
        let thread = Thread(block: body)
        thread.start()
        return thread
    }

    /// Sends `request` until it is answered 2xx with a whole JSON body, as a careful client does
    /// across a restart (at most a minute); nil when it never is.
    static func untilAccepted(_ request: () -> (status: Int?, body: String, headers: [String: String])) -> String? {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let answer = request()
            // A process killed between the answer's head and its body leaves a 2xx without the
            // body: the client cannot know what was stored, so it sends again, as a client would
            // (with the same Idempotency-Key for a submission).
            if let status = answer.status, (200..<300).contains(status), !json(answer.body).isEmpty { return answer.body }
            Thread.sleep(forTimeInterval: 0.2)
        }
        return nil
    }

    static func json(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    /// A unit's collaborator submitting, each item with its own Idempotency-Key, sent again with
    /// the same key until answered: an item the crash cut off is neither lost nor doubled.
    static func submit(_ load: Load, url: String, token: String, tag: String, worker: Int) {
        var number = 0
        while !load.stopped {
            number += 1
            let key = "drill-\(tag)-\(worker)-\(number)"
            let body = IntakeAPITests().submission(title: "Diễn tập \(tag) \(worker)-\(number)", body: "Tin diễn tập số \(number) của luồng \(worker).")
            guard let answer = untilAccepted({
                httpRequest("POST", url + "/api/v1/submissions", headers: [
                    "Authorization": "Bearer \(token)", "Content-Type": "application/json", "Idempotency-Key": key,
                ], body: body)
            }), let id = json(answer)["id"] as? String else {
                load.locked { load.failures.append("submission \(key)") }
                continue
            }
            load.locked {
                load.accepted.append(id)
                if number % 6 == 1 { load.toApprove.append(id) }
            }
        }
    }

    /// An editor classifies and sends for approval, the Board member approves: each step read
    /// from the item's state, so that a step the crash cut off is done once, not twice.
    static func approve(_ load: Load, url: String, editor: String, board: String) {
        while !load.stopped {
            guard let id = load.locked({ load.toApprove.isEmpty ? nil : load.toApprove.removeFirst() }) else {
                Thread.sleep(forTimeInterval: 0.1)
                continue
            }
            let article = url + "/api/v1/articles/\(id)"
            let deadline = Date().addingTimeInterval(90)
            var done = false
            while !done, Date() < deadline {
                let view = httpRequest("GET", article, headers: ["Authorization": "Bearer \(editor)"])
                guard view.status == 200 else { Thread.sleep(forTimeInterval: 0.2); continue }
                let item = json(view.body)
                let revision = (item["revision"] as? [String: Any])?["number"] as? Int ?? 1
                switch item["state"] as? String {
                case "received", "in_editing":
                    if revision == 1 {
                        _ = httpRequest("PUT", article, headers: ["Authorization": "Bearer \(editor)", "Content-Type": "application/json", "If-Match": "\"1\""],
                                        body: #"{"classification": {"genre": "news", "coefficient": 8, "authors": [{"name": "Nguyễn Văn An", "share": 100}], "targetSites": ["longan.gov.vn"]}, "changeNote": "Phân loại"}"#)
                    } else {
                        _ = httpRequest("POST", article + "/submit-for-approval", headers: ["Authorization": "Bearer \(editor)", "Content-Type": "application/json"], body: "{}")
                    }
                case "pending_approval":
                    _ = httpRequest("POST", article + "/approve", headers: ["Authorization": "Bearer \(board)", "Content-Type": "application/json"],
                                    body: #"{"revision": \#(revision)}"#)
                case "approved", "published":
                    done = true
                default:
                    Thread.sleep(forTimeInterval: 0.2)
                }
            }
            load.locked { done ? load.approved.append(id) : load.failures.append("approval \(id)") }
        }
    }

    /// Citizens asking, each from their own address and email (the limits are per address).
    static func ask(_ load: Load, url: String, tag: String) {
        var number = 0
        while !load.stopped {
            number += 1
            let body = #"{"name": "Người hỏi diễn tập", "email": "dien.tap.\#(tag).\#(number)@example.vn", "title": "Câu hỏi diễn tập \#(number)", "body": "Xin hỏi về hộ tịch.", "field": "justice_civil_status", "consent": true}"#
            guard let answer = untilAccepted({
                httpRequest("POST", url + "/api/v1/questions", headers: [
                    "Content-Type": "application/json", "Host": "longan.gov.vn", "X-Forwarded-For": "198.18.\(number / 250).\(number % 250 + 1)",
                ], body: body)
            }), let code = json(answer)["trackingCode"] as? String else {
                load.locked { load.failures.append("question \(number)") }
                continue
            }
            load.locked { load.questions.append(code) }
        }
    }

    struct DeadLetter {
        var id: String, type: String, reason: String, body: String
    }

    /// The messages waiting in the dead-letter queues.
    static func deadLetters(_ env: TestEnvironment, _ portalctl: String) throws -> [DeadLetter] {
        let listed = try env.run(portalctl, ["dead-letters", "list", "--json", "--limit", "10000"])
        // The JSON array starts a line of its own; log lines before it may hold brackets too.
        guard listed.status == 0, let start = listed.output.range(of: #"(?m)^\["#, options: .regularExpression)?.lowerBound,
              let array = try? JSONSerialization.jsonObject(with: Data(listed.output[start...].utf8)) as? [Any] else {
            throw SetupError("portalctl dead-letters list failed: \(listed.output)")
        }
        return array.map { item in
            let fields = item as? [String: Any] ?? [:]
            return DeadLetter(id: fields["messageId"] as? String ?? "", type: fields["type"] as? String ?? fields["routingKey"] as? String ?? "",
                              reason: fields["reason"] as? String ?? "delivery limit", body: fields["body"] as? String ?? "")
        }
    }
}
