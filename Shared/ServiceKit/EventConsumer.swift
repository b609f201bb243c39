import Foundation
import Logging
import MessageBus
import Models
import Store

/// What a service does with one event, inside the transaction that also records it in the
/// inbox. Write follow-up events to `context.outbox` on the same connection; never publish.
public typealias EventHandler = @Sendable (EventEnvelope, EventContext) throws -> Void

/// The transaction an event handler runs in.
public struct EventContext {
    public let connection: Connection
    public let outbox: Outbox
    public let logger: Logger
}

/// A handler's way to say that retrying can never help (the message goes straight to `<queue>.dead`).
public struct PermanentFailure: Error, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// Turns an `EventHandler` into the bus's delivery handler: decode the envelope, then in
/// one transaction claim the message id in the inbox and apply the effect; a duplicate
/// commits nothing and is acknowledged.
public struct InboxHandler: Sendable {
    let queue: String
    let inbox: Inbox
    let outbox: Outbox
    let database: DatabasePool
    let readiness: Readiness
    let logger: Logger
    let handler: EventHandler

    public init(
        queue: String, inbox: Inbox, outbox: Outbox, database: DatabasePool, readiness: Readiness, logger: Logger,
        handler: @escaping EventHandler
    ) {
        self.queue = queue
        self.inbox = inbox
        self.outbox = outbox
        self.database = database
        self.readiness = readiness
        self.logger = logger
        self.handler = handler
    }

    public func handle(_ delivery: Delivery) async -> DeliveryOutcome {
        let envelope: EventEnvelope
        do {
            envelope = try EventEnvelope.decode(from: delivery.body)
        } catch {
            return .deadLetter(reason: "malformed envelope: \(error)")
        }
        await readiness.waitUntilMigrated()
        var logger = self.logger
        logger[metadataKey: "message.id"] = .string(envelope.id.uuidString.lowercased())
        logger[metadataKey: "message.type"] = .string(envelope.type)
        logger[metadataKey: "correlation.id"] = .string(envelope.correlationId)
        let inbox = self.inbox, outbox = self.outbox, queue = self.queue, handler = self.handler
        let eventLogger = logger
        do {
            try await database.withTransaction { connection in
                guard try inbox.claim(messageId: envelope.id, queue: queue, eventType: envelope.type, on: connection) else {
                    eventLogger.debug("duplicate delivery; already handled")
                    return
                }
                try handler(envelope, EventContext(connection: connection, outbox: outbox, logger: eventLogger))
            }
            return .ack
        } catch let failure as PermanentFailure {
            return .deadLetter(reason: failure.reason)
        } catch {
            logger.warning("event handler failed", metadata: ["error": .string("\(error)")])
            return .retry(reason: "\(error)")
        }
    }
}
