import Foundation
import MessageBus
import Models
import NIOConcurrencyHelpers
import ServiceKit
import Store
import Synchronization
import Testing

/// A test queue of its own on the real broker, with the test schema ready.
struct BusFixture {
    let env: TestEnvironment
    let pool: DatabasePool
    let key: String
    let queue: Topology.Queue
    let topology: Topology
    let publisher: BrokerLink

    init(_ prefix: String, retryDelaysMilliseconds: [Int] = [100], maxAttempts: Int = 5) async throws {
        env = try TestEnvironment()
        pool = try await env.database()
        try await TestSchema.prepare(pool, logger: env.logger)
        key = uniqueName(prefix)
        queue = Topology.Queue(
            name: "\(key).events", bindings: [key], retryDelaysMilliseconds: retryDelaysMilliseconds, maxAttempts: maxAttempts)
        topology = Topology(queues: [queue])
        publisher = try await env.link("publisher", topology: topology)
    }

    /// A consumer of the fixture's queue on a link of its own.
    func consumer(handler: EventHandler? = nil, lanes: EventLanes? = nil) async throws -> BusConsumer {
        let link = try await env.link("consumer", topology: topology)
        if let handler {
            return MessagingIntegrationTests.consumer(
                queue: queue, link: link, publisher: publisher, pool: pool, env: env, handler: handler, lanes: lanes)
        }
        return MessagingIntegrationTests.consumer(queue: queue, link: link, publisher: publisher, pool: pool, env: env)
    }

    func event(_ payload: JSONValue = .null) -> EventEnvelope {
        EventEnvelope(type: key, correlationId: "it", producer: "test", payload: payload)
    }

    func close() async {
        await publisher.close()
        await pool.close()
    }
}

@Suite("Outbox, inbox, retries and dead letters against RabbitMQ", .serialized)
struct MessagingIntegrationTests {
    /// A consumer of `queue` whose effect is one row in it.effects per handled message.
    static func consumer(
        queue: Topology.Queue, link: BrokerLink, publisher: BrokerLink, pool: DatabasePool, env: TestEnvironment,
        handler: @escaping EventHandler = { envelope, context in
            try context.connection.query("INSERT INTO it.effects (message_id) VALUES ($1)", [envelope.id])
        },
        lanes: EventLanes? = nil
    ) -> BusConsumer {
        let readiness = Readiness()
        readiness.markMigrated()
        let inboxHandler = InboxHandler(
            queue: queue.name, inbox: Inbox(schema: TestSchema.name), outbox: Outbox(schema: TestSchema.name),
            database: pool, readiness: readiness, logger: env.logger, handler: handler,
            lanes: lanes ?? EventLanes(count: 1) { _ in nil })
        return BusConsumer(
            queue: queue, prefetch: 20, link: link, publisher: publisher, logger: env.logger,
            handler: { await inboxHandler.handle($0) })
    }

    @Test("The same message delivered twice changes the database once")
    func inboxDeduplicates() async throws {
        let bus = try await BusFixture("it.inbox")
        let (pool, queue, publisher) = (bus.pool, bus.queue, bus.publisher)
        let event = bus.event(.object(["n": .number(1)]))
        let message = try OutgoingMessage(event: event)
        try await publisher.publish([message, message])
        try await eventually("both copies are in the queue") { try await publisher.messageCount(queue: queue.name) == 2 }

        let consumer = try await bus.consumer()
        let running = Task { try await consumer.run() }
        try await eventually("both deliveries are settled") {
            let waiting = try await publisher.messageCount(queue: queue.name)
            let effects = try await TestSchema.effectCounts(pool, ids: [event.id])[event.id] ?? 0
            return waiting == 0 && effects >= 1
        }
        try await Task.sleep(for: .milliseconds(300))
        running.cancel()
        _ = try? await running.value
        #expect(try await TestSchema.effectCounts(pool, ids: [event.id]) == [event.id: 1])
        #expect(try await publisher.messageCount(queue: queue.deadQueue) == 0)
        await bus.close()
    }

