import Foundation

/// The envelope every message on `portal.events` travels in (DESIGN.md, Messages).
///
/// On the wire it is the JSON body; the AMQP `message_id` property carries `id` and
/// `type` carries `type`, so that brokers and tools can see both without parsing.
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
    public var payload: JSONValue

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
        self.payload = payload
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
        let data = try EventCoding.encoder.encode(event)
        self.init(
            id: id, type: Event.type, version: Event.version, occurredAt: occurredAt,
            correlationId: correlationId, causationId: causationId, producer: producer,
            payload: try EventCoding.decoder.decode(JSONValue.self, from: data)
        )
    }

    /// Decodes the payload as a typed event; throws when the type or version does not match.
    public func decode<Event: PortalEvent>(_: Event.Type) throws -> Event {
        guard type == Event.type else {
            throw EventDecodingError(expected: Event.type, found: type)
        }
        let data = try EventCoding.encoder.encode(payload)
        return try EventCoding.decoder.decode(Event.self, from: data)
    }

    /// The wire form: UTF-8 JSON with sorted keys and ISO 8601 dates.
    public func encoded() throws -> [UInt8] {
        Array(try EventCoding.encoder.encode(self))
    }

    /// Reads the wire form.
    public static func decode(from bytes: some Collection<UInt8>) throws -> EventEnvelope {
        try EventCoding.decoder.decode(EventEnvelope.self, from: Data(bytes))
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
