import ArgumentParser
import Foundation
import Logging
import MessageBus
import Models
import ServiceKit
import Store

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Measure the system on this machine.", subcommands: [Bus.self, IntakeBench.self, ApprovalBench.self, PublishingBench.self, FinanceBench.self, FeedbackBench.self, BenchAllCommand.self])

    /// Events through the whole path: written to an outbox in transactions, relayed with
    /// confirms, consumed with inbox dedupe, each step committed; latency is the time from
    /// the outbox row to the consumer's inbox row, both stamped by the database clock.
    struct Bus: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bus", abstract: "Events per second through outbox, relay, broker and inbox, with latency.")

        @Option(help: "Events to send.")
        var events = 20_000

        @Option(help: "Concurrent writers.")
        var writers = 4

        @Option(help: "Events per writer transaction.")
        var perTransaction = 10

        @Option(help: "Target events per second over all writers; 0 writes as fast as possible.")
        var rate = 0

        func run() async throws {
            let tool = ToolContext()
            let schema = "bench"
            let queue = Topology.Queue(name: "bench.events", bindings: ["bench.#"], maxAttempts: 3)
            let topology = Topology(queues: [queue])
            let broker = try tool.configuration.broker
            let readiness = Readiness()
            let outbox = Outbox(schema: schema), inbox = Inbox(schema: schema)
            let database = DatabasePool(
                configuration: .init(conninfo: tool.configuration.databaseURL, maxConnections: writers + 3), logger: tool.logger)
            try await Migrator.apply(
                [(schema, [Migration(1, "bench outbox and inbox", "CREATE SCHEMA IF NOT EXISTS bench;\n"
                    + Outbox.migration(schema: schema) + Inbox.migration(schema: schema))])],
                on: database, logger: tool.logger)
            try await database.withConnection { try $0.script("TRUNCATE bench.outbox, bench.inbox") }
            readiness.markMigrated()

            let publisher = BrokerLink(name: "bench-publisher", configuration: broker, topology: topology, logger: tool.logger)
            let consumerLink = BrokerLink(name: "bench-consumer", configuration: broker, topology: topology, logger: tool.logger)
            try await publisher.ping()
            let relay = OutboxRelay(
                outbox: outbox, database: database, publisher: publisher, readiness: readiness,
                batchSize: tool.configuration.outboxBatchSize, idlePollMilliseconds: tool.configuration.outboxPollMilliseconds,
                producer: "bench", logger: tool.logger)
            let handler = InboxHandler(
                queue: queue.name, inbox: inbox, outbox: outbox, database: database, readiness: readiness, logger: tool.logger
            ) { _, _ in }
            let consumer = BusConsumer(
                queue: queue, prefetch: tool.configuration.prefetch, link: consumerLink, publisher: publisher,
                logger: tool.logger, handler: { await handler.handle($0) })

            let total = events, writers = self.writers, perTransaction = self.perTransaction
            // Each writer commits one transaction per interval to hold the target rate.
            let interval: Duration? = rate > 0 ? .microseconds(Int64(writers * perTransaction) * 1_000_000 / Int64(rate)) : nil
            print("bench bus: \(total) events, \(writers) writers, \(perTransaction) events per transaction, rate \(rate > 0 ? "\(rate)/s" : "unlimited")")
            let started = Date()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await relay.run() }
                group.addTask { try await consumer.run() }
                try await withThrowingTaskGroup(of: Void.self) { writersGroup in
                    for writer in 0..<writers {
                        writersGroup.addTask {
                            var sent = writer * perTransaction
                            let clock = ContinuousClock()
                            var next = clock.now
                            while sent < total {
                                if let interval {
                                    try await clock.sleep(until: next)
                                    next += interval
                                }
                                let batch = min(perTransaction, total - sent), first = sent
                                try await database.withTransaction { connection in
                                    for index in 0..<batch {
                                        try outbox.enqueue(
                                            EventEnvelope(
                                                type: "bench.tick", correlationId: "bench",
                                                producer: "bench", payload: .object(["n": .number(Double(first + index))])),
                                            on: connection)
                                    }
                                }
                                sent += writers * perTransaction
                            }
                        }
                    }
                    try await writersGroup.waitForAll()
                }
                // Wait for the consumer to catch up, with progress.
                var last = -1
                while true {
                    let done = try await database.withConnection {
                        try $0.query("SELECT count(*) AS n FROM bench.inbox").one().decode("n", as: Int.self)
                    }
                    if done != last {
                        FileHandle.standardError.write(Data("\r  consumed \(done)/\(total)".utf8))
                        last = done
                    }
                    if done >= total { break }
                    if Date().timeIntervalSince(started) > 600 { throw ValidationError("gave up after 600 s at \(done)/\(total)") }
                    try await Task.sleep(for: .milliseconds(200))
                }
                FileHandle.standardError.write(Data("\n".utf8))
                group.cancelAll()
            }
            let stats = try await database.withConnection { connection in
                try connection.query(
                    """
                    SELECT count(*) AS n,
                           extract(epoch FROM max(i.handled_at) - min(o.created_at))::float8 AS span,
                           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM i.handled_at - o.created_at))::float8 AS p50,
                           percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM i.handled_at - o.created_at))::float8 AS p99,
                           (SELECT count(*) FROM bench.outbox WHERE published_at IS NOT NULL) AS relayed
                    FROM bench.outbox o JOIN bench.inbox i ON i.message_id = o.id
                    """
                ).one()
            }
            let count: Int = try stats.decode("n"), span: Double = try stats.decode("span")
            let p50: Double = try stats.decode("p50"), p99: Double = try stats.decode("p99")
            print(String(format: "events: %d consumed once each (relayed %d)", count, try stats.decode("relayed", as: Int.self)))
            print(String(format: "throughput: %.0f events/s end to end (%.2f s)", Double(count) / span, span))
            print(String(format: "latency commit -> consumer commit: p50 %.1f ms, p99 %.1f ms", p50 * 1000, p99 * 1000))
            await publisher.close()
            await database.close()
            await tool.database.close()
        }
    }
}
