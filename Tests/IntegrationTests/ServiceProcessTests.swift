import Foundation
import MessageBus
import Models
import ServiceKit
import Store
import Testing

/// The built executables, run as separate processes against the real servers.
@Suite("Services as processes", .serialized)
struct ServiceProcessTests {
    static let services = ["intake", "approval", "publishing", "feedback", "finance"]

    @Test("Each service starts, answers /healthz on IPv4 and IPv6, and stops cleanly on SIGTERM", arguments: services.indices)
    func startsAnswersAndStops(index: Int) async throws {
        let env = try TestEnvironment()
        let name = Self.services[index]
        let service = try ServiceProcess(name, port: 18_181 + index, in: env)
        try await service.waitUntilReady()
        for host in ["127.0.0.1", "::1"] {
            let health = await httpGet(service.url("/healthz", host: host))
            #expect(health.status == 200, "\(name) on \(host): \(health.body)")
            #expect(health.body.contains(#""service":"\#(name)""#))
            #expect(await httpGet(service.url("/readyz", host: host)).status == 200)
        }
        let metrics = await httpGet(service.url("/metrics"))
        #expect(metrics.body.contains("portal_outbox_relayed_total"))
        #expect(metrics.body.contains(#"hb_requests{http_route="/healthz""#))
        let missing = await httpGet(service.url("/api/v1/nothing-here"))
        #expect(missing.status == 404)
        #expect(missing.body.contains(#""code":"not_found""#))
        #expect(try await service.terminate() == 0, "\(service.log)")
    }

    @Test("Outbox: a service killed between commit and publish loses and doubles nothing")
    func outboxSurvivesSIGKILL() async throws {
        let bus = try await BusFixture("it.outbox")
        let (env, pool, key, queue, link) = (bus.env, bus.pool, bus.key, bus.queue, bus.publisher)
        let total = 20_000

        // Committed state changes whose events are still in finance's outbox.
        let ids = try await pool.withTransaction { connection -> [UUID] in
            try connection.query(
                """
                INSERT INTO finance.outbox (id, routing_key, envelope)
                SELECT id, $1::text, json_build_object('id', id, 'type', $1::text, 'version', 1,
                    'occurredAt', '2026-11-30T08:00:00.000Z', 'correlationId', 'it', 'producer', 'finance',
                    'payload', json_build_object('n', n))::text
                FROM (SELECT gen_random_uuid() AS id, n FROM generate_series(1, $2::int) AS n) AS rows
                RETURNING id
                """, [key, total]
            ).rows.map { try $0.decode("id", as: UUID.self) }
        }

        // The relay starts publishing; the process is killed in the middle of it.
        let first = try ServiceProcess("finance", port: 18_191, in: env)
        try await eventually("the relay has published part of the outbox", within: 60, every: .milliseconds(5)) {
            try await Self.published(pool, key: key) > 0
        }
        try await first.crash()
        let publishedAtCrash = try await Self.published(pool, key: key)

        let second = try ServiceProcess("finance", port: 18_191, in: env)
        try await second.waitUntilReady()
        try await eventually("every row is published after the restart", within: 60) {
            try await Self.published(pool, key: key) == total
        }
        #expect(try await second.terminate() == 0)

        // Consume with inbox dedupe: each event's effect is applied exactly once.
        let consumer = try await bus.consumer()
        let running = Task { try await consumer.run() }
        try await eventually("the queue is drained", within: 120) {
            let waiting = try await link.messageCount(queue: queue.name)
            let handled = try await TestSchema.effectCounts(pool, ids: ids).count
            return waiting == 0 && handled == total
        }
        running.cancel()
        _ = try? await running.value
        let counts = try await TestSchema.effectCounts(pool, ids: ids)
        #expect(counts.count == total, "published at crash: \(publishedAtCrash)")
        #expect(counts.values.allSatisfy { $0 == 1 })
        await bus.close()
    }

    static func published(_ pool: DatabasePool, key: String) async throws -> Int {
        try await pool.withConnection {
            try $0.query("SELECT count(*) AS n FROM finance.outbox WHERE routing_key = $1 AND published_at IS NOT NULL", [key])
                .one().decode("n")
        }
    }

    @Test("Broker restarted under a running service: /readyz goes 503 then 200 and no event is lost")
    func survivesBrokerRestart() async throws {
        let env = try TestEnvironment()
        let pool = try await env.database()
        let key = uniqueName("it.broker")
        let queue = Topology.Queue(name: "\(key).events", bindings: [key], retryDelaysMilliseconds: [100])
        let link = try await env.link("test", topology: Topology(queues: [queue]))
        let service = try ServiceProcess("publishing", port: 18_192, in: env)
        try await service.waitUntilReady()

        try env.infra("stop-broker")
        try await eventually("/readyz says 503 without the broker", within: 30) {
            await httpGet(service.url("/readyz")).status == 503
        }
        // A state change committed while the broker is away waits in the outbox.
        let event = EventEnvelope(type: key, correlationId: "it", producer: "publishing", payload: .null)
        try await pool.withTransaction { try Outbox(schema: "publishing").enqueue(event, on: $0) }

        try env.infra("start-broker")
        try await eventually("/readyz is 200 again", within: 90) {
            await httpGet(service.url("/readyz")).status == 200
        }
        try await eventually("the event written during the outage arrives", within: 30) {
            // The test's own connection died with the broker too; a failed call reconnects on the next.
            (try? await link.messageCount(queue: queue.name)) == 1
        }
        let healthAfter = await httpGet(service.url("/healthz", host: "::1"))
        #expect(healthAfter.status == 200)
        #expect(try await service.terminate() == 0)
        await link.close()
        await pool.close()
    }