    @Test("A handler that always throws ends in <queue>.dead with the reason, and replay brings it back")
    func deadLettersAfterRetriesAndReplays() async throws {
        let bus = try await BusFixture("it.dlq", retryDelaysMilliseconds: [100, 300], maxAttempts: 3)
        let (env, pool, key, queue, publisher) = (bus.env, bus.pool, bus.key, bus.queue, bus.publisher)
        let attempts = Atomic<Int>(0)
        let consumer = try await bus.consumer { _, _ in
            attempts.add(1, ordering: .relaxed)
            throw SetupError("the royalty table for 1999 is missing")
        }
        let event = bus.event()
        try await publisher.publish([try OutgoingMessage(event: event)])
        let running = Task { try await consumer.run() }
        try await eventually("the message is dead-lettered", within: 20) {
            try await publisher.messageCount(queue: queue.deadQueue) == 1
        }
        running.cancel()
        _ = try? await running.value
        #expect(attempts.load(ordering: .relaxed) == 3)
        #expect(try await publisher.messageCount(queue: queue.name) == 0)

        let dead = try await DeadLetters(link: publisher).list(queue: queue, limit: 10)
        #expect(dead.count == 1)
        #expect(dead.first?.messageId == event.id.uuidString.lowercased())
        #expect(dead.first?.headers[Topology.Header.deathReason]?.stringValue.contains("royalty table for 1999") == true)
        #expect(dead.first?.originalRoutingKey == key)
        // Listing leaves the message where it was.
        try await eventually("the listed message is back in the dead queue") {
            try await publisher.messageCount(queue: queue.deadQueue) == 1
        }

        // The operator's command brings it back to the queue, with a fresh attempt count.
        let replay = try env.run(try env.executable("portalctl"), ["dead-letters", "replay", "--queue", queue.name])
        #expect(replay.status == 0, "\(replay.output)")
        #expect(replay.output.contains("Replayed 1 message(s)."))
        try await eventually("the message is back in its queue") {
            try await publisher.messageCount(queue: queue.name) == 1
        }
        #expect(try await publisher.messageCount(queue: queue.deadQueue) == 0)

        // Now that the cause is fixed, the replayed message is handled once.
        let fixed = try await bus.consumer()
        let again = Task { try await fixed.run() }
        try await eventually("the replayed message is handled") {
            try await TestSchema.effectCounts(pool, ids: [event.id])[event.id] == 1
        }
        again.cancel()
        _ = try? await again.value
        await bus.close()
    }

    @Test("One failing message in a batch holds back and doubles none of the others")
    func batchWithOneFailure() async throws {
        let bus = try await BusFixture("it.batch", maxAttempts: 2)
        let (pool, queue, publisher) = (bus.pool, bus.queue, bus.publisher)
        let events = (1...20).map { n in bus.event(.object(["n": .number(Double(n))])) }
        let poisoned = events[7].id
        // All twenty wait in the queue, so the consumer takes them as one batch.
        try await publisher.publish(try events.map { try OutgoingMessage(event: $0) })
        try await eventually("all twenty are queued") { try await publisher.messageCount(queue: queue.name) == 20 }
        let consumer = try await bus.consumer { envelope, context in
            try context.connection.query("INSERT INTO it.effects (message_id) VALUES ($1)", [envelope.id])
            if envelope.id == poisoned { throw SetupError("this one is broken") }
        }
        let running = Task { try await consumer.run() }
        try await eventually("the broken one is dead-lettered", within: 20) {
            try await publisher.messageCount(queue: queue.deadQueue) == 1
        }
        running.cancel()
        _ = try? await running.value
        let counts = try await TestSchema.effectCounts(pool, ids: events.map(\.id))
        #expect(counts.count == 19)
        #expect(counts[poisoned] == nil)
        #expect(counts.values.allSatisfy { $0 == 1 })
        let dead = try await DeadLetters(link: publisher).list(queue: queue, limit: 5)
        #expect(dead.map(\.messageId) == [poisoned.uuidString.lowercased()])
        await bus.close()
    }

