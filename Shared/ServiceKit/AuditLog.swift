import Foundation
import Store

/// The append-only audit log in `core.audit_log`, whose rows form a hash chain: each row
/// carries the SHA-256 of the row before it and its own, computed by PostgreSQL from the
/// row's columns. A changed row no longer matches its hash; a deleted row breaks the link of
/// the next one. `portalctl audit verify` checks both.
public enum AuditLog {
    /// Serialises appends so that the chain has one order. Taken as late as possible in a
    /// transaction (append last), it is held only until the commit.
    static let lockKey: Int64 = 0x4C41_4155_4449_5401

    /// The text a row's hash covers: the previous hash and every column, in a fixed order.
    /// `verify` recomputes it with the same expression over the stored columns.
    static let hashedText = """
        coalesce(%prev, '') || E'\\n' || %service || E'\\n' || %actor || E'\\n' || %action || E'\\n' || %subject || E'\\n'
        || coalesce(%correlation, '') || E'\\n' || %detail::text || E'\\n' || to_char(%at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')
        """

    static func hashExpression(prev: String, service: String, actor: String, action: String, subject: String,
                               correlation: String, detail: String, at: String) -> String {
        let text = hashedText.replacingOccurrences(of: "%prev", with: prev).replacingOccurrences(of: "%service", with: service)
            .replacingOccurrences(of: "%actor", with: actor).replacingOccurrences(of: "%action", with: action)
            .replacingOccurrences(of: "%subject", with: subject).replacingOccurrences(of: "%correlation", with: correlation)
            .replacingOccurrences(of: "%detail", with: detail).replacingOccurrences(of: "%at", with: at)
        return "encode(sha256(convert_to(\(text), 'UTF8')), 'hex')"
    }

    /// Appends one row in the caller's transaction. Call it last, just before the commit.
    public static func append(
        service: String, actor: String, action: String, subject: String, correlationId: String?,
        detail: [String: String] = [:], on connection: Connection
    ) throws {
        let detailJSON = String(decoding: try JSONEncoder().encode(detail), as: UTF8.self)
        try connection.query("SELECT pg_advisory_xact_lock($1)", [lockKey])
        let hash = hashExpression(
            prev: "p.h", service: "$1::text", actor: "$2::text", action: "$3::text", subject: "$4::text",
            correlation: "$5::text", detail: "$6::jsonb", at: "t.now")
        try connection.query(
            """
            INSERT INTO core.audit_log (at, service, actor, action, subject, correlation_id, detail, prev_sha256, row_sha256)
            SELECT t.now, $1, $2, $3, $4, $5, $6::jsonb, p.h, \(hash)
            FROM (SELECT clock_timestamp() AS now) t,
                 (SELECT (SELECT row_sha256 FROM core.audit_log ORDER BY id DESC LIMIT 1) AS h) p
            """, [service, actor, action, subject, correlationId, detailJSON])
    }

    /// A row whose hash or link does not hold.
    public struct Break: Sendable, CustomStringConvertible {
        public let id: Int64
        public let problem: String
        public var description: String { "row \(id): \(problem)" }
    }

    /// Every row checked in order; returns the rows checked and the breaks found.
    public static func verify(on connection: Connection) throws -> (checked: Int, breaks: [Break]) {
        let recomputed = hashExpression(
            prev: "prev_sha256", service: "service", actor: "actor", action: "action", subject: "subject",
            correlation: "correlation_id", detail: "detail", at: "at")
        let rows = try connection.query(
            """
            SELECT id, prev_sha256, row_sha256, \(recomputed) AS expected,
                   lag(row_sha256) OVER (ORDER BY id) AS previous, lag(id) OVER (ORDER BY id) AS previous_id
            FROM core.audit_log ORDER BY id
            """
        ).rows
        var breaks = [Break]()
        for row in rows {
            let id: Int64 = try row.decode("id")
            let stored: String? = try row.decodeIfPresent("row_sha256")
            let expected: String = try row.decode("expected")
            let link: String? = try row.decodeIfPresent("prev_sha256")
            let previous: String? = try row.decodeIfPresent("previous")
            if stored != expected { breaks.append(Break(id: id, problem: "its content does not match its hash (changed)")) }
            if link != previous {
                let before: Int64? = try row.decodeIfPresent("previous_id")
                breaks.append(Break(id: id, problem: before.map { "does not follow row \($0) (a row before it was deleted or changed)" }
                    ?? "is first but points to a previous row (rows before it were deleted)"))
            }
        }
        return (rows.count, breaks)
    }

    /// Chains the rows written before the chain existed, in order (core migration 4).
    static var migration: String {
        let hash = hashExpression(
            prev: "previous", service: "r.service", actor: "r.actor", action: "r.action", subject: "r.subject",
            correlation: "r.correlation_id", detail: "r.detail", at: "r.at")
        return """
            ALTER TABLE core.audit_log ADD COLUMN prev_sha256 text, ADD COLUMN row_sha256 text;
            DO $$
            DECLARE r record; previous text := NULL;
            BEGIN
                FOR r IN SELECT * FROM core.audit_log ORDER BY id LOOP
                    UPDATE core.audit_log SET prev_sha256 = previous, row_sha256 = \(hash) WHERE id = r.id
                    RETURNING row_sha256 INTO previous;
                END LOOP;
            END $$;
            -- Append-only: no service may rewrite or remove what it wrote.
            CREATE FUNCTION core.audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $f$
            BEGIN RAISE EXCEPTION 'core.audit_log is append-only'; END $f$;
            CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON core.audit_log
                FOR EACH ROW EXECUTE FUNCTION core.audit_log_is_append_only();
            """
    }
}
