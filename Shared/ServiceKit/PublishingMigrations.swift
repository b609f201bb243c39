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
        Migration(5, "categories, legal documents, schedules, failures, links, redirects", """
            -- What the site lists need without reading the JSON: the kind, the categories (pages and
            -- feeds per category) and the fields a legal document is searched by (R-3.5).
            ALTER TABLE publishing.articles
                ADD COLUMN kind text NOT NULL DEFAULT 'news',
                ADD COLUMN categories text[] NOT NULL DEFAULT '{}',
                ADD COLUMN legal_number text,
                ADD COLUMN legal_issuer text,
                ADD COLUMN legal_form text,
                ADD COLUMN legal_issue_date date,
                ADD COLUMN legal_effective_date date,
                -- An embargo: the approval is stored at once and the pages are written at this time.
                ADD COLUMN publish_at timestamptz,
                -- The intake submission it came from, for the submitter's status.
                ADD COLUMN submission_id uuid;
            ALTER TABLE publishing.articles DROP CONSTRAINT articles_state_check;
            ALTER TABLE publishing.articles ADD CONSTRAINT articles_state_check CHECK (state IN ('scheduled', 'published', 'taken_down'));
            CREATE INDEX articles_categories ON publishing.articles USING gin (categories);
            CREATE INDEX articles_legal ON publishing.articles (legal_issue_date) WHERE legal_number IS NOT NULL;
            CREATE INDEX articles_due ON publishing.articles (publish_at) WHERE state = 'scheduled';

            -- A publication that failed: kept visible (API and page) until it succeeds; the event is
            -- retried by the bus and, when it can never succeed, dead-lettered.
            CREATE TABLE publishing.failures (
                article_id uuid PRIMARY KEY,
                event_id uuid NOT NULL,
                event_type text NOT NULL,
                reason text NOT NULL,
                permanent boolean NOT NULL,
                attempts integer NOT NULL DEFAULT 1,
                first_failed_at timestamptz NOT NULL DEFAULT now(),
                last_failed_at timestamptz NOT NULL DEFAULT now()
            );

            -- R-3.2: links to other state agencies' portals, shown on every site.
            CREATE TABLE publishing.agency_links (
                url text PRIMARY KEY CHECK (url ~ '^https://'),
                name text NOT NULL,
                name_en text NOT NULL,
                position integer NOT NULL
            );
            INSERT INTO publishing.agency_links (url, name, name_en, position) VALUES
                ('https://chinhphu.vn', 'Cổng Thông tin điện tử Chính phủ', 'Government of Viet Nam Portal', 1),
                ('https://dichvucong.gov.vn', 'Cổng Dịch vụ công quốc gia', 'National Public Service Portal', 2),
                ('https://vbpl.vn', 'Cơ sở dữ liệu quốc gia về văn bản pháp luật', 'National Database of Legal Documents', 3),
                ('https://quochoi.vn', 'Cổng Thông tin điện tử Quốc hội', 'National Assembly Portal', 4),
                ('https://tayninh.gov.vn', 'Cổng Thông tin điện tử tỉnh Tây Ninh', 'Tay Ninh Provincial Portal', 5);

            -- R-7.3: a site whose unit is no longer in force (the districts after 2025-07-01) is not
            -- deleted: it redirects, to the portal unless an operator names another site.
            ALTER TABLE publishing.sites ADD COLUMN redirect_to text;
            """),
        Migration(6, "order of editorial events", """
            -- The newest editorial event applied to each item: its sequence, its revision, and
            -- whether it was an approval (0) or a takedown (1). An event that is not newer than
            -- this row is ignored, so a late or replayed approval never brings back a page
            -- taken down, nor replaces a newer revision (docs/decisions.md).
            CREATE TABLE publishing.editorial_order (
                article_id uuid PRIMARY KEY,
                sequence bigint NOT NULL,
                revision integer NOT NULL,
                step smallint NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            );
            INSERT INTO publishing.editorial_order (article_id, sequence, revision, step)
                SELECT id, 0, revision, CASE WHEN state = 'taken_down' THEN 1 ELSE 0 END FROM publishing.articles;
            """),
        Migration(7, "lead images and the archive by month", """
            -- The item's first image, shown with its thumbnails in the lists and as the home page's
            -- featured story (its file and thumbnails are named by `PublishedFiles` and `Thumbnails`).
            ALTER TABLE publishing.articles ADD COLUMN lead_sha256 text, ADD COLUMN lead_filename text, ADD COLUMN lead_alt text;
            UPDATE publishing.articles a SET lead_sha256 = i.sha256, lead_filename = i.filename, lead_alt = i.alt
            FROM (
                SELECT DISTINCT ON (id) id, e->>'sha256' AS sha256, e->>'filename' AS filename, coalesce(e->>'altText', '') AS alt
                FROM publishing.articles, jsonb_array_elements(content->'attachments') WITH ORDINALITY AS x(e, n)
                WHERE e->>'contentType' LIKE 'image/%' ORDER BY id, n
            ) i WHERE i.id = a.id;
            -- The lists and the archive by month read the newest published items first.
            CREATE INDEX articles_published_at ON publishing.articles (published_at DESC, id) WHERE state = 'published';
            """),
        Migration(8, "citizens' questions and their published answers", """
            -- From answer.published (Art. 13.4): the texts the Center approved for the public, never a
            -- name, contact or address (R-5.4). Shown on the portal at /hoi-dap/, searched like the rest.
            CREATE TABLE publishing.answers (
                question_id uuid PRIMARY KEY,
                field_code text NOT NULL,
                field_name text NOT NULL,
                unit_code text NOT NULL,
                unit_name text NOT NULL,
                title text NOT NULL,
                question text NOT NULL,
                answer text NOT NULL,
                asked_on date NOT NULL,
                answered_on date NOT NULL,
                published_at timestamptz NOT NULL DEFAULT now(),
                search tsvector NOT NULL
            );
            CREATE INDEX answers_search ON publishing.answers USING gin (search);
            CREATE INDEX answers_field ON publishing.answers (field_code, published_at DESC);
            CREATE INDEX answers_published_at ON publishing.answers (published_at DESC);
            """),
        Migration(9, "titles and summaries for the lists, apart from the content", """
            -- The lists, sitemaps, feeds, archive and search read only an item's title and summary;
            -- taken from the content, every redraw read (and decompressed) each item's whole
            -- content, 0.4 s for a site of 10,000 items. Kept by the database from the content.
            ALTER TABLE publishing.articles
                ADD COLUMN title text GENERATED ALWAYS AS (content->>'title') STORED,
                ADD COLUMN summary text GENERATED ALWAYS AS (content->>'summary') STORED;
            """),
        Migration(10, "each site's items and each category's items in order of publication", """
            -- The lists of a site (home page, feeds, category pages, sitemaps, archive) read its
            -- newest items through these indexes, never the whole archive: `domains` and
            -- `categories` are arrays, which no B-tree orders by time. One row per site (and per
            -- site and category) of every published item, kept by the triggers below from
            -- publishing.articles in the same transaction, so the lists can never disagree with it.
            CREATE TABLE publishing.site_items (
                domain text NOT NULL,
                published_at timestamptz NOT NULL,
                article_id uuid NOT NULL,
                PRIMARY KEY (domain, published_at, article_id)
            );
            CREATE TABLE publishing.category_items (
                domain text NOT NULL,
                category text NOT NULL,
                published_at timestamptz NOT NULL,
                article_id uuid NOT NULL,
                PRIMARY KEY (domain, category, published_at, article_id)
            );
            CREATE FUNCTION publishing.list_article() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.state = 'published' THEN
                    DELETE FROM publishing.site_items
                    WHERE domain = ANY (OLD.domains) AND published_at = OLD.published_at AND article_id = OLD.id;
                    DELETE FROM publishing.category_items
                    WHERE domain = ANY (OLD.domains) AND category = ANY (OLD.categories)
                      AND published_at = OLD.published_at AND article_id = OLD.id;
                END IF;
                IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.state = 'published' THEN
                    INSERT INTO publishing.site_items (domain, published_at, article_id)
                    SELECT DISTINCT d, NEW.published_at, NEW.id FROM unnest(NEW.domains) AS d;
                    INSERT INTO publishing.category_items (domain, category, published_at, article_id)
                    SELECT DISTINCT d, c, NEW.published_at, NEW.id FROM unnest(NEW.domains) AS d, unnest(NEW.categories) AS c;
                END IF;
                RETURN NULL;
            END $$;
            CREATE TRIGGER articles_listed AFTER INSERT OR DELETE ON publishing.articles
                FOR EACH ROW EXECUTE FUNCTION publishing.list_article();
            CREATE TRIGGER articles_listed_update AFTER UPDATE ON publishing.articles
                FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.domains IS DISTINCT FROM NEW.domains
                    OR OLD.categories IS DISTINCT FROM NEW.categories OR OLD.published_at IS DISTINCT FROM NEW.published_at)
                EXECUTE FUNCTION publishing.list_article();
            INSERT INTO publishing.site_items (domain, published_at, article_id)
                SELECT DISTINCT d, published_at, id FROM publishing.articles, unnest(domains) AS d WHERE state = 'published';
            INSERT INTO publishing.category_items (domain, category, published_at, article_id)
                SELECT DISTINCT d, c, published_at, id FROM publishing.articles, unnest(domains) AS d, unnest(categories) AS c
                WHERE state = 'published';

            -- The months in which a site published, newest first, each with its newest item's time:
            -- one step down the index per month (a loose index scan), not one per item.
            CREATE FUNCTION publishing.site_months(site text) RETURNS TABLE (month text, latest timestamptz)
            LANGUAGE sql STABLE AS $$
                WITH RECURSIVE months(latest) AS (
                    SELECT max(published_at) FROM publishing.site_items WHERE domain = site
                    UNION ALL
                    SELECT (SELECT max(i.published_at) FROM publishing.site_items i
                            WHERE i.domain = site
                              AND i.published_at < date_trunc('month', m.latest AT TIME ZONE 'Asia/Ho_Chi_Minh') AT TIME ZONE 'Asia/Ho_Chi_Minh')
                    FROM months m WHERE m.latest IS NOT NULL
                )
                SELECT to_char(latest AT TIME ZONE 'Asia/Ho_Chi_Minh', 'YYYY-MM'), latest FROM months WHERE latest IS NOT NULL
            $$;
            -- The same for the published answers, which are on the portal's sitemaps.
            CREATE FUNCTION publishing.answer_months() RETURNS TABLE (month text, latest timestamptz)
            LANGUAGE sql STABLE AS $$
                WITH RECURSIVE months(latest) AS (
                    SELECT max(published_at) FROM publishing.answers
                    UNION ALL
                    SELECT (SELECT max(a.published_at) FROM publishing.answers a
                            WHERE a.published_at < date_trunc('month', m.latest AT TIME ZONE 'Asia/Ho_Chi_Minh') AT TIME ZONE 'Asia/Ho_Chi_Minh')
                    FROM months m WHERE m.latest IS NOT NULL
                )
                SELECT to_char(latest AT TIME ZONE 'Asia/Ho_Chi_Minh', 'YYYY-MM'), latest FROM months WHERE latest IS NOT NULL
            $$;
            -- The fields that have answers, for the portal's Q&A page: one step per field.
            CREATE FUNCTION publishing.answer_fields() RETURNS SETOF text LANGUAGE sql STABLE AS $$
                WITH RECURSIVE fields(code) AS (
                    SELECT min(field_code) FROM publishing.answers
                    UNION ALL
                    SELECT (SELECT min(a.field_code) FROM publishing.answers a WHERE a.field_code > f.code) FROM fields f WHERE f.code IS NOT NULL
                )
                SELECT code FROM fields WHERE code IS NOT NULL
            $$;
            """),
        Migration(11, "the change log every publishing instance follows for its own copy of the sites", """
            -- Each publishing instance keeps the sites as files in its own folder. Whatever changes a
            -- page (a publication, a takedown, an answer, the registry) is noted here by triggers, in
            -- the same transaction; every instance follows the notes by transaction id and writes
            -- the pages others changed (SiteMirror). `writer` is the folder that already has them.
            CREATE TABLE publishing.page_changes (
                seq bigserial PRIMARY KEY,
                xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
                kind text NOT NULL CHECK (kind IN ('article', 'answer', 'sites')),
                id uuid,
                writer text NOT NULL DEFAULT coalesce(current_setting('portal.site_writer', true), ''),
                at timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX page_changes_by_xid ON publishing.page_changes (xid);
            CREATE INDEX page_changes_by_time ON publishing.page_changes (at);
            CREATE FUNCTION publishing.note_page_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_TABLE_NAME = 'articles' THEN
                    INSERT INTO publishing.page_changes (kind, id) VALUES ('article', NEW.id);
                ELSIF TG_TABLE_NAME = 'answers' THEN
                    INSERT INTO publishing.page_changes (kind, id) VALUES ('answer', NEW.question_id);
                ELSE
                    INSERT INTO publishing.page_changes (kind) VALUES ('sites');
                END IF;
                RETURN NULL;
            END $$;
            CREATE TRIGGER articles_noted AFTER INSERT OR UPDATE ON publishing.articles
                FOR EACH ROW EXECUTE FUNCTION publishing.note_page_change();
            CREATE TRIGGER answers_noted AFTER INSERT OR UPDATE ON publishing.answers
                FOR EACH ROW EXECUTE FUNCTION publishing.note_page_change();
            CREATE TRIGGER sites_noted AFTER INSERT OR UPDATE ON publishing.sites
                FOR EACH ROW EXECUTE FUNCTION publishing.note_page_change();
            -- The lists to redraw, per folder: each instance redraws the lists of its own copy.
            -- Marks of before (writer '') are taken by any instance.
            ALTER TABLE publishing.stale_sites
                ADD COLUMN writer text NOT NULL DEFAULT coalesce(current_setting('portal.site_writer', true), '');
            ALTER TABLE publishing.stale_sites DROP CONSTRAINT stale_sites_pkey;
            ALTER TABLE publishing.stale_sites ADD PRIMARY KEY (writer, domain);
            """),
        Migration(12, "a mark of a stale site is a row of its own, never one row that every publication updates", """
            -- A publication used to update the one row of its site (its time), so every
            -- publication of a site waited for the one before it to commit, and the redraw's
            -- removal of the mark waited for them all: a burst of approvals queued on one row
            -- lock. Now each publication adds a row and the redraw removes the rows it read.
            ALTER TABLE publishing.stale_sites DROP CONSTRAINT stale_sites_pkey;
            ALTER TABLE publishing.stale_sites ADD COLUMN id bigserial PRIMARY KEY;
            CREATE INDEX stale_sites_by_writer ON publishing.stale_sites (writer, id);
            """),
        Migration(13, "the items that show a file, found by the file", """
            -- A taken-down item's files leave its sites unless another item still shows them
            -- there: found through this index, never by reading every item.
            CREATE INDEX articles_attachments ON publishing.articles USING gin ((content -> 'attachments') jsonb_path_ops);
            """),
        Migration(14, "the sites a correction took an item off", """
            -- An approved correction may leave a site (its target sites changed): the page and files
            -- it had there are removed, by the publisher and by every instance that writes the sites.
            ALTER TABLE publishing.articles ADD COLUMN former_domains text[] NOT NULL DEFAULT '{}';
            """),
        Migration(15, "the folders' writers seen at work", """
            -- A stale mark is dropped only when no instance has written its folder for a day (a
            -- machine retired), never because its redraw kept failing: its lists would then keep an
            -- item taken down.
            CREATE TABLE publishing.site_writers (
                writer text PRIMARY KEY,
                seen_at timestamptz NOT NULL DEFAULT now()
            );
            """),
    ]
}