    @Test("PostgreSQL restarted under a running service: /readyz goes 503 then 200 and events are handled")
    func survivesDatabaseRestart() async throws {
        let env = try TestEnvironment()
        let service = try ServiceProcess("publishing", port: 18_193, in: env)
        try await service.waitUntilReady()

        try env.infra("stop-db")
        try await eventually("/readyz says 503 without the database", within: 30) {
            await httpGet(service.url("/readyz")).status == 503
        }
        try env.infra("start-db")
        try await eventually("/readyz is 200 again", within: 60) {
            await httpGet(service.url("/readyz")).status == 200
        }

        // The service's consumer and relay work on new connections: an event for it is handled.
        let pool = try await env.database()
        // An answer to publish: a page written from the event alone, without an item of the editorial flow.
        let event = try EventEnvelope(
            AnswerPublished(
                questionId: UUID(), fieldCode: "health", fieldName: "Y tế", unitCode: "department-syt", unitName: "Sở Y tế",
                title: "Hỏi về bảo hiểm y tế", question: "Thẻ bảo hiểm y tế dùng ở đâu?", answer: "Ở mọi cơ sở khám chữa bệnh ban đầu.",
                askedOn: LocalDate.today, answeredOn: LocalDate.today),
            correlationId: "it", producer: "feedback")
        let link = try await env.link("test", topology: ServiceConfiguration(service: .publishing).topology)
        try await link.publish([try OutgoingMessage(event: event)])
        try await eventually("publishing records the event in its inbox", within: 30) {
            try await pool.withConnection {
                try $0.query("SELECT count(*) AS n FROM publishing.inbox WHERE message_id = $1", [event.id]).one().decode("n", as: Int.self)
            } == 1
        }
        #expect(try await service.terminate() == 0)
        await link.close()
        await pool.close()
    }

    @Test("Without the database a submission is answered 503 with Retry-After and a code that says so; once it is back, 202")
    func databaseOutageAnswers503() async throws {
        let env = try TestEnvironment()
        let token = try IntakeAPITests().token("ctv.tuphap", env)
        let intake = try ServiceProcess("intake", port: 18_196, in: env)
        try await intake.waitUntilReady()
        let headers = ["Authorization": "Bearer \(token)", "Content-Type": "application/json"]
        let body = IntakeAPITests().submission(title: "Tin trong lúc cơ sở dữ liệu khởi động lại")
        #expect(httpRequest("POST", intake.url("/api/v1/submissions"), headers: headers, body: body).status == 202)

        try env.infra("stop-db")
        let refused = httpRequest("POST", intake.url("/api/v1/submissions"), headers: headers, body: body)
        try env.infra("start-db")
        #expect(refused.status == 503, "\(refused.status ?? 0) \(refused.body)")
        #expect(refused.headers["retry-after"] != nil)
        #expect(refused.body.contains("database_unavailable"), "\(refused.body)")
        // The pool recovers by itself on new connections.
        try await eventually("a submission is accepted again", within: 30) {
            httpRequest("POST", intake.url("/api/v1/submissions"), headers: headers, body: body).status == 202
        }
        #expect(try await intake.terminate() == 0)
    }

    /// The bound the test holds intake to: the body budget (128 MiB by default), what the
    /// handlers make of the bodies they admitted (decoded JSON, the attachment), and the
    /// process's own baseline.
    static let intakeMemoryBoundMB = 1_024

    @Test("500 concurrent 20 MB bodies: intake answers each (202 or 503 with Retry-After) and stays under its memory bound")
    func manyLargeBodiesStayBounded() async throws {
        let env = try TestEnvironment()
        let token = try IntakeAPITests().token("ctv.tuphap", env)
        let work = NSTemporaryDirectory() + "portal-flood-\(UUID().uuidString.prefix(8))"
        let intake = try ServiceProcess("intake", port: 18_197, environment: ["PORTAL_DATA_DIR": "\(work)/data"], in: env)
        try await intake.waitUntilReady()
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Load/body_flood.py").path
        let flood = try env.run("/usr/bin/env", ["python3", script], environment: [
            "PORT": String(intake.port), "PID": String(intake.pid), "TOKEN": token, "CONCURRENCY": "500", "BODY_MB": "20",
        ])
        print(flood.output)
        #expect(flood.status == 0, "an answer was a 5xx other than 503 with Retry-After: \(flood.output)")
        let peak = flood.output.split(separator: "\n").first { $0.hasPrefix("peak_rss_mb=") }.flatMap { Int($0.dropFirst(12)) }
        #expect(peak != nil)
        #expect((peak ?? .max) < Self.intakeMemoryBoundMB, "intake grew to \(peak ?? -1) MB")
        #expect(flood.output.contains("202"), "some uploads were accepted")
        #expect(await httpGet(intake.url("/healthz")).status == 200)
        #expect(try await intake.terminate() == 0)
    }
}
