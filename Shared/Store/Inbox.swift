import Foundation

/// The inbox of one schema: the ids of messages whose effect has been committed, so that
/// a redelivered message changes nothing.
public struct Inbox: Sendable {
    public let schema: String

    public init(schema: String) {
        self.schema = schema
    }

    public static func migration(schema: String) -> String {
        """
        CREATE TABLE IF NOT EXISTS \(schema).inbox (
            message_id uuid PRIMARY KEY,
            queue text NOT NULL,
            event_type text NOT NULL,
            handled_at timestamptz NOT NULL DEFAULT clock_timestamp()
        );
        """
    }

    /// Records `messageId` inside the caller's transaction. False when it was already
    /// recorded: the message is a duplicate and its effect must be skipped.
    public func claim(messageId: UUID, queue: String, eventType: String, on connection: Connection) throws -> Bool {
        try connection.query(
            "INSERT INTO \(schema).inbox (message_id, queue, event_type) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            [messageId, queue, eventType]
        ).affectedRows == 1
    }

    /// Records many message ids in one statement; returns the ids that were new. The
    /// others are duplicates whose effects must be skipped.
    public func claim(
        _ messages: [(id: UUID, eventType: String)], queue: String, on connection: Connection
    ) throws -> Set<UUID> {
        guard !messages.isEmpty else { return [] }
        let ids = SQLArray.literal(messages.map { $0.id.uuidString.lowercased() })
        let types = SQLArray.literal(messages.map(\.eventType))
        return try Set(connection.query(
            """
            INSERT INTO \(schema).inbox (message_id, queue, event_type)
            SELECT id, $3, event_type FROM unnest($1::uuid[], $2::text[]) AS claimed(id, event_type)
            ON CONFLICT DO NOTHING RETURNING message_id
            """, [ids, types, queue]
        ).rows.map { try $0.decode("message_id", as: UUID.self) })
    }
}
