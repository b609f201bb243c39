import Foundation
import Logging
import ServiceLifecycle
import Store

/// The append-only audit log in `core.audit_log`, chained by hashes in `core.audit_chain`: each
/// link holds a row's place in the chain, the SHA-256 of the row before it and its own, computed
/// by PostgreSQL from the row's columns. A changed row no longer matches its hash; a deleted row
/// leaves a link without its row (or, with the link deleted too, a gap in the chain's positions).
/// `portalctl audit verify` checks all three.
///
/// Writers only insert; they never wait for one another. A sealer (`AuditSealer`, one at a time
/// across all instances) chains the rows whose transactions have all finished, in order, a
/// fraction of a second later. Triggers refuse every UPDATE and DELETE of either table: a row,
/// once written, is never rewritten, not even to be sealed (core migration 14; the links used to
/// be columns of the row, which made each sealing a second write of every row and its indexes).
public enum AuditLog {
    /// Held by the one sealer at work, for the length of its transaction.
    static let sealerLockKey: Int64 = 0x4C41_4155_4449_5402

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

    /// Appends one row in the caller's transaction; it is sealed into the chain after the commit.
    public static func append(
        service: String, actor: String, action: String, subject: String, correlationId: String?,
        detail: [String: String] = [:], on connection: Connection
    ) throws {
        let detailJSON = String(decoding: try JSONEncoder().encode(detail), as: UTF8.self)
        try connection.send(
            """
            INSERT INTO core.audit_log (at, service, actor, action, subject, correlation_id, detail)
            VALUES (clock_timestamp(), $1, $2, $3, $4, $5, $6::jsonb)
            """, [service, actor, action, subject, correlationId, detailJSON])
    }

    /// Chains up to `limit` rows now; returns how many. Safe to call from any instance at any time.
    @discardableResult
    public static func seal(limit: Int = 5_000, on connection: Connection) throws -> Int {
        try connection.query("SELECT core.audit_seal($1) AS sealed", [limit]).one().decode("sealed")
    }

    /// A row whose hash or link does not hold.
    public struct Break: Sendable, CustomStringConvertible {
        public let id: Int64
        public let problem: String
        public var description: String { "row \(id): \(problem)" }
    }

    public struct Verification: Sendable {
        public var checked: Int
        public var breaks: [Break]
        /// Rows written but not yet sealed (normal for a moment after a write).
        public var pending: Int
    }

    /// Every link checked in chain order, against the row it seals.
    public static func verify(on connection: Connection) throws -> Verification {
        let recomputed = hashExpression(
            prev: "c.prev_sha256", service: "a.service", actor: "a.actor", action: "a.action", subject: "a.subject",
            correlation: "a.correlation_id", detail: "a.detail", at: "a.at")
        let rows = try connection.query(
            """
            SELECT c.audit_id AS id, c.seq, c.prev_sha256, c.row_sha256, a.id IS NOT NULL AS present, \(recomputed) AS expected,
                   lag(c.row_sha256) OVER (ORDER BY c.seq) AS previous, lag(c.seq) OVER (ORDER BY c.seq) AS previous_seq
            FROM core.audit_chain c LEFT JOIN core.audit_log a ON a.id = c.audit_id ORDER BY c.seq
            """
        ).rows
        var breaks = [Break]()
        for (index, row) in rows.enumerated() {
            let id: Int64 = try row.decode("id")
            let sequence: Int64 = try row.decode("seq")
            let stored: String = try row.decode("row_sha256")
            let link: String? = try row.decodeIfPresent("prev_sha256")
            let previous: String? = try row.decodeIfPresent("previous")
            if try !row.decode("present", as: Bool.self) {
                breaks.append(Break(id: id, problem: "sealed at chain position \(sequence), and no longer there (deleted)"))
            } else if stored != (try row.decode("expected", as: String.self)) {
                breaks.append(Break(id: id, problem: "its content does not match its hash (changed)"))
            }
            let previousSequence: Int64? = try row.decodeIfPresent("previous_seq")
            if sequence != (previousSequence ?? 0) + 1 {
                breaks.append(Break(id: id, problem: "chain position \(sequence) follows \(previousSequence ?? 0) (a row before it was deleted with its link)"))
            } else if link != previous {
                breaks.append(Break(id: id, problem: index == 0 ? "is first but points to a previous row" : "does not follow the row before it (that row was changed)"))
            }
        }
        // A row the sealer's cursor has passed without chaining it will never be chained: a break,
        // not a row waiting for its turn.
        let unchained = try connection.query(
            """
            SELECT a.id, (a.xact, a.id) <= (k.xact, k.id) AS passed FROM core.audit_log a CROSS JOIN core.audit_seal_cursor k
            WHERE NOT EXISTS (SELECT 1 FROM core.audit_chain c WHERE c.audit_id = a.id) ORDER BY a.id
            """
        ).rows
        var pending = 0
        for row in unchained {
            if try row.decode("passed", as: Bool.self) {
                breaks.append(Break(id: try row.decode("id"), problem: "passed over by the sealer: it will never be chained"))
            } else {
                pending += 1
            }
        }
        return Verification(checked: rows.count, breaks: breaks, pending: pending)
    }