    @Test("A batch in two lanes: different subjects commit side by side, one subject's events apply in the order sent, each once; a failing event holds back none of the others")
    func lanesKeepEachSubjectsOrder() async throws {
        let bus = try await BusFixture("it.lanes", maxAttempts: 2)
        let (pool, queue, publisher) = (bus.pool, bus.queue, bus.publisher)
        let table = "it.lanes_\(UUID().uuidString.prefix(8).lowercased())"
        try await pool.withConnection {
            try $0.script("CREATE TABLE \(table) (message_id uuid, subject text, n int, xact bigint DEFAULT txid_current(), at timestamptz DEFAULT clock_timestamp())")
        }
        let subjects = ["a", "b", "c", "d", "e", "f", "g", "h"]
        let events = (1...5).flatMap { n in subjects.map { bus.event(.object(["subject": .string($0), "n": .number(Double(n))])) } }
        func field(_ envelope: EventEnvelope, _ name: String) -> JSONValue? {
            if case .object(let fields) = envelope.payload { fields[name] } else { nil }
        }
        let poisoned = events.first { field($0, "subject") == .string("c") && field($0, "n") == .number(3) }!.id
        try await publisher.publish(try events.map { try OutgoingMessage(event: $0) })
        try await eventually("all forty are queued") { try await publisher.messageCount(queue: queue.name) == 40 }
        let lanes = EventLanes(count: 2) { envelope in
            if case .object(let fields) = envelope.payload, case .string(let subject)? = fields["subject"] { subject } else { nil }
        }
        let consumer = try await bus.consumer(handler: { envelope, context in
            guard case .object(let fields) = envelope.payload, case .string(let subject)? = fields["subject"],
                  case .number(let n)? = fields["n"] else { throw SetupError("no subject") }
            try context.connection.query("INSERT INTO \(table) (message_id, subject, n) VALUES ($1, $2, $3)", [envelope.id, subject, Int(n)])
            // Long enough that two lanes of one batch are seen working at the same time.
            usleep(15_000)
            if envelope.id == poisoned { throw SetupError("this one is broken") }
        }, lanes: lanes)
        let running = Task { try await consumer.run() }
        try await eventually("the broken one is dead-lettered and the rest applied", within: 30) {
            let applied = try await pool.withConnection { try $0.query("SELECT count(*) AS n FROM \(table)").one().decode("n", as: Int.self) }
            return try await publisher.messageCount(queue: queue.deadQueue) == 1 && applied == 39
        }
        running.cancel()
        _ = try? await running.value
        struct Applied { var id: UUID; var subject: String; var n: Int; var xact: Int64; var at: Date }
        let applied = try await pool.withConnection { connection in
            try connection.query("SELECT message_id, subject, n, xact, at FROM \(table) ORDER BY at").rows.map {
                Applied(id: try $0.decode("message_id"), subject: try $0.decode("subject"), n: try $0.decode("n"), xact: try $0.decode("xact"),
                        at: try $0.decode("at"))
            }
        }
        #expect(Set(applied.map(\.id)) == Set(events.map(\.id)).subtracting([poisoned]))
        #expect(applied.count == 39, "each applied once")
        for subject in subjects {
            let order = applied.filter { $0.subject == subject }.map(\.n)
            #expect(order == (subject == "c" ? [1, 2, 4, 5] : [1, 2, 3, 4, 5]), "subject \(subject) in the order sent: \(order)")
        }
        // At least two transactions were open at once: one's first effect came before another's last.
        let spans = Dictionary(grouping: applied, by: \.xact).values.map { ($0.map(\.at).min()!, $0.map(\.at).max()!) }
        let overlapping = spans.contains { a in spans.contains { b in a != b && a.0 < b.0 && b.0 < a.1 } }
        #expect(overlapping, "the lanes ran one after the other")
        #expect(try await DeadLetters(link: publisher).list(queue: queue, limit: 5).map(\.messageId) == [poisoned.uuidString.lowercased()])
        try await pool.withConnection { try $0.script("DROP TABLE \(table)") }
        await bus.close()
    }

