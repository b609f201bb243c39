import Store

/// The `publishing` schema: the site registry and what is published where.
public enum PublishingMigrations {
    public static let all: [Migration] = [
        Migration(2, "sites and published articles", """
            -- The portal and the component sites (Art. 3), one row per domain. Rows derived from
            -- core.units are added, never overwritten: an operator's change stays.
            CREATE TABLE publishing.sites (
                domain text PRIMARY KEY,
                unit_code text REFERENCES core.units(code),
                name text NOT NULL,
                name_en text,
                kind text NOT NULL,
                status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'redirect', 'closed')),
                created_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE TABLE publishing.articles (
                id uuid PRIMARY KEY,
                revision integer NOT NULL,
                -- The approved canonical revision exactly as signed, with its hash, signature and key.
                content jsonb NOT NULL,
                content_sha256 text NOT NULL,
                signature text NOT NULL,
                key_id text NOT NULL,
                domains text[] NOT NULL,
                path text NOT NULL,
                state text NOT NULL CHECK (state IN ('published', 'taken_down')),
                public_explanation text,
                published_at timestamptz NOT NULL,
                updated_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX articles_domains ON publishing.articles USING gin (domains);
            """),
        Migration(3, "search without diacritics", """
            -- R-3.1: search over everything published; "ben luc" finds "Bến Lức" (unaccent maps đ to d too).
            CREATE EXTENSION IF NOT EXISTS unaccent;
            ALTER TABLE publishing.articles ADD COLUMN search tsvector;
            CREATE INDEX articles_search ON publishing.articles USING gin (search);
            """),
        Migration(4, "sites whose lists wait to be rendered again", """
            -- A publication marks its sites here in its own transaction; the index renderer redraws
            -- their home page, sitemaps and feeds once for many publications, and removes the mark.
            CREATE TABLE publishing.stale_sites (
                domain text PRIMARY KEY REFERENCES publishing.sites(domain),
                since timestamptz NOT NULL DEFAULT clock_timestamp()
            );
            """),
    ]
}