    /// Core migration 4: the hash columns, with the rows written so far chained in order.
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
            CREATE FUNCTION core.audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $f$
            BEGIN RAISE EXCEPTION 'core.audit_log is append-only'; END $f$;
            CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON core.audit_log
                FOR EACH ROW EXECUTE FUNCTION core.audit_log_is_append_only();
            """
    }

    /// Core migration 6: writers stop serialising; a sealer chains committed rows in order.
    static var sealerMigration: String {
        let hash = hashExpression(
            prev: "previous", service: "r.service", actor: "r.actor", action: "r.action", subject: "r.subject",
            correlation: "r.correlation_id", detail: "r.detail", at: "r.at")
        return """
            ALTER TABLE core.audit_log DISABLE TRIGGER audit_log_append_only;
            ALTER TABLE core.audit_log ADD COLUMN chain_seq bigint UNIQUE,
                ADD COLUMN xact bigint NOT NULL DEFAULT (pg_current_xact_id()::text)::bigint;
            -- Rows already chained keep their order.
            UPDATE core.audit_log a SET chain_seq = o.n, xact = 0
            FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM core.audit_log WHERE row_sha256 IS NOT NULL) o WHERE a.id = o.id;
            ALTER TABLE core.audit_log ENABLE TRIGGER audit_log_append_only;
            CREATE INDEX audit_log_unsealed ON core.audit_log (id) WHERE chain_seq IS NULL;

            -- The only change a row may undergo: being sealed once. Nothing is ever deleted.
            CREATE OR REPLACE FUNCTION core.audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $f$
            BEGIN
                IF TG_OP = 'UPDATE' AND OLD.chain_seq IS NULL AND NEW.chain_seq IS NOT NULL
                   AND (OLD.id, OLD.at, OLD.service, OLD.actor, OLD.action, OLD.subject, OLD.correlation_id, OLD.detail, OLD.xact)
                       IS NOT DISTINCT FROM
                       (NEW.id, NEW.at, NEW.service, NEW.actor, NEW.action, NEW.subject, NEW.correlation_id, NEW.detail, NEW.xact)
                THEN RETURN NEW; END IF;
                RAISE EXCEPTION 'core.audit_log is append-only';
            END $f$;

            -- Chains rows whose transactions, and every transaction before them, have ended, so
            -- that no row can later appear before one already sealed. One sealer at a time.
            CREATE FUNCTION core.audit_seal(max_rows integer) RETURNS integer LANGUAGE plpgsql AS $f$
            DECLARE
                horizon bigint := (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint;
                r record; previous text; position bigint; sealed integer := 0;
            BEGIN
                IF NOT pg_try_advisory_xact_lock(\(sealerLockKey)) THEN RETURN 0; END IF;
                SELECT row_sha256, chain_seq INTO previous, position FROM core.audit_log
                    WHERE chain_seq IS NOT NULL ORDER BY chain_seq DESC LIMIT 1;
                FOR r IN SELECT * FROM core.audit_log WHERE chain_seq IS NULL AND xact < horizon ORDER BY id LIMIT max_rows LOOP
                    position := coalesce(position, 0) + 1;
                    UPDATE core.audit_log SET chain_seq = position, prev_sha256 = previous, row_sha256 = \(hash)
                    WHERE id = r.id RETURNING row_sha256 INTO previous;
                    sealed := sealed + 1;
                END LOOP;
                RETURN sealed;
            END $f$;
            """
    }

    /// Core migration 14: the links move to a table of their own, so that sealing inserts one
    /// narrow row per audit row instead of rewriting the row and its five index entries (four
    /// times the database's work per row, measured in docs/benchmarks.md). The rows chained so far
    /// keep their positions and hashes; what was not sealed yet is sealed first, by the old way.
    static var chainTableMigration: String {
        let hash = hashExpression(
            prev: "previous", service: "r.service", actor: "r.actor", action: "r.action", subject: "r.subject",
            correlation: "r.correlation_id", detail: "r.detail", at: "r.at")
        return """
            DO $$ BEGIN
                -- Wait for a sealer at work (advisory locks are reentrant: the old function then takes it too).
                PERFORM pg_advisory_xact_lock(\(sealerLockKey));
                WHILE core.audit_seal(100000) > 0 LOOP END LOOP;
            END $$;
            CREATE TABLE core.audit_chain (
                seq bigint PRIMARY KEY,
                audit_id bigint NOT NULL UNIQUE,
                prev_sha256 text,
                row_sha256 text NOT NULL
            );
            INSERT INTO core.audit_chain (seq, audit_id, prev_sha256, row_sha256)
                SELECT chain_seq, id, prev_sha256, row_sha256 FROM core.audit_log WHERE chain_seq IS NOT NULL;
            DROP FUNCTION core.audit_seal(integer);
            DROP INDEX core.audit_log_unsealed;
            ALTER TABLE core.audit_log DROP COLUMN chain_seq, DROP COLUMN prev_sha256, DROP COLUMN row_sha256;
            -- The sealer's cursor: rows are chained in (xact, id) order, a transaction's rows once it
            -- and every one before it have ended. It starts past every row chained so far (the old
            -- sealer went by id, so the last link is not always the greatest).
            CREATE INDEX audit_log_xact ON core.audit_log (xact, id);
            CREATE TABLE core.audit_seal_cursor (
                only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
                xact bigint NOT NULL,
                id bigint NOT NULL
            );
            INSERT INTO core.audit_seal_cursor (xact, id)
                SELECT coalesce(max(a.xact), -1), coalesce(max(a.id), -1) FROM core.audit_log a
                WHERE a.xact = (SELECT max(b.xact) FROM core.audit_log b JOIN core.audit_chain c ON c.audit_id = b.id);

            CREATE OR REPLACE FUNCTION core.audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $f$
            BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME; END $f$;
            CREATE TRIGGER audit_chain_append_only BEFORE UPDATE OR DELETE ON core.audit_chain
                FOR EACH ROW EXECUTE FUNCTION core.audit_log_is_append_only();

            -- Chains, in (xact, id) order, the rows past the cursor whose transaction is below the
            -- snapshot's xmin: every transaction below it has ended, so every row it wrote is visible
            -- now and none can appear later behind the cursor. The cursor moves to the last row
            -- looked at; a row already chained is passed over. One sealer at a time.
            --
            -- A cursor at or past the snapshot's xmax names a transaction this server never started:
            -- the database was restored into another cluster (pg_restore), whose transaction numbers
            -- start again from low. Every restored row has committed, so those past the cursor are
            -- chained at once, in order; then the cursor starts again from the beginning, passing
            -- over what is chained, so that the new cluster's rows are chained too.
            CREATE FUNCTION core.audit_seal(max_rows integer) RETURNS integer LANGUAGE plpgsql AS $f$
            DECLARE
                snapshot pg_snapshot := pg_current_snapshot();
                ceiling bigint := (pg_snapshot_xmin(snapshot)::text)::bigint;
                restored boolean;
                r record; previous text; position bigint; last_xact bigint; last_id bigint; hashed text; examined integer := 0;
                positions bigint[] := '{}'; ids bigint[] := '{}'; links text[] := '{}'; hashes text[] := '{}';
            BEGIN
                IF NOT pg_try_advisory_xact_lock(\(sealerLockKey)) THEN RETURN 0; END IF;
                SELECT row_sha256, seq INTO previous, position FROM core.audit_chain ORDER BY seq DESC LIMIT 1;
                SELECT xact, id INTO last_xact, last_id FROM core.audit_seal_cursor;
                restored := last_xact >= (pg_snapshot_xmax(snapshot)::text)::bigint;
                IF restored THEN ceiling := 9223372036854775807; END IF;
                FOR r IN SELECT * FROM core.audit_log WHERE (xact, id) > (last_xact, last_id) AND xact < ceiling
                         ORDER BY xact, id LIMIT max_rows LOOP
                    examined := examined + 1; last_xact := r.xact; last_id := r.id;
                    -- One probe of the chain's unique index. (As a column of the query above, the
                    -- planner hashed the whole chain at every call.)
                    CONTINUE WHEN EXISTS (SELECT 1 FROM core.audit_chain c WHERE c.audit_id = r.id);
                    position := coalesce(position, 0) + 1;
                    hashed := \(hash);
                    positions := positions || position; ids := ids || r.id; links := links || previous; hashes := hashes || hashed;
                    previous := hashed;
                END LOOP;
                IF restored AND examined < max_rows THEN last_xact := -1; last_id := -1; END IF;
                INSERT INTO core.audit_chain (seq, audit_id, prev_sha256, row_sha256)
                    SELECT * FROM unnest(positions, ids, links, hashes);
                UPDATE core.audit_seal_cursor SET xact = last_xact, id = last_id
                    WHERE (xact, id) IS DISTINCT FROM (last_xact, last_id);
                RETURN cardinality(ids);
            END $f$;
            """
    }
}

/// Seals the audit log continuously; every service runs one, and at most one works at a time.
public struct AuditSealer: Service {
    let database: DatabasePool
    let readiness: Readiness
    let logger: Logger

    public init(database: DatabasePool, readiness: Readiness, logger: Logger) {
        self.database = database
        self.readiness = readiness
        self.logger = logger
    }

    public func run() async throws {
        await readiness.waitUntilMigrated()
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let sealed = (try? await database.withTransaction { try AuditLog.seal(on: $0) }) ?? 0
                // A full batch means more are waiting: go on at once.
                if sealed < 5_000 { try await Task.sleep(for: .milliseconds(200)) }
            }
        }
    }
}
