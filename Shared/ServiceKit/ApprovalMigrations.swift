import Mail
import Store

/// The `editorial` schema: articles and their revisions, decisions, delegations, signing keys,
/// and the quarantined mail editors decide on. Kept here so that `portalctl migrate` applies it.
public enum ApprovalMigrations {
    public static let all: [Migration] = [
        Migration(2, "articles, revisions, decisions, delegations, signing keys, quarantine", """
            CREATE TABLE editorial.articles (
                id uuid PRIMARY KEY,
                submission_id uuid UNIQUE,
                quarantine_id uuid UNIQUE,
                unit_code text NOT NULL REFERENCES core.units(code),
                channel text NOT NULL,
                submitted_by uuid REFERENCES core.users(id),
                sender_address text,
                state text NOT NULL,
                current_revision integer NOT NULL,
                approved_revision integer,
                published_revision integer,
                published_url text,
                assigned_to uuid REFERENCES core.users(id),
                locked_by uuid REFERENCES core.users(id),
                lock_expires_at timestamptz,
                -- A secrecy stamp was found: only the Board sees the item.
                restricted boolean NOT NULL DEFAULT false,
                flags text[] NOT NULL DEFAULT '{}',
                prescreen jsonb NOT NULL DEFAULT '{}',
                received_at timestamptz NOT NULL,
                updated_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX articles_state ON editorial.articles (state, received_at);
            CREATE TABLE editorial.revisions (
                article_id uuid NOT NULL REFERENCES editorial.articles(id),
                number integer NOT NULL,
                kind text NOT NULL,
                language text NOT NULL,
                title text NOT NULL,
                summary text,
                body_format text NOT NULL,
                body text NOT NULL,
                body_html text NOT NULL,
                attachments jsonb NOT NULL DEFAULT '[]',
                classification jsonb NOT NULL,
                details jsonb NOT NULL DEFAULT '{}',
                change_note text,
                created_by uuid REFERENCES core.users(id),
                created_by_label text NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now(),
                content_sha256 text NOT NULL,
                PRIMARY KEY (article_id, number)
            );
            CREATE TABLE editorial.decisions (
                id uuid PRIMARY KEY,
                article_id uuid NOT NULL REFERENCES editorial.articles(id),
                revision integer NOT NULL,
                action text NOT NULL,
                from_state text NOT NULL,
                to_state text NOT NULL,
                actor uuid REFERENCES core.users(id),
                rule text,
                delegation_id uuid,
                refusal_reason text,
                note text,
                public_explanation text,
                content_sha256 text,
                signature text,
                key_id text,
                created_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX decisions_article ON editorial.decisions (article_id, created_at);
            CREATE TABLE editorial.delegations (
                id uuid PRIMARY KEY,
                delegate uuid NOT NULL REFERENCES core.users(id),
                -- NULL: every kind of item.
                kinds text[],
                valid_from date NOT NULL,
                valid_to date NOT NULL,
                created_by uuid NOT NULL REFERENCES core.users(id),
                created_at timestamptz NOT NULL DEFAULT now(),
                revoked_at timestamptz,
                revoked_by uuid REFERENCES core.users(id),
                CHECK (valid_from <= valid_to)
            );
            CREATE TABLE editorial.signing_keys (
                id text PRIMARY KEY,
                user_id uuid NOT NULL REFERENCES core.users(id),
                -- The Ed25519 private key sealed with AES-GCM under APPROVAL_KEY_SECRET.
                sealed_private_key bytea NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE UNIQUE INDEX signing_keys_user ON editorial.signing_keys (user_id);
            CREATE TABLE editorial.quarantine (
                id uuid PRIMARY KEY,
                reason text NOT NULL,
                from_address text,
                subject text NOT NULL DEFAULT '',
                unit_code text REFERENCES core.units(code),
                raw_sha256 text NOT NULL REFERENCES core.blobs(sha256),
                received_at timestamptz NOT NULL,
                status text NOT NULL DEFAULT 'held' CHECK (status IN ('held', 'released', 'discarded')),
                decided_by uuid REFERENCES core.users(id),
                decided_at timestamptz,
                note text,
                article_id uuid REFERENCES editorial.articles(id)
            );
            \(MailOutbox.migration(schema: "editorial"))
            """),
        Migration(3, "when an item reached the queue", """
            -- Set by the database when the row is written, for the queue's latency (bench approval).
            ALTER TABLE editorial.articles ADD COLUMN queued_at timestamptz NOT NULL DEFAULT clock_timestamp();
            """),
        Migration(4, "corrections of published items", """
            -- The published revision a revision corrects; its change note is then part of what is approved.
            ALTER TABLE editorial.revisions ADD COLUMN correction_of integer;
            """),
        Migration(5, "editorial sequence of each item", """
            -- The number of the item's last article.* event; followers apply only newer ones.
            ALTER TABLE editorial.articles ADD COLUMN event_seq bigint NOT NULL DEFAULT 0;
            """),
    ]
}
