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
        Migration(6, "the queue searched by title without diacritics, counted by working state", """
            -- The current revision's title, lower-case and without diacritics ("ben luc" finds
            -- "Bến Lức"), kept by triggers whichever is written first, the item or its revision.
            CREATE EXTENSION IF NOT EXISTS unaccent;
            ALTER TABLE editorial.articles ADD COLUMN title_search tsvector;
            CREATE FUNCTION editorial.article_title_search() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                SELECT to_tsvector('simple', unaccent(lower(r.title))) INTO NEW.title_search
                FROM editorial.revisions r WHERE r.article_id = NEW.id AND r.number = NEW.current_revision;
                RETURN NEW;
            END $$;
            CREATE TRIGGER articles_title_search BEFORE INSERT OR UPDATE OF current_revision ON editorial.articles
                FOR EACH ROW EXECUTE FUNCTION editorial.article_title_search();
            CREATE FUNCTION editorial.revision_title_search() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                UPDATE editorial.articles SET title_search = to_tsvector('simple', unaccent(lower(NEW.title)))
                WHERE id = NEW.article_id AND current_revision = NEW.number;
                RETURN NULL;
            END $$;
            CREATE TRIGGER revisions_title_search AFTER INSERT ON editorial.revisions
                FOR EACH ROW EXECUTE FUNCTION editorial.revision_title_search();
            UPDATE editorial.articles a SET title_search = to_tsvector('simple', unaccent(lower(r.title)))
            FROM editorial.revisions r WHERE r.article_id = a.id AND r.number = a.current_revision;
            CREATE INDEX articles_title_search ON editorial.articles USING gin (title_search);
            -- The counts of the queue's tabs: only the states still being worked on, which stay
            -- few however large the archive grows.
            CREATE INDEX articles_working_state ON editorial.articles (state)
                WHERE state IN ('received', 'in_editing', 'pending_approval', 'approved', 'returned');
            """),
        Migration(7, "near-duplicates found through an index of MinHash bands", """
            -- The locality-sensitive bands of each published item's MinHash signature
            -- (PreScreen.bands), written when the item is published. The pre-screen asks the
            -- index for items sharing a band with the text it screens, so its cost follows the
            -- few candidates, not the size of the archive. One row per item, the 64 keys in a
            -- GIN index: about 2 KB an item, where a row per key took 10. Without the pending
            -- list (fastupdate off) a search never scans entries not yet merged.
            CREATE TABLE editorial.similarity_bands (
                article_id uuid PRIMARY KEY REFERENCES editorial.articles(id),
                bands bigint[] NOT NULL
            );
            CREATE INDEX similarity_bands_bands ON editorial.similarity_bands USING gin (bands) WITH (fastupdate = off);
            -- The planner cannot know how few rows share one of 64 keys that are nearly all
            -- unique (it guesses a quarter of the table) and would read the whole table: in this
            -- function the index is the only way it may take.
            CREATE FUNCTION editorial.similar_articles(probe bigint[], excluded uuid) RETURNS SETOF uuid
                LANGUAGE sql STABLE SET enable_seqscan = off
                AS $$ SELECT article_id FROM editorial.similarity_bands WHERE bands && probe AND article_id <> excluded $$;
            -- The revision whose bands are stored; published items without them (written before
            -- this migration) are filled in by the approval service at start.
            ALTER TABLE editorial.articles ADD COLUMN bands_revision integer;
            CREATE INDEX articles_without_bands ON editorial.articles (id)
                WHERE state = 'published' AND bands_revision IS DISTINCT FROM published_revision;
            """),
        Migration(8, "a received item's title searchable from its first row", """
            -- A received item is written with its title's search vector (ArticleRecords), before
            -- its revision: the item's trigger keeps that vector while the revision is not there
            -- yet (it used to set it to null), and the revision's trigger rewrites the item only
            -- when the vector differs. Each new item was written twice, its indexes with it.
            CREATE OR REPLACE FUNCTION editorial.article_title_search() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE title_vector tsvector;
            BEGIN
                SELECT to_tsvector('simple', unaccent(lower(r.title))) INTO title_vector
                FROM editorial.revisions r WHERE r.article_id = NEW.id AND r.number = NEW.current_revision;
                IF FOUND THEN NEW.title_search := title_vector; END IF;
                RETURN NEW;
            END $$;
            CREATE OR REPLACE FUNCTION editorial.revision_title_search() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE title_vector tsvector := to_tsvector('simple', unaccent(lower(NEW.title)));
            BEGIN
                UPDATE editorial.articles SET title_search = title_vector
                WHERE id = NEW.article_id AND current_revision = NEW.number AND title_search IS DISTINCT FROM title_vector;
                RETURN NULL;
            END $$;
            """),
    ]
}
