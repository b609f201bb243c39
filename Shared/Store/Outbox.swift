import Foundation
import Models

/// The outbox of one schema: events written in the same transaction as the state change
/// that caused them, published later by the relay.
public struct Outbox: Sendable {
    /// The schema that owns the table, e.g. `editorial`.
    public let schema: String

    public init(schema: String) {
        self.schema = schema
    }

    /// The table and its index of pending rows.
    public static func migration(schema: String) -> String {
        """
        CREATE TABLE IF NOT EXISTS \(schema).outbox (
            seq bigserial PRIMARY KEY,
            id uuid NOT NULL UNIQUE,
            routing_key text NOT NULL,
            envelope text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            published_at timestamptz,
            publish_attempts integer NOT NULL DEFAULT 0,
            last_error text
        );
        CREATE INDEX IF NOT EXISTS outbox_pending ON \(schema).outbox (seq) WHERE published_at IS NULL;
        \(refusalMigration(schema: schema))
        """
    }

    /// Rows the broker refused for good (403: the service's login may not publish that routing
    /// key) are set aside, so that the rows after them flow; an operator sends them again, once
    /// the login may, with `UPDATE <schema>.outbox SET refused_at = NULL WHERE refused_at IS NOT NULL`.
    public static func refusalMigration(schema: String) -> String {
        "ALTER TABLE \(schema).outbox ADD COLUMN IF NOT EXISTS refused_at timestamptz;"
    }

    /// Writes `event` into the outbox inside the caller's transaction.
    public func enqueue(_ event: EventEnvelope, on connection: Connection) throws {
        let body = String(decoding: try event.encoded(), as: UTF8.self)
        try connection.send(
            "INSERT INTO \(schema).outbox (id, routing_key, envelope) VALUES ($1, $2, $3)",
            [event.id, event.type, body])
    }

    /// A row waiting to be published.
    public struct Pending: Sendable {
        public let seq: Int64
        public let id: UUID
        public let routingKey: String
        public let envelope: String
        public let createdAt: Date
    }

    /// Locks up to `limit` pending rows in order, skipping rows another relay holds.
    /// Call inside a transaction; mark them with `markPublished` before committing.
    public func lockPending(limit: Int, on connection: Connection) throws -> [Pending] {
        try connection.query(
            """
            SELECT seq, id, routing_key, envelope, created_at FROM \(schema).outbox
            WHERE published_at IS NULL AND refused_at IS NULL ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED
            """, [limit]
        ).rows.map {
            Pending(
                seq: try $0.decode("seq"), id: try $0.decode("id"), routingKey: try $0.decode("routing_key"),
                envelope: try $0.decode("envelope"), createdAt: try $0.decode("created_at"))
        }
    }

    public func markPublished(_ seqs: [Int64], on connection: Connection) throws {
        guard !seqs.isEmpty else { return }
        try connection.query(
            "UPDATE \(schema).outbox SET published_at = clock_timestamp(), publish_attempts = publish_attempts + 1 WHERE seq = ANY($1::bigint[])",
            [SQLArray.literal(seqs.map(String.init))])
    }

    /// Records a failed attempt on rows that stay pending.
    public func markFailed(_ seqs: [Int64], error: String, on connection: Connection) throws {
        guard !seqs.isEmpty else { return }
        try connection.query(
            "UPDATE \(schema).outbox SET publish_attempts = publish_attempts + 1, last_error = $2 WHERE seq = ANY($1::bigint[])",
            [SQLArray.literal(seqs.map(String.init)), error])
    }

    /// Sets aside rows the broker refused for good, with the reason.
    public func markRefused(_ seqs: [Int64], error: String, on connection: Connection) throws {
        guard !seqs.isEmpty else { return }
        try connection.query(
            "UPDATE \(schema).outbox SET refused_at = clock_timestamp(), publish_attempts = publish_attempts + 1, last_error = $2 WHERE seq = ANY($1::bigint[])",
            [SQLArray.literal(seqs.map(String.init)), error])
    }

    /// How many rows wait, and the age in seconds of the oldest.
    public func backlog(on connection: Connection) throws -> (count: Int, oldestAgeSeconds: Double) {
        let row = try connection.query(
            """
            SELECT count(*) AS n,
                   coalesce(extract(epoch FROM clock_timestamp() - min(created_at)), 0)::float8 AS age
            FROM \(schema).outbox WHERE published_at IS NULL AND refused_at IS NULL
            """).one()
        return (try row.decode("n"), try row.decode("age"))
    }
}
