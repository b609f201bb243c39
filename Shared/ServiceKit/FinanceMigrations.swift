import Store

/// The `finance` schema: the royalty ledger, the monthly reports and the budget estimates.
public enum FinanceMigrations {
    public static let all: [Migration] = [
        Migration(2, "royalty ledger and monthly reports", """
            -- What approval signed, kept from article.approved until the item is published.
            CREATE TABLE finance.approved_items (
                article_id uuid PRIMARY KEY,
                unit_code text NOT NULL,
                title text NOT NULL,
                revision integer NOT NULL,
                classification jsonb NOT NULL,
                approver_id uuid NOT NULL,
                published_on date,
                state text NOT NULL DEFAULT 'approved' CHECK (state IN ('approved', 'published', 'taken_down'))
            );
            -- One row per payee and cause, never changed: a takedown or a reclassification posts
            -- adjustments; a month whose report was submitted takes no new rows.
            CREATE TABLE finance.ledger (
                id bigserial PRIMARY KEY,
                -- None for a monthly remuneration.
                article_id uuid,
                month text NOT NULL CHECK (month ~ '^[0-9]{4}-[0-9]{2}$'),
                kind text NOT NULL CHECK (kind IN ('royalty', 'remuneration', 'adjustment')),
                role text NOT NULL CHECK (role IN ('author', 'reviewer', 'editor')),
                payee_name text NOT NULL,
                payee_user_id uuid,
                unit_code text NOT NULL,
                -- R-4.7: 'portal', or the unit that also published it on its own site.
                payer text NOT NULL,
                title text NOT NULL,
                genre text,
                coefficient_hundredths integer,
                surcharges text[] NOT NULL DEFAULT '{}',
                share_basis_points integer,
                base_salary_vnd bigint,
                amount_vnd bigint NOT NULL,
                published_on date NOT NULL,
                reason text NOT NULL DEFAULT '',
                event_id uuid NOT NULL,
                posted_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX ledger_month ON finance.ledger (month);
            CREATE INDEX ledger_article ON finance.ledger (article_id);
            CREATE FUNCTION finance.ledger_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'finance.ledger is append-only: post an adjustment instead';
            END $$;
            CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE ON finance.ledger
                FOR EACH ROW EXECUTE FUNCTION finance.ledger_is_append_only();

            -- R-4.8: one report per month; a draft shows the ledger as it stands, a submitted report
            -- is frozen in `snapshot` and never edited.
            CREATE TABLE finance.reports (
                month text PRIMARY KEY CHECK (month ~ '^[0-9]{4}-[0-9]{2}$'),
                state text NOT NULL CHECK (state IN ('draft', 'submitted', 'approved', 'paid')),
                generated_at timestamptz NOT NULL DEFAULT now(),
                generated_by text NOT NULL,
                snapshot jsonb,
                payment_reference text,
                payment_date date
            );
            CREATE TABLE finance.report_steps (
                id bigserial PRIMARY KEY,
                month text NOT NULL REFERENCES finance.reports(month),
                from_state text,
                to_state text NOT NULL,
                actor text NOT NULL,
                at timestamptz NOT NULL DEFAULT now(),
                note text NOT NULL DEFAULT ''
            );
            """),
        Migration(3, "budget estimates", """
            -- Art. 17, R-8: a year's estimate, drafted by the Office of the UBND, appraised by the
            -- Department of Finance (adjusted amounts and comments, originals kept), approved by the UBND.
            CREATE TABLE finance.budget_estimates (
                year integer PRIMARY KEY CHECK (year BETWEEN 2000 AND 2100),
                state text NOT NULL CHECK (state IN ('draft', 'submitted', 'appraised', 'submitted_to_ubnd', 'approved')),
                created_by text NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE TABLE finance.budget_lines (
                id uuid PRIMARY KEY,
                year integer NOT NULL REFERENCES finance.budget_estimates(year),
                category text NOT NULL,
                description text NOT NULL,
                amount_vnd bigint NOT NULL CHECK (amount_vnd >= 0),
                note text NOT NULL DEFAULT '',
                appraised_amount_vnd bigint CHECK (appraised_amount_vnd >= 0),
                appraisal_comment text,
                position integer NOT NULL
            );
            CREATE TABLE finance.budget_steps (
                id bigserial PRIMARY KEY,
                year integer NOT NULL REFERENCES finance.budget_estimates(year),
                from_state text,
                to_state text NOT NULL,
                actor text NOT NULL,
                at timestamptz NOT NULL DEFAULT now(),
                note text NOT NULL DEFAULT ''
            );
            """),
        Migration(4, "activity of units for the Board's reports", """
            -- Art. 9.2.h, 9.3, 22: what each unit submitted, what was published, returned, refused
            -- (and why), how long decisions took, questions and answers; one row per event.
            CREATE TABLE finance.activity (
                event_id uuid PRIMARY KEY,
                type text NOT NULL,
                subject_id uuid NOT NULL,
                unit_code text NOT NULL,
                at timestamptz NOT NULL,
                refusal_reason text,
                due_on date
            );
            CREATE INDEX activity_at ON finance.activity (at);
            CREATE INDEX activity_subject ON finance.activity (subject_id);
            """),
        Migration(5, "a month's ledger in reading order", """
            -- Reports read a month's rows by publication date, a page at a time (keyset).
            CREATE INDEX ledger_month_day ON finance.ledger (month, published_on, id);
            """),
    ]
}
