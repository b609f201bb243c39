import Foundation

/// The envelope every message on `portal.events` travels in (DESIGN.md, Messages).
///
/// On the wire it is the JSON body; the AMQP `message_id` property carries `id` and
/// `type` carries `type`, so that brokers and tools can see both without parsing.
///
/// The payload is kept in the form it came in: the typed event a producer wrapped (encoded
/// once, straight into the wire form) or the wire bytes a consumer received (decoded once,
/// straight into the typed event the handler asks for). A `JSONValue` is made only for the
/// handlers that read the payload untyped. Before, every event went event → JSON →
/// `JSONValue` → JSON on the way out and the reverse on the way in: a fifth of a consumer's time.
public struct EventEnvelope: Codable, Sendable, Equatable {
    /// Unique per event; consumers deduplicate on it (the inbox).
    public var id: UUID
    /// The routing key, e.g. `article.approved`.
    public var type: String
    /// The payload's schema version for this type.
    public var version: Int
    public var occurredAt: Date
    /// Shared by every event that one user request set off.
    public var correlationId: String
    /// The id of the event or request that caused this one.
    public var causationId: String?
    /// The service that wrote the event.
    public var producer: String
    private var body: Body

    /// Where the payload is.
    private enum Body: Sendable {
        case value(JSONValue)
        case event(any Encodable & Sendable)
        /// The whole envelope as received; the payload is read from it on demand.
        case wire([UInt8])
    }

    public var payload: JSONValue {
        get {
            if case .value(let value) = body { return value }
            return (try? payload(as: JSONValue.self)) ?? .null
        }
        set { body = .value(newValue) }
    }

    public init(
        id: UUID = UUID(),
        type: String,
        version: Int = 1,
        occurredAt: Date = Date(),
        correlationId: String,
        causationId: String? = nil,
        producer: String,
        payload: JSONValue
    ) {
        self.id = id
        self.type = type
        self.version = version
        self.occurredAt = occurredAt
        self.correlationId = correlationId
        self.causationId = causationId
        self.producer = producer
        self.body = .value(payload)
    }

    /// Wraps a typed event, keeping its routing key and version.
    public init<Event: PortalEvent>(
        _ event: Event,
        id: UUID = UUID(),
        occurredAt: Date = Date(),
        correlationId: String,
        causationId: String? = nil,
        producer: String
    ) throws {
        self.init(
            id: id, type: Event.type, version: Event.version, occurredAt: occurredAt,
            correlationId: correlationId, causationId: causationId, producer: producer, payload: .null)
        body = .event(event)
    }

    /// An untyped payload given as any encodable value (a status with extra fields, say).
    public init(
        type: String, correlationId: String, causationId: String? = nil, producer: String, encoding payload: some Encodable & Sendable
    ) {
        self.init(type: type, correlationId: correlationId, causationId: causationId, producer: producer, payload: .null)
        body = .event(payload)
    }

    /// Decodes the payload as a typed event; throws when the type or version does not match.
    public func decode<Event: PortalEvent>(_: Event.Type) throws -> Event {
        guard type == Event.type else {
            throw EventDecodingError(expected: Event.type, found: type)
        }
        return try payload(as: Event.self)
    }

    /// The payload decoded as `Payload`, from the wire bytes when the envelope came from the wire.
    public func payload<Payload: Decodable>(as _: Payload.Type) throws -> Payload {
        switch body {
        case .wire(let bytes):
            return try EventCoding.decoder.decode(PayloadOnly<Payload>.self, from: Data(bytes)).payload
        case .event(let event as Payload):
            return event
        default:
            return try EventCoding.decoder.decode(Payload.self, from: EventCoding.encoder.encode(AnyEncodable(payloadEncodable)))
        }
    }

    private var payloadEncodable: any Encodable & Sendable {
        switch body {
        case .value(let value): value
        case .event(let event): event
        case .wire: payload
        }
    }

    /// The wire form: UTF-8 JSON with sorted keys and ISO 8601 dates.
    public func encoded() throws -> [UInt8] {
        Array(try EventCoding.encoder.encode(self))
    }

    /// Reads the wire form: the envelope's fields now, the payload when a handler asks for it.
    public static func decode(from bytes: some Collection<UInt8>) throws -> EventEnvelope {
        let bytes = Array(bytes)
        return EventEnvelope(try EventCoding.decoder.decode(Header.self, from: Data(bytes)), body: .wire(bytes))
    }

    private init(_ header: Header, body: Body) {
        self.init(
            id: header.id, type: header.type, version: header.version, occurredAt: header.occurredAt,
            correlationId: header.correlationId, causationId: header.causationId, producer: header.producer, payload: .null)
        self.body = body
    }

    enum CodingKeys: String, CodingKey {
        case id, type, version, occurredAt, correlationId, causationId, producer, payload
    }

    public init(from decoder: any Decoder) throws {
        let payload = try decoder.container(keyedBy: CodingKeys.self).decode(JSONValue.self, forKey: .payload)
        self.init(try Header(from: decoder), body: .value(payload))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(type, forKey: .type)
        try container.encode(version, forKey: .version)
        try container.encode(occurredAt, forKey: .occurredAt)
        try container.encode(correlationId, forKey: .correlationId)
        try container.encodeIfPresent(causationId, forKey: .causationId)
        try container.encode(producer, forKey: .producer)
        try container.encode(AnyEncodable(payloadEncodable), forKey: .payload)
    }

    public static func == (left: EventEnvelope, right: EventEnvelope) -> Bool {
        left.id == right.id && left.type == right.type && left.version == right.version && left.occurredAt == right.occurredAt
            && left.correlationId == right.correlationId && left.causationId == right.causationId && left.producer == right.producer
            && left.payload == right.payload
    }

    /// The envelope's fields without its payload, which the decoder skips.
    private struct Header: Decodable {
        var id: UUID
        var type: String
        var version: Int
        var occurredAt: Date
        var correlationId: String
        var causationId: String?
        var producer: String
        /// Required, but not built: the handler decodes it as the type it expects.
        var payload: Present
    }

    private struct Present: Decodable {
        init(from decoder: any Decoder) throws {}
    }

    private struct PayloadOnly<Payload: Decodable>: Decodable {
        var payload: Payload
    }

    private struct AnyEncodable: Encodable {
        let value: any Encodable
        init(_ value: any Encodable) { self.value = value }
        func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
    }
}

/// A typed event payload with its routing key and schema version.
public protocol PortalEvent: Codable, Sendable, Equatable {
    static var type: String { get }
    static var version: Int { get }
}

/// The payload of an envelope is not the event the consumer expected.
public struct EventDecodingError: Error, CustomStringConvertible {
    public var expected: String
    public var found: String
    public var description: String { "expected event \(expected), found \(found)" }
}

/// One JSON configuration for every message, so that fixtures pin a single wire format.
public enum EventCoding {
    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp.format(date))
        }
        return encoder
    }

    public static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = Timestamp.parse(text) else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "not an ISO 8601 timestamp: \(text)")
            }
            return date
        }
        return decoder
    }
}