    @Test("A message that is not an envelope goes straight to the dead queue")
    func malformedMessagesAreDeadLettered() async throws {
        let bus = try await BusFixture("it.bad")
        let (key, queue, publisher) = (bus.key, bus.queue, bus.publisher)
        try await publisher.publish([OutgoingMessage(
            exchange: Topology.eventsExchange, routingKey: key, body: Array("not json".utf8), producer: "test")])
        let consumer = try await bus.consumer()
        let running = Task { try await consumer.run() }
        try await eventually("the malformed message is dead-lettered") {
            try await publisher.messageCount(queue: queue.deadQueue) == 1
        }
        running.cancel()
        _ = try? await running.value
        let dead = try await DeadLetters(link: publisher).list(queue: queue, limit: 1)
        #expect(dead.first?.headers[Topology.Header.deathReason]?.stringValue.hasPrefix("malformed envelope") == true)
        #expect(dead.first?.attempt == 1)
        await bus.close()
    }

    @Test("R-1.7: the broker restarted while the relay publishes: every event arrives, each applied once")
    func relayAcrossBrokerRestart() async throws {
        let bus = try await BusFixture("it.relay")
        let (env, pool, queue) = (bus.env, bus.pool, bus.queue)
        let relayLink = try await env.link("relay", topology: bus.topology)
        let readiness = Readiness()
        readiness.markMigrated()
        let relay = OutboxRelay(
            outbox: Outbox(schema: TestSchema.name), database: pool, publisher: relayLink, readiness: readiness,
            batchSize: 200, idlePollMilliseconds: 5, producer: "test", logger: env.logger)
        let relaying = Task { try await relay.run() }

        // Events keep being written while the broker goes down and comes back, so that
        // rounds are cut short at every stage: publishing, waiting for confirms, reconnecting.
        let written = NIOLockedValueBox<[UUID]>([])
        let writing = Task {
            while !Task.isCancelled {
                let events = (0..<20).map { _ in bus.event() }
                try await pool.withTransaction { connection in
                    for event in events { try Outbox(schema: TestSchema.name).enqueue(event, on: connection) }
                }
                written.withLockedValue { $0 += events.map(\.id) }
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        try await Task.sleep(for: .milliseconds(300))
        try env.infra("restart-broker")
        try await Task.sleep(for: .milliseconds(500))
        writing.cancel()
        _ = try? await writing.value
        let ids = written.withLockedValue { $0 }
        #expect(ids.count > 200)

        let consumer = try await bus.consumer()
        let consuming = Task { try await consumer.run() }
        try await eventually("every event written is applied", within: 60) {
            try await TestSchema.effectCounts(pool, ids: ids).count == ids.count
        }
        let pending = try await pool.withConnection { try Outbox(schema: TestSchema.name).backlog(on: $0).count }
        #expect(pending == 0)
        let counts = try await TestSchema.effectCounts(pool, ids: ids)
        #expect(counts.values.allSatisfy { $0 == 1 }, "an event was applied twice")
        relaying.cancel()
        consuming.cancel()
        _ = try? await relaying.value
        _ = try? await consuming.value
        await relayLink.close()
        await bus.close()
    }

    @Test("A handler slower than two heartbeat intervals keeps its connection: nothing is delivered twice")
    func slowHandlerKeepsTheConnection() async throws {
        let bus = try await BusFixture("it.heartbeat")
        let (env, queue) = (bus.env, bus.queue)
        // Heartbeats every second: the broker drops a link silent for two of them.
        var configuration = env.broker
        configuration.heartbeatSeconds = 1
        let consumerLink = BrokerLink(name: "slow", configuration: configuration, topology: bus.topology, logger: env.logger)
        let publisherLink = BrokerLink(name: "slow-publisher", configuration: configuration, topology: bus.topology, logger: env.logger)
        let events = (0..<6).map { _ in bus.event() }
        try await bus.publisher.publish(try events.map { try OutgoingMessage(event: $0) })
        try await eventually("the six events are queued") { try await bus.publisher.messageCount(queue: queue.name) == 6 }

        let seen = NIOLockedValueBox<[(id: String, redelivered: Bool)]>([])
        let consumer = BusConsumer(
            queue: queue, prefetch: 6, batchSize: 2, link: consumerLink, publisher: publisherLink, logger: env.logger
        ) { deliveries in
            seen.withLockedValue { $0 += deliveries.map { ($0.messageId ?? "-", $0.redelivered) } }
            // 3.5 s per batch of two: far longer than two heartbeat intervals.
            try? await Task.sleep(for: .milliseconds(3_500))
            return deliveries.map { _ in .ack }
        }
        let running = Task { try await consumer.run() }
        try await eventually("the six events are handled", within: 40) { seen.withLockedValue { $0.count } >= 6 }
        try await eventually("every delivery is settled", within: 10) {
            try await bus.publisher.messageCount(queue: queue.name) == 0
        }
        running.cancel()
        _ = try? await running.value
        let deliveries = seen.withLockedValue { $0 }
        #expect(deliveries.count == 6, "a message was delivered again: \(deliveries.map(\.id))")
        #expect(deliveries.allSatisfy { !$0.redelivered }, "the connection was lost and messages came back")
        #expect(Set(deliveries.map(\.id)) == Set(events.map { $0.id.uuidString.lowercased() }))
        await publisherLink.close()
        await bus.close()
    }

    @Test("Outbox and inbox rows past the retention period are pruned; pending rows and the audit log never are")
    func retentionPrunesOldMessages() async throws {
        let bus = try await BusFixture("it.retention")
        let pool = bus.pool
        let (old, recent, pending) = (UUID(), UUID(), UUID())
        let (oldInbox, recentInbox) = (UUID(), UUID())
        let auditBefore: Int = try await pool.withConnection { try $0.query("SELECT count(*) AS n FROM core.audit_log").one().decode("n") }
        try await pool.withTransaction { connection in
            for (id, published, created) in [(old, "now() - interval '20 days'", "now() - interval '20 days'"),
                                             (recent, "now() - interval '1 day'", "now() - interval '1 day'"),
                                             (pending, "NULL", "now() - interval '30 days'")] {
                try connection.query(
                    "INSERT INTO it.outbox (id, routing_key, envelope, created_at, published_at) VALUES ($1, 'it', '{}', \(created), \(published))", [id])
            }
            try connection.query("INSERT INTO it.inbox (message_id, queue, event_type, handled_at) VALUES ($1, 'q', 't', now() - interval '15 days')", [oldInbox])
            try connection.query("INSERT INTO it.inbox (message_id, queue, event_type, handled_at) VALUES ($1, 'q', 't', now() - interval '13 days')", [recentInbox])
        }
        let readiness = Readiness()
        readiness.markMigrated()
        let retention = MessageRetention(
            schema: TestSchema.name, database: pool, readiness: readiness, retentionDays: 14, interval: .seconds(3_600), logger: bus.env.logger)
        let removed = try await retention.pruneOnce()
        #expect(removed.outbox >= 1 && removed.inbox >= 1)
        let left = try await pool.withConnection { connection in
            (outbox: try Set(connection.query("SELECT id FROM it.outbox WHERE id = ANY($1::uuid[])", ["{\(old),\(recent),\(pending)}"])
                .rows.map { try $0.decode("id", as: UUID.self) }),
             inbox: try Set(connection.query("SELECT message_id FROM it.inbox WHERE message_id = ANY($1::uuid[])", ["{\(oldInbox),\(recentInbox)}"])
                .rows.map { try $0.decode("message_id", as: UUID.self) }))
        }
        #expect(left.outbox == [recent, pending], "published 20 days ago goes; published yesterday and never published stay")
        #expect(left.inbox == [recentInbox])
        let auditAfter: Int = try await pool.withConnection { try $0.query("SELECT count(*) AS n FROM core.audit_log").one().decode("n") }
        #expect(auditAfter >= auditBefore, "the audit log is never pruned")
        await bus.close()
    }
}
