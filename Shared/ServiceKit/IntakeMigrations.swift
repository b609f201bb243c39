import Mail
import Store

/// The `intake` schema: what units sent, as they sent it, and what they may see of it.
/// Kept here so that `portalctl migrate` applies it with the rest.
public enum IntakeMigrations {
    public static let all: [Migration] = [
        Migration(2, "submissions, attachments, idempotency keys", """
            CREATE TABLE intake.submissions (
                id uuid PRIMARY KEY,
                unit_code text NOT NULL REFERENCES core.units(code),
                submitted_by uuid NOT NULL REFERENCES core.users(id),
                channel text NOT NULL CHECK (channel IN ('api', 'email')),
                kind text NOT NULL,
                language text NOT NULL CHECK (language IN ('vi', 'en')),
                title text NOT NULL,
                summary text,
                body text NOT NULL,
                body_format text NOT NULL CHECK (body_format IN ('text', 'markdown', 'html')),
                -- The body as HTML that can carry no script: escaped text, or safe-mode Markdown.
                body_html text NOT NULL,
                details jsonb NOT NULL DEFAULT '{}',
                authors jsonb NOT NULL,
                target_sites text[] NOT NULL DEFAULT '{}',
                also_on_own_site boolean NOT NULL DEFAULT false,
                raw_sha256 text NOT NULL REFERENCES core.blobs(sha256),
                flags text[] NOT NULL DEFAULT '{}',
                status text NOT NULL DEFAULT 'received',
                status_note text,
                published_url text,
                received_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX submissions_unit ON intake.submissions (unit_code, received_at DESC);
            CREATE TABLE intake.attachments (
                submission_id uuid NOT NULL REFERENCES intake.submissions(id),
                position integer NOT NULL,
                filename text NOT NULL,
                content_type text NOT NULL,
                sha256 text NOT NULL REFERENCES core.blobs(sha256),
                size bigint NOT NULL,
                alt_text text,
                PRIMARY KEY (submission_id, position)
            );
            CREATE TABLE intake.idempotency_keys (
                user_id uuid NOT NULL REFERENCES core.users(id),
                key text NOT NULL,
                request_sha256 text NOT NULL,
                submission_id uuid NOT NULL REFERENCES intake.submissions(id),
                created_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (user_id, key)
            );
            """),
        Migration(3, "when the status last changed", """
            ALTER TABLE intake.submissions ADD COLUMN status_changed_at timestamptz;
            """),
        Migration(4, "mail: senders, message ids, quarantine, outgoing mail", """
            -- A unit's mailbox submits without a user behind it.
            ALTER TABLE intake.submissions ALTER COLUMN submitted_by DROP NOT NULL;
            ALTER TABLE intake.submissions ADD COLUMN sender_address text;
            ALTER TABLE intake.submissions ADD CONSTRAINT submissions_submitter
                CHECK (submitted_by IS NOT NULL OR sender_address IS NOT NULL);
            -- What arrived by mail and was not accepted as a submission: kept whole, for editors.
            CREATE TABLE intake.quarantine (
                id uuid PRIMARY KEY,
                channel text NOT NULL CHECK (channel IN ('lmtp', 'smtp', 'import')),
                envelope_sender text NOT NULL,
                from_address text,
                subject text NOT NULL DEFAULT '',
                message_id text,
                reason text NOT NULL,
                detail text NOT NULL,
                raw_sha256 text NOT NULL REFERENCES core.blobs(sha256),
                unit_code text REFERENCES core.units(code),
                status text NOT NULL DEFAULT 'held' CHECK (status IN ('held', 'released', 'discarded')),
                decided_by text,
                decided_at timestamptz,
                decision_note text,
                received_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX quarantine_held ON intake.quarantine (received_at DESC) WHERE status = 'held';
            -- One row per message received, keyed by its Message-ID (or the SHA-256 of its bytes
            -- when it has none): the same message twice makes one submission.
            CREATE TABLE intake.mail_messages (
                message_key text PRIMARY KEY,
                submission_id uuid REFERENCES intake.submissions(id),
                quarantine_id uuid REFERENCES intake.quarantine(id),
                received_at timestamptz NOT NULL DEFAULT now(),
                CHECK ((submission_id IS NULL) <> (quarantine_id IS NULL))
            );
            \(MailOutbox.migration(schema: "intake"))
            """),
        Migration(5, "a repeated mail is the same sender sending the same content", """
            -- The key of a message is now the SHA-256 of its sender, its Message-ID and its content
            -- (the bytes after its header): a different message that reuses a Message-ID is kept,
            -- and flagged by the id it reused.
            ALTER TABLE intake.mail_messages ADD COLUMN message_id text;
            CREATE INDEX mail_messages_by_id ON intake.mail_messages (message_id) WHERE message_id IS NOT NULL;
            -- The SHA-256 of sender and content alone: the same content sent again under a new
            -- Message-ID is kept, and flagged as a likely duplicate.
            ALTER TABLE intake.mail_messages ADD COLUMN content_key text;
            CREATE INDEX mail_messages_by_content ON intake.mail_messages (content_key) WHERE content_key IS NOT NULL;
            """),
            Migration(6, "departments submit on the web", """
            -- `web`: the form of /submit, behind the staff sign-in.
            ALTER TABLE intake.submissions DROP CONSTRAINT submissions_channel_check;
            ALTER TABLE intake.submissions ADD CONSTRAINT submissions_channel_check CHECK (channel IN ('api', 'email', 'web'));
            """),
    ]
}
