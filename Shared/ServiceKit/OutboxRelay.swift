import Foundation
import Logging
import MessageBus
import Metrics
import ServiceLifecycle
import Store

/// Publishes a schema's outbox rows to `portal.events` with publisher confirms.
///
/// One round: lock a batch of pending rows (`FOR UPDATE SKIP LOCKED`, so several
/// instances share the work), publish them all, wait once for the confirms, mark them
/// published and commit. A crash before the commit leaves the rows pending and they are
/// published again: consumers deduplicate by message id, so nothing is lost and no effect
/// is doubled.
public final class OutboxRelay: Service, Sendable {
    private let outbox: Outbox
    private let database: DatabasePool
    private let publisher: BrokerLink
    private let readiness: Readiness
    private let batchSize: Int
    private let idlePoll: Duration
    private let producer: String
    private let logger: Logger
    private let relayed: Counter
    private let lag: Timer

    public init(
        outbox: Outbox, database: DatabasePool, publisher: BrokerLink, readiness: Readiness,
        batchSize: Int, idlePollMilliseconds: Int, producer: String, logger: Logger
    ) {
        self.outbox = outbox
        self.database = database
        self.publisher = publisher
        self.readiness = readiness
        self.batchSize = max(1, batchSize)
        self.idlePoll = .milliseconds(max(1, idlePollMilliseconds))
        self.producer = producer
        self.logger = logger
        relayed = Counter(label: "portal_outbox_relayed_total", dimensions: [("schema", outbox.schema)])
        lag = Timer(label: "portal_outbox_lag_seconds", dimensions: [("schema", outbox.schema)])
    }

    public func run() async throws {
        await readiness.waitUntilMigrated()
        var backoff = Backoff()
        // Between empty rounds the wait grows to 10× the interval, and snaps back on work.
        var idleWait = idlePoll
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                let count = try await relayOnce()
                backoff.reset()
                // While rows keep coming, go straight on: the next round takes what arrived
                // during this one. Only an empty round waits.
                if count > 0 {
                    idleWait = idlePoll
                    continue
                }
                try? await Task.sleep(for: idleWait)
                idleWait = min(idleWait * 2, idlePoll * 10)
            } catch {
                let delay = backoff.next()
                logger.warning(
                    "outbox relay failed; will retry",
                    metadata: ["outbox.schema": .string(outbox.schema), "error": .string("\(error)"), "retry.in": .string("\(delay)")])
                try? await Task.sleep(for: delay)
            }
        }
    }

    /// Publishes one batch; returns how many rows it published.
    @discardableResult
    public func relayOnce() async throws -> Int {
        let outbox = self.outbox, batchSize = self.batchSize, producer = self.producer
        return try await database.withLease { lease in
            let pending = try await lease.run { connection -> [Outbox.Pending] in
                try connection.script("BEGIN")
                return try outbox.lockPending(limit: batchSize, on: connection)
            }
            guard !pending.isEmpty else { return 0 }
            let messages = pending.map {
                OutgoingMessage(
                    encodedEvent: Array($0.envelope.utf8), id: $0.id.uuidString.lowercased(), type: $0.routingKey,
                    producer: producer)
            }
            // Only a row whose own message the broker acknowledged is marked published; the
            // others (refused, or unanswered when the connection went) stay pending for the
            // next round. Consumers deduplicate, so a row sent twice is applied once.
            let report = await publisher.publishReporting(messages)
            let confirmed = Set(report.confirmed)
            let published = pending.indices.filter { confirmed.contains($0) }.map { pending[$0].seq }
            let unconfirmed = pending.indices.filter { !confirmed.contains($0) }.map { pending[$0].seq }
            let reason = report.failure.map { "\($0)" } ?? "the broker did not confirm"
            try await lease.run { connection in
                try outbox.markPublished(published, on: connection)
                try outbox.markFailed(unconfirmed, error: reason, on: connection)
                try connection.script("COMMIT")
            }
            if !unconfirmed.isEmpty {
                if published.count > 0 { relayed.increment(by: published.count) }
                throw RelayError(description: "\(unconfirmed.count) of \(pending.count) event(s) not confirmed: \(reason)")
            }
            let now = Date()
            relayed.increment(by: pending.count)
            for row in pending { lag.recordSeconds(now.timeIntervalSince(row.createdAt)) }
            return pending.count
        }
    }
}

/// A round in which some events were not confirmed; they stay pending.
struct RelayError: Error, CustomStringConvertible {
    let description: String
}
