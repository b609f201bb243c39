import Foundation
import Logging
import Metrics
import ServiceLifecycle

/// What a handler decided about one delivery.
public enum DeliveryOutcome: Sendable, Equatable {
    /// Done (or a duplicate): acknowledge.
    case ack
    /// Failed for a reason that may pass: try again after the queue's next delay,
    /// or dead-letter once the attempts are used up.
    case retry(reason: String)
    /// Can never succeed (malformed, unknown version): straight to `<queue>.dead`.
    case deadLetter(reason: String)
}

/// Consumes one queue with manual acknowledgement and an explicit prefetch, settling each
/// delivery only after its handler has returned (so after its transaction committed).
/// Deliveries that have already arrived are handed over together (up to `batchSize`), so
/// that a handler can commit them in one transaction.
///
/// Failed deliveries go to the retry exchange with a growing delay and come back; after
/// the queue's `maxAttempts` they go to `<queue>.dead` with the reason in a header. On
/// graceful shutdown the delivery in hand is settled, then the loop returns; what was
/// prefetched but not handled goes back to the queue when the connection closes.
public final class BusConsumer: Service, Sendable {
    /// Decides the outcome of each delivery, in order.
    public typealias Handler = @Sendable ([Delivery]) async -> [DeliveryOutcome]

    private let queue: Topology.Queue
    private let prefetch: Int
    private let batchSize: Int
    private let link: BrokerLink
    private let publisher: BrokerLink
    private let handler: Handler
    private let logger: Logger
    private let handled: Counter
    private let retried: Counter
    private let deadLettered: Counter

    /// `link` must be the consumer's own; `publisher` sends retries and dead letters with confirms.
    public init(
        queue: Topology.Queue, prefetch: Int, batchSize: Int = 100, link: BrokerLink, publisher: BrokerLink,
        logger: Logger, handler: @escaping Handler
    ) {
        self.queue = queue
        self.prefetch = prefetch
        self.batchSize = max(1, min(batchSize, prefetch))
        self.link = link
        self.publisher = publisher
        self.handler = handler
        self.logger = logger
        handled = Counter(label: "portal_messages_handled_total", dimensions: [("queue", queue.name)])
        retried = Counter(label: "portal_messages_retried_total", dimensions: [("queue", queue.name)])
        deadLettered = Counter(label: "portal_messages_dead_lettered_total", dimensions: [("queue", queue.name)])
    }

    public func run() async throws {
        var backoff = Backoff()
        var consuming = false
        let queue = self.queue, prefetch = self.prefetch, batchSize = self.batchSize
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                // Every new session (after a lost connection, a missed heartbeat) consumes anew.
                let deliveries = try await link.withSession { session in
                    try session.consume(queue: queue.name, prefetch: prefetch)
                    return try session.nextDeliveries(max: batchSize, timeoutSeconds: 0.5)
                }
                if !consuming {
                    consuming = true
                    backoff.reset()
                    logger.info("consuming", metadata: ["bus.queue": .string(queue.name)])
                }
                guard !deliveries.isEmpty else { continue }
                let outcomes = await handler(deliveries)
                var settlements = [Settlement]()
                for (delivery, outcome) in zip(deliveries, outcomes) {
                    settlements.append(try await settle(delivery, outcome))
                }
                // Deliveries the handler gave no outcome for go back to the queue.
                settlements += deliveries.dropFirst(outcomes.count).map { .requeue($0) }
                let settled = settlements
                try await link.withSession { session in
                    for settlement in settled {
                        switch settlement {
                        case .ack(let delivery): try session.ack(delivery)
                        case .requeue(let delivery): try session.reject(delivery, requeue: true)
                        }
                    }
                }
            } catch {
                consuming = false
                await link.reset()
                let delay = backoff.next()
                logger.warning(
                    "consumer lost the broker; reconnecting",
                    metadata: ["bus.queue": .string(queue.name), "error": .string("\(error)"), "retry.in": .string("\(delay)")])
                try? await Task.sleep(for: delay)
            }
        }
        await link.close()
    }

    /// What to tell the broker about one delivery, once its retry or dead copy is safe.
    enum Settlement {
        case ack(Delivery)
        case requeue(Delivery)
    }

    private func settle(_ delivery: Delivery, _ outcome: DeliveryOutcome) async throws -> Settlement {
        var metadata: Logger.Metadata = ["bus.queue": .string(queue.name), "message.id": .string(delivery.messageId ?? "-")]
        switch outcome {
        case .ack:
            handled.increment()
        case .retry(let reason) where delivery.attempt < queue.maxAttempts:
            let tier = queue.retryTier(afterAttempt: delivery.attempt)
            let retry = delivery.republished(
                exchange: Topology.retryExchange, routingKey: queue.retryQueue(tier: tier),
                headers: [
                    Topology.Header.attempt: .int(Int64(delivery.attempt + 1)),
                    Topology.Header.lastError: .string(String(reason.prefix(500))),
                ])
            do {
                try await publisher.publish([retry])
            } catch {
                return await requeue(delivery, because: error)
            }
            retried.increment()
            metadata["message.attempt"] = .stringConvertible(delivery.attempt)
            logger.warning("handler failed; retrying later: \(reason)", metadata: metadata)
        case .retry(let reason), .deadLetter(let reason):
            let dead = delivery.republished(
                exchange: Topology.deadLettersExchange, routingKey: queue.name,
                headers: [
                    Topology.Header.deathReason: .string(String(reason.prefix(1000))),
                    Topology.Header.deadFrom: .string(queue.name),
                    Topology.Header.attempt: .int(Int64(delivery.attempt)),
                ])
            do {
                try await publisher.publish([dead])
            } catch {
                return await requeue(delivery, because: error)
            }
            deadLettered.increment()
            metadata["message.attempt"] = .stringConvertible(delivery.attempt)
            logger.error("message dead-lettered: \(reason)", metadata: metadata)
        }
        return .ack(delivery)
    }

    /// The retry or dead-letter copy could not be published: give the message back to its
    /// queue (the broker's delivery limit bounds how often) rather than lose it.
    private func requeue(_ delivery: Delivery, because error: any Error) async -> Settlement {
        logger.warning("cannot publish a retry; requeueing", metadata: ["bus.queue": .string(queue.name), "error": .string("\(error)")])
        try? await Task.sleep(for: .milliseconds(500))
        return .requeue(delivery)
    }
}
