import Foundation
import Store

/// Mail waiting to leave, in the sending service's own schema. A service enqueues a message
/// in the same transaction as the change it reports, so an acknowledgement is sent exactly
/// when the submission it acknowledges exists.
public struct MailOutbox: Sendable {
    public let schema: String
    /// The sender address of every message, e.g. `webmaster@longan.gov.vn`.
    public let domain: String

    public init(schema: String, domain: String) {
        self.schema = schema
        self.domain = domain
    }

    public static func migration(schema: String) -> String {
        """
        CREATE TABLE \(schema).mail_outbox (
            id uuid PRIMARY KEY,
            message_id text NOT NULL UNIQUE,
            recipient text NOT NULL,
            subject text NOT NULL,
            -- The message exactly as it will be sent, composed when it was enqueued.
            message bytea NOT NULL,
            status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
            attempts integer NOT NULL DEFAULT 0,
            next_attempt_at timestamptz NOT NULL DEFAULT now(),
            last_error text,
            created_at timestamptz NOT NULL DEFAULT now(),
            sent_at timestamptz
        );
        CREATE INDEX mail_outbox_due ON \(schema).mail_outbox (next_attempt_at) WHERE status = 'pending';
        """
    }

    /// Composes the message now (so its Message-ID and bytes never change) and queues it.
    @discardableResult
    public func enqueue(_ mail: OutgoingMail, on connection: Connection, now: Date = Date()) throws -> String {
        let id = UUID()
        let messageId = "\(id.uuidString.lowercased())@\(domain)"
        let bytes = MailComposer.compose(mail, messageId: messageId, date: now)
        try connection.send(
            "INSERT INTO \(schema).mail_outbox (id, message_id, recipient, subject, message) VALUES ($1, $2, $3, $4, $5)",
            [id, messageId, mail.to, mail.subject, ByteA(bytes)])
        return messageId
    }

    struct Due: Sendable {
        let id: UUID
        let recipient: String
        let sender: String
        let message: [UInt8]
        let attempts: Int
    }

    /// Claims due messages for `lease` seconds, so that another instance does not send them too.
    func claimDue(limit: Int, lease: Int, on connection: Connection) throws -> [Due] {
        try connection.query(
            """
            UPDATE \(schema).mail_outbox SET next_attempt_at = now() + make_interval(secs => $2)
            WHERE id IN (SELECT id FROM \(schema).mail_outbox WHERE status = 'pending' AND next_attempt_at <= now()
                         ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
            RETURNING id, recipient, message, attempts
            """, [limit, lease]
        ).rows.map { row in
            Due(id: try row.decode("id"), recipient: try row.decode("recipient"), sender: "webmaster@\(domain)",
                message: try row.decode("message", as: ByteA.self).bytes, attempts: try row.decode("attempts"))
        }
    }

    func markSent(_ id: UUID, on connection: Connection) throws {
        try connection.query(
            "UPDATE \(schema).mail_outbox SET status = 'sent', sent_at = now(), attempts = attempts + 1 WHERE id = $1", [id])
    }

    /// A failed attempt waits `retryIn` seconds, or ends as `failed` for an operator to see.
    func markFailed(_ id: UUID, error: String, retryIn: Int?, on connection: Connection) throws {
        try connection.query(
            """
            UPDATE \(schema).mail_outbox SET attempts = attempts + 1, last_error = $2,
                status = CASE WHEN $3::integer IS NULL THEN 'failed' ELSE 'pending' END,
                next_attempt_at = now() + make_interval(secs => coalesce($3::integer, 0))
            WHERE id = $1
            """, [id, error, retryIn])
    }
}
