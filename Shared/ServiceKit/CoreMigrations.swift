import Models
import Store

/// The `core` schema: reference data every service reads, and the audit log every service appends to.
public enum CoreMigrations {
    public static let all: [Migration] = [
        Migration(1, "reference data, users and tokens", """
            CREATE TABLE core.units (
                code text PRIMARY KEY,
                kind text NOT NULL CHECK (kind IN ('province','center','council','department','district','commune','ward')),
                name text NOT NULL,
                name_en text,
                parent_code text REFERENCES core.units(code),
                label text CHECK (label ~ '^[a-z0-9]{1,63}$'),
                -- derived (R-7.2), operator (set by hand), collision (left for an operator to settle)
                label_status text NOT NULL DEFAULT 'derived' CHECK (label_status IN ('derived','operator','collision')),
                valid_from date,
                valid_to date,
                updated_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE TABLE core.users (
                id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                login text NOT NULL UNIQUE CHECK (login ~ '^[a-z0-9._-]{2,64}$'),
                full_name text NOT NULL,
                email text NOT NULL,
                unit_code text REFERENCES core.units(code),
                active boolean NOT NULL DEFAULT true,
                created_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE UNIQUE INDEX users_email ON core.users (lower(email));
            CREATE TABLE core.user_roles (
                user_id uuid NOT NULL REFERENCES core.users(id),
                role text NOT NULL,
                PRIMARY KEY (user_id, role)
            );
            CREATE TABLE core.api_tokens (
                id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                user_id uuid NOT NULL REFERENCES core.users(id),
                token_sha256 bytea NOT NULL UNIQUE,
                label text NOT NULL DEFAULT '',
                created_at timestamptz NOT NULL DEFAULT now(),
                expires_at timestamptz NOT NULL,
                revoked_at timestamptz
            );
            CREATE TABLE core.board_members (
                user_id uuid NOT NULL REFERENCES core.users(id),
                position text NOT NULL CHECK (position IN ('head','deputy','member')),
                leads_unit_code text REFERENCES core.units(code),
                valid_from date NOT NULL,
                valid_to date,
                PRIMARY KEY (user_id, valid_from)
            );
            CREATE TABLE core.fields (
                code text PRIMARY KEY,
                name_vi text NOT NULL,
                name_en text NOT NULL,
                responsible_unit_code text NOT NULL REFERENCES core.units(code),
                answer_working_days integer NOT NULL CHECK (answer_working_days > 0)
            );
            CREATE TABLE core.royalty_genres (
                genre text NOT NULL,
                name_vi text NOT NULL,
                name_en text NOT NULL,
                max_coefficient numeric(6,2) NOT NULL CHECK (max_coefficient > 0),
                effective_from date NOT NULL,
                effective_to date,
                PRIMARY KEY (genre, effective_from)
            );
            CREATE TABLE core.royalty_surcharges (
                code text NOT NULL,
                name_vi text NOT NULL,
                name_en text NOT NULL,
                min_percent numeric(6,2) NOT NULL,
                max_percent numeric(6,2) NOT NULL CHECK (max_percent >= min_percent),
                effective_from date NOT NULL,
                effective_to date,
                PRIMARY KEY (code, effective_from)
            );
            CREATE TABLE core.base_salary (
                effective_from date PRIMARY KEY,
                effective_to date,
                amount_vnd bigint NOT NULL CHECK (amount_vnd > 0),
                source text NOT NULL DEFAULT ''
            );
            CREATE TABLE core.holidays (
                day date PRIMARY KEY,
                kind text NOT NULL CHECK (kind IN ('holiday','makeup_workday')),
                name_vi text NOT NULL,
                name_en text NOT NULL
            );
            CREATE TABLE core.audit_log (
                id bigserial PRIMARY KEY,
                at timestamptz NOT NULL DEFAULT now(),
                service text NOT NULL,
                actor text NOT NULL,
                action text NOT NULL,
                subject text NOT NULL,
                correlation_id text,
                detail jsonb NOT NULL DEFAULT '{}'
            );
            """),
        Migration(2, "content-addressed blob store", PostgresBlobStore.migration),
        Migration(3, "units' registered mailboxes", """
            -- A unit's official mailbox (văn thư) may submit by email, as its users may.
            CREATE TABLE core.unit_mailboxes (
                email text PRIMARY KEY CHECK (email = lower(email) AND email LIKE '%_@_%'),
                unit_code text NOT NULL REFERENCES core.units(code)
            );
            """),
        Migration(4, "audit log hash chain; approvers' public keys", AuditLog.migration + """
            -- Public keys of approvers, read by every service that verifies an approval.
            -- The private keys stay, sealed, in editorial.signing_keys.
            CREATE TABLE core.signing_keys (
                id text PRIMARY KEY,
                user_id uuid NOT NULL REFERENCES core.users(id),
                algorithm text NOT NULL DEFAULT 'ed25519',
                public_key bytea NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now(),
                retired_at timestamptz
            );
            """),
        Migration(5, "web sessions and passwords", """
            CREATE TABLE core.sessions (
                key text PRIMARY KEY,
                value jsonb NOT NULL,
                expires_at timestamptz NOT NULL
            );
            CREATE INDEX sessions_expiry ON core.sessions (expires_at);
            CREATE TABLE core.user_credentials (
                user_id uuid PRIMARY KEY REFERENCES core.users(id),
                bcrypt_hash text NOT NULL,
                changed_at timestamptz NOT NULL DEFAULT now()
            );
            """),
        Migration(6, "audit log sealed after commit, without serialising writers", AuditLog.sealerMigration),
        Migration(7, "the domains of the units' sites, in one place", """
            -- R-7.1: `<unit>.longan.gov.vn`, `<commune>.<district>.longan.gov.vn`, for units in force
            -- that have a label (R-7.2). Intake checks target sites against it; publishing registers sites from it.
            CREATE VIEW core.unit_sites AS
            SELECT u.code AS unit_code, u.name, u.name_en, u.kind,
                   CASE WHEN p.kind = 'district' THEN u.label || '.' || p.label ELSE u.label END || '.\(SiteDomain.portal)' AS domain
            FROM core.units u LEFT JOIN core.units p ON p.code = u.parent_code
            WHERE u.label IS NOT NULL AND (u.valid_to IS NULL OR u.valid_to >= (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date);
            """),
        Migration(8, "remuneration rates of editors and reviewers", """
            -- Thù lao (Art. 13.1.b, 18): dated amounts per published item (reviewer) or per month (editor).
            CREATE TABLE core.remuneration_rates (
                role text NOT NULL CHECK (role IN ('reviewer', 'editor')),
                basis text NOT NULL CHECK (basis IN ('per_item', 'per_month')),
                amount_vnd bigint NOT NULL CHECK (amount_vnd >= 0),
                name_vi text NOT NULL,
                name_en text NOT NULL,
                effective_from date NOT NULL,
                effective_to date,
                PRIMARY KEY (role, basis, effective_from)
            );
            """),
            Migration(9, "where each unit is reached, for the footer of its site", """
            -- R-3.7: each site's footer names its own unit's address, phone, mail and the person
            -- responsible (seeds/unit_contacts.csv), not the province's office for every site.
            CREATE TABLE core.unit_contacts (
                unit_code text PRIMARY KEY REFERENCES core.units(code),
                address text NOT NULL,
                phone text NOT NULL,
                email text NOT NULL,
                responsible text NOT NULL
            );
            """),
            Migration(10, "the audit log read by item and by action", """
            -- An item's history on the console (by subject) and an editor's month of work in the
            -- royalty report (by action and time) read through indexes, not the whole log.
            CREATE INDEX audit_log_subject ON core.audit_log (subject, id);
            CREATE INDEX audit_log_action_at ON core.audit_log (action, at);
            """),
            Migration(11, "keywords and answer templates of the fields of citizens' questions", """
            -- The Center's suggestion of a question's field (seeds/field_keywords.csv), matched
            -- without diacritics, and the opening of a unit's answer per field (seeds/answer_templates.csv).
            CREATE TABLE core.field_keywords (
                field_code text NOT NULL REFERENCES core.fields(code),
                keyword text NOT NULL CHECK (length(keyword) BETWEEN 2 AND 80),
                PRIMARY KEY (field_code, keyword)
            );
            CREATE TABLE core.answer_templates (
                field_code text PRIMARY KEY REFERENCES core.fields(code),
                text text NOT NULL
            );
            """),
            Migration(12, "backups", """
            -- Every backup `portalctl backup` takes (Art. 16.3: at least weekly): where it is, whether
            -- it ended well, when it was last restored and compared. /readyz and /metrics of every
            -- service say how old the last good one is.
            CREATE TABLE core.backups (
                id uuid PRIMARY KEY,
                started_at timestamptz NOT NULL DEFAULT now(),
                finished_at timestamptz,
                location text NOT NULL,
                status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'ok', 'failed')),
                bytes bigint,
                files integer,
                detail text,
                verified_at timestamptz
            );
            CREATE INDEX backups_good ON core.backups (finished_at DESC) WHERE status = 'ok';
            """),
            Migration(13, "API tokens scoped to roles and a unit; failed sign-ins", """
            -- A token may carry only some of its user's roles (NULL: all of them), and is bound to the
            -- unit its user belonged to when it was made: moved to another unit, the token stops.
            ALTER TABLE core.api_tokens ADD COLUMN roles text[], ADD COLUMN unit_code text;
            UPDATE core.api_tokens t SET unit_code = u.unit_code FROM core.users u WHERE u.id = t.user_id;
            CREATE INDEX api_tokens_user ON core.api_tokens (user_id);
            -- Failed sign-ins of the staff pages, by login and by client address: too many in a
            -- quarter of an hour and the login waits (StaffSignIn.lockout).
            CREATE TABLE core.sign_in_failures (
                id bigserial PRIMARY KEY,
                login text NOT NULL,
                address text NOT NULL,
                at timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX sign_in_failures_login ON core.sign_in_failures (login, at);
            CREATE INDEX sign_in_failures_address ON core.sign_in_failures (address, at);
            """),
        Migration(14, "the audit log's links in a table of their own; no row rewritten to be sealed", AuditLog.chainTableMigration),
    ]
}
