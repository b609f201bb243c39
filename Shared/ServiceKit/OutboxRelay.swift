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
    /// Rows set aside because the broker refused them for good.
    private let refusedCount: Counter
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
        refusedCount = Counter(label: "portal_outbox_refused_total", dimensions: [("schema", outbox.schema)])
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
                connection.begin()
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
            var published = pending.indices.filter { confirmed.contains($0) }.map { pending[$0].seq }
            var unconfirmed = pending.indices.filter { !confirmed.contains($0) }
            var refused = [Int]()
            var reason = report.failure.map { "\($0)" } ?? "the broker did not confirm"
            // Refused for good (this login may not publish one of the routing keys): the rows are
            // sent again one by one, so that only the refused ones are set aside and none blocks
            // the rows after it.
            if Self.isRefusal(report.failure) {
                var left = unconfirmed[...]
                unconfirmed = []
                while let index = left.popFirst() {
                    let single = await publisher.publishReporting([messages[index]])
                    if single.allConfirmed {
                        published.append(pending[index].seq)
                    } else if Self.isRefusal(single.failure) {
                        refused.append(index)
                        reason = single.failure.map { "\($0)" } ?? reason
                    } else {
                        unconfirmed = [index] + Array(left)
                        reason = single.failure.map { "\($0)" } ?? "the broker did not confirm"
                        break
                    }
                }
            }
            let refusedSeqs = refused.map { pending[$0].seq }, failedSeqs = unconfirmed.map { pending[$0].seq }
            let refusal = reason, publishedSeqs = published
            try await lease.run { connection in
                try outbox.markPublished(publishedSeqs, on: connection)
                try outbox.markRefused(refusedSeqs, error: refusal, on: connection)
                try outbox.markFailed(failedSeqs, error: refusal, on: connection)
                try connection.script("COMMIT")
            }
            if !refused.isEmpty {
                refusedCount.increment(by: refused.count)
                logger.error(
                    "the broker refused events for good; set aside in the outbox",
                    metadata: ["outbox.schema": .string(outbox.schema), "routing.keys": .string(Set(refused.map { pending[$0].routingKey }).sorted().joined(separator: ",")),
                               "count": .stringConvertible(refused.count), "error": .string(reason)])
            }
            if !failedSeqs.isEmpty {
                if published.count > 0 { relayed.increment(by: published.count) }
                throw RelayError(description: "\(failedSeqs.count) of \(pending.count) event(s) not confirmed: \(reason)")
            }
            let now = Date()
            relayed.increment(by: published.count)
            for row in pending { lag.recordSeconds(now.timeIntervalSince(row.createdAt)) }
            return pending.count
        }
    }
}

extension OutboxRelay {
    /// The broker closed the channel with 403 ACCESS_REFUSED: the login may not publish that
    /// routing key, and sending it again will not change that.
    static func isRefusal(_ error: (any Error)?) -> Bool {
        error.map { "\($0)".contains("403 ACCESS_REFUSED") } ?? false
    }
}

/// A round in which some events were not confirmed; they stay pending.
struct RelayError: Error, CustomStringConvertible {
    let description: String
}
