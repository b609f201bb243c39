import Foundation
import Logging
import MessageBus
import Models
import Store

/// What a service does with one event, inside the transaction that also records it in the
/// inbox. Write follow-up events to `context.outbox` on the same connection; never publish.
public typealias EventHandler = @Sendable (EventEnvelope, EventContext) throws -> Void

/// What a service does with the new events of one delivered batch, in the one transaction that
/// also records them in the inbox: for handlers that do set-based work. A batch that fails is
/// handled again one event at a time, so it must give the same result for a single event.
public typealias BatchEventHandler = @Sendable ([EventEnvelope], EventContext) throws -> Void

/// Where a service keeps a failed event visible to people, in a transaction of its own after the
/// handler's was rolled back; `permanent` when the message goes to `<queue>.dead`, else it is retried.
public typealias FailureRecorder = @Sendable (EventEnvelope, any Error, _ permanent: Bool, Connection) throws -> Void

/// How a consumer applies a delivered batch in several transactions at once: by the subject
/// each event is about (an item's id), so that the events of one subject stay in one lane, in the
/// order they came, while other subjects' events commit beside them. Events without a subject go
/// to the first lane. A lane is one more connection and one more thread: on a loaded machine a
/// consumer with one thread gets one share of the CPU among all the runnable threads, and its
/// queue grows behind the requests that feed it.
public struct EventLanes: Sendable {
    public let count: Int
    public let subject: @Sendable (EventEnvelope) -> String?

    public init(count: Int, subject: @escaping @Sendable (EventEnvelope) -> String?) {
        self.count = max(1, count)
        self.subject = subject
    }

    /// The lanes of a batch, the empty ones left out; each keeps the batch's order.
    public func split<Event>(_ events: [Event], envelope: (Event) -> EventEnvelope) -> [[Event]] {
        guard count > 1 else { return events.isEmpty ? [] : [events] }
        var lanes = [[Event]](repeating: [], count: count)
        for event in events {
            let lane = subject(envelope(event)).map { Int(UInt(bitPattern: $0.hashValue) % UInt(count)) } ?? 0
            lanes[lane].append(event)
        }
        return lanes.filter { !$0.isEmpty }
    }
}

/// The transaction an event handler runs in.
public struct EventContext {
    public let connection: Connection
    public let outbox: Outbox
    public let logger: Logger

    public init(connection: Connection, outbox: Outbox, logger: Logger) {
        self.connection = connection
        self.outbox = outbox
        self.logger = logger
    }

    /// The same transaction for one event of a batch: its log lines carry the event's message id,
    /// type and correlation id.
    public func about(_ envelope: EventEnvelope) -> EventContext {
        var logger = logger
        logger[metadataKey: "message.id"] = .string(envelope.id.uuidString.lowercased())
        logger[metadataKey: "message.type"] = .string(envelope.type)
        logger[metadataKey: "correlation.id"] = .string(envelope.correlationId)
        return EventContext(connection: connection, outbox: outbox, logger: logger)
    }
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
    let batchHandler: BatchEventHandler?
    let failureRecorder: FailureRecorder?
    let lanes: EventLanes

    /// `lanes`: a batch's events applied in that many transactions at once, by subject; one by default.
    public init(
        queue: String, inbox: Inbox, outbox: Outbox, database: DatabasePool, readiness: Readiness, logger: Logger,
        handler: @escaping EventHandler, batchHandler: BatchEventHandler? = nil, failureRecorder: FailureRecorder? = nil,
        lanes: EventLanes = EventLanes(count: 1) { _ in nil }
    ) {
        self.lanes = lanes
        self.batchHandler = batchHandler
        self.failureRecorder = failureRecorder
        self.queue = queue
        self.inbox = inbox
        self.outbox = outbox
        self.database = database
        self.readiness = readiness
        self.logger = logger
        self.handler = handler
    }

