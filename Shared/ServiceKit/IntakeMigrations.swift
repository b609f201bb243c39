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
    ]
}
