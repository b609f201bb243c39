import CRabbitMQ
import Models

/// A message to publish.
public struct OutgoingMessage: Sendable, Equatable {
    public var exchange: String
    public var routingKey: String
    public var body: [UInt8]
    public var messageId: String?
    public var type: String?
    public var correlationId: String?
    public var contentType: String
    public var producer: String
    public var headers: [String: HeaderValue]

    public init(
        exchange: String, routingKey: String, body: [UInt8], messageId: String? = nil, type: String? = nil,
        correlationId: String? = nil, contentType: String = "application/json", producer: String,
        headers: [String: HeaderValue] = [:]
    ) {
        self.exchange = exchange
        self.routingKey = routingKey
        self.body = body
        self.messageId = messageId
        self.type = type
        self.correlationId = correlationId
        self.contentType = contentType
        self.producer = producer
        self.headers = headers
    }

    /// An event for `portal.events`, with the envelope's id and type as AMQP properties.
    public init(event: EventEnvelope, exchange: String = Topology.eventsExchange) throws {
        self.init(
            exchange: exchange, routingKey: event.type, body: try event.encoded(),
            messageId: event.id.uuidString.lowercased(), type: event.type, correlationId: event.correlationId,
            producer: event.producer)
    }

    /// Publishes an envelope already encoded (the outbox keeps the exact bytes it committed).
    public init(encodedEvent body: [UInt8], id: String, type: String, producer: String,
                exchange: String = Topology.eventsExchange) {
        self.init(exchange: exchange, routingKey: type, body: body, messageId: id, type: type, producer: producer)
    }
}

/// A message the broker delivered, not yet settled.
public struct Delivery: Sendable {
    public let deliveryTag: UInt64
    public let redelivered: Bool
    public let exchange: String
    public let routingKey: String
    public let messageId: String?
    public let type: String?
    public let correlationId: String?
    public let producer: String?
    public let headers: [String: HeaderValue]
    public let body: [UInt8]
    /// The session that received it: its tag can only be settled there.
    let session: UInt64

    init(deliveryTag: UInt64, redelivered: Bool, exchange: String, routingKey: String,
         properties: amqp_basic_properties_t, body: [UInt8], session: UInt64) {
        self.session = session
        self.deliveryTag = deliveryTag
        self.redelivered = redelivered
        self.exchange = exchange
        self.routingKey = routingKey
        let flags = properties._flags
        messageId = flags & portal_flag_message_id != 0 ? AMQPSession.string(properties.message_id) : nil
        type = flags & portal_flag_type != 0 ? AMQPSession.string(properties.type) : nil
        correlationId = flags & portal_flag_correlation_id != 0 ? AMQPSession.string(properties.correlation_id) : nil
        producer = flags & portal_flag_app_id != 0 ? AMQPSession.string(properties.app_id) : nil
        headers = flags & portal_flag_headers != 0 ? HeaderValue.read(properties.headers) : [:]
        self.body = body
    }

    /// Which attempt this is: 1 for the first delivery, counted by the retry path. Anyone who may
    /// publish can set the header, so it is taken within 1…1,000,000: the retry path adds one to it
    /// and picks a tier from it, and neither may overflow.
    public var attempt: Int { Self.attempt(header: headers[Topology.Header.attempt]) }

    /// The attempt a header names, within 1…1,000,000; 1 without one.
    public static func attempt(header: HeaderValue?) -> Int {
        Int(min(max(header?.intValue ?? 1, 1), 1_000_000))
    }

    /// The routing key the message was first published with (retries re-route by queue name).
    public var originalRoutingKey: String {
        headers[Topology.Header.originalRoutingKey]?.stringValue ?? routingKey
    }

    /// This message again, for another exchange and key, with extra headers.
    func republished(exchange: String, routingKey: String, headers extra: [String: HeaderValue]) -> OutgoingMessage {
        var headers = self.headers
        if headers[Topology.Header.originalRoutingKey] == nil {
            headers[Topology.Header.originalRoutingKey] = .string(self.routingKey)
        }
        headers.merge(extra) { _, new in new }
        return OutgoingMessage(
            exchange: exchange, routingKey: routingKey, body: body, messageId: messageId, type: type,
            correlationId: correlationId, producer: producer ?? "portal", headers: headers)
    }
}