    /// Handles a batch in one transaction per lane: one commit for many messages. When any
    /// handler fails, its lane is rolled back and that lane's messages are handled one
    /// transaction each, so that one bad message never holds back or repeats the effects of the others.
    public func handle(_ deliveries: [Delivery]) async -> [DeliveryOutcome] {
        var outcomes = [DeliveryOutcome?](repeating: nil, count: deliveries.count)
        var events = [(index: Int, envelope: EventEnvelope)]()
        for (index, delivery) in deliveries.enumerated() {
            do {
                events.append((index, try EventEnvelope.decode(from: delivery.body)))
            } catch {
                outcomes[index] = .deadLetter(reason: "malformed envelope: \(error)")
            }
        }
        await readiness.waitUntilMigrated()
        let lanes = self.lanes.split(events) { $0.envelope }
        if lanes.count == 1 {
            for (index, outcome) in await handle(lane: lanes[0]) { outcomes[index] = outcome }
        } else {
            await withTaskGroup(of: [(Int, DeliveryOutcome)].self) { group in
                for lane in lanes { group.addTask { await self.handle(lane: lane) } }
                for await settled in group {
                    for (index, outcome) in settled { outcomes[index] = outcome }
                }
            }
        }
        return outcomes.map { $0 ?? .ack }
    }

    /// One lane's events: together in one transaction, or, when that fails, one by one.
    private func handle(lane events: [(index: Int, envelope: EventEnvelope)]) async -> [(Int, DeliveryOutcome)] {
        if events.count > 1, (try? await apply(events.map(\.envelope))) != nil {
            return events.map { ($0.index, .ack) }
        }
        var settled = [(Int, DeliveryOutcome)]()
        for event in events {
            settled.append((event.index, await handleOne(event.envelope)))
        }
        return settled
    }

    private func handleOne(_ envelope: EventEnvelope) async -> DeliveryOutcome {
        do {
            try await apply([envelope])
            return .ack
        } catch let failure as PermanentFailure {
            await record(envelope, failure, permanent: true)
            return .deadLetter(reason: failure.reason)
        } catch {
            await record(envelope, error, permanent: false)
            logger.warning(
                "event handler failed",
                metadata: ["message.id": .string(envelope.id.uuidString.lowercased()), "message.type": .string(envelope.type),
                           "correlation.id": .string(envelope.correlationId), "error": .string("\(error)")])
            return .retry(reason: "\(error)")
        }
    }

    private func record(_ envelope: EventEnvelope, _ error: any Error, permanent: Bool) async {
        guard let failureRecorder else { return }
        do {
            try await database.withTransaction { try failureRecorder(envelope, error, permanent, $0) }
        } catch {
            logger.error("a failed event could not be recorded", metadata: ["message.id": .string(envelope.id.uuidString.lowercased()),
                                                                            "error": .string("\(error)")])
        }
    }

    /// Claims every event in one statement and applies the new ones, all in one transaction;
    /// a duplicate (an id already in the inbox, or twice in the batch) is skipped.
    private func apply(_ envelopes: [EventEnvelope]) async throws {
        let inbox = self.inbox, outbox = self.outbox, queue = self.queue, handler = self.handler, logger = self.logger
        let batchHandler = self.batchHandler
        try await database.withTransaction { connection in
            var claimed = try inbox.claim(envelopes.map { ($0.id, $0.type) }, queue: queue, on: connection)
            if let batchHandler {
                let fresh = envelopes.filter { claimed.remove($0.id) != nil }
                if !fresh.isEmpty { try batchHandler(fresh, EventContext(connection: connection, outbox: outbox, logger: logger)) }
                return
            }
            let batch = EventContext(connection: connection, outbox: outbox, logger: logger)
            for envelope in envelopes {
                let context = batch.about(envelope)
                guard claimed.remove(envelope.id) != nil else {
                    context.logger.debug("duplicate delivery; already handled")
                    continue
                }
                try handler(envelope, context)
            }
        }
    }
}
