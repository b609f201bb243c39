import Mail
import Store

/// The `feedback` schema: citizens' questions and their history, the personal data kept apart and
/// sealed, drafts open for comment and their comments, online dialogues.
public enum FeedbackMigrations {
    public static let all: [Migration] = [
        Migration(2, "questions, their history and the personal data kept apart", """
            -- A question as the Center and the units handle it. No name, contact or address here
            -- (R-5.4): those are sealed in feedback.personal_data. The citizen follows the case by a
            -- random code of which only the SHA-256 is kept.
            CREATE TABLE feedback.questions (
                id uuid PRIMARY KEY,
                tracking_sha256 bytea NOT NULL UNIQUE,
                site_domain text NOT NULL,
                title text NOT NULL,
                body text NOT NULL,
                asked_field_code text REFERENCES core.fields(code),
                field_code text REFERENCES core.fields(code),
                unit_code text NOT NULL REFERENCES core.units(code),
                state text NOT NULL CHECK (state IN ('received', 'routed', 'awaiting_citizen', 'answer_drafted', 'answered', 'published')),
                received_at timestamptz NOT NULL DEFAULT now(),
                received_on date NOT NULL,
                routed_on date,
                due_on date,
                paused_on date,
                clarification_request text,
                attachment_sha256 text,
                attachment_type text,
                attachment_name text,
                answer text,
                answer_by uuid REFERENCES core.users(id),
                review_note text,
                public_title text,
                public_question text,
                answered_at timestamptz,
                -- 0 none, 1 reminded before the due date, 2 escalated to the Board member, 3 to the Head.
                deadline_level integer NOT NULL DEFAULT 0,
                dialogue_id uuid,
                assigned_user_id uuid REFERENCES core.users(id),
                updated_at timestamptz NOT NULL DEFAULT now()
            );
            -- The Center's inbox and each unit's list: open cases of one unit, oldest first.
            CREATE INDEX questions_unit_state ON feedback.questions (unit_code, state, received_at);
            -- The deadline watch reads only open cases that have a due date.
            CREATE INDEX questions_open_due ON feedback.questions (due_on)
                WHERE state IN ('routed', 'answer_drafted') AND due_on IS NOT NULL;
            CREATE INDEX questions_dialogue ON feedback.questions (dialogue_id, received_at) WHERE dialogue_id IS NOT NULL;

            -- R-5.4: name, email, phone and address, sealed with AES-GCM under `key_id`
            -- (FEEDBACK_DATA_KEYS), the question's id bound as associated data. `sealed` is
            -- cleared when the retention period after the case's end has passed, or when the
            -- person asks (R-5.3).
            CREATE TABLE feedback.personal_data (
                question_id uuid PRIMARY KEY REFERENCES feedback.questions(id),
                key_id text,
                sealed bytea,
                delete_after date,
                deleted_at timestamptz,
                deleted_why text
            );
            CREATE INDEX personal_data_due ON feedback.personal_data (delete_after) WHERE sealed IS NOT NULL;

            CREATE TABLE feedback.history (
                id bigserial PRIMARY KEY,
                question_id uuid NOT NULL REFERENCES feedback.questions(id),
                at timestamptz NOT NULL DEFAULT now(),
                actor text NOT NULL,
                action text NOT NULL,
                from_unit text,
                to_unit text,
                note text NOT NULL DEFAULT ''
            );
            CREATE INDEX history_question ON feedback.history (question_id, id);

            -- R-5.3: a link sent to the person's contact opens their data for an hour.
            CREATE TABLE feedback.data_links (
                token_sha256 bytea PRIMARY KEY,
                question_id uuid NOT NULL REFERENCES feedback.questions(id),
                created_at timestamptz NOT NULL DEFAULT now(),
                expires_at timestamptz NOT NULL
            );

            \(MailOutbox.migration(schema: "feedback"))
            """),
        Migration(3, "drafts open for public comment", """
            -- Art. 13.5, R-6.4: an approved draft_for_comment, open between its dates, led by its unit.
            CREATE TABLE feedback.consultations (
                id uuid PRIMARY KEY,
                unit_code text NOT NULL REFERENCES core.units(code),
                title text NOT NULL,
                body_text text NOT NULL,
                -- [{"number": 3, "title": "Phạm vi điều chỉnh"}], the draft's articles (Điều).
                articles jsonb NOT NULL DEFAULT '[]',
                opens_on date NOT NULL,
                closes_on date NOT NULL CHECK (closes_on >= opens_on),
                state text NOT NULL CHECK (state IN ('approved', 'open', 'taken_down')),
                url text,
                summary text,
                summary_published_at timestamptz,
                closed_event_at timestamptz
            );
            CREATE INDEX consultations_open ON feedback.consultations (closes_on) WHERE state = 'open';
            CREATE TABLE feedback.comments (
                id uuid PRIMARY KEY,
                consultation_id uuid NOT NULL REFERENCES feedback.consultations(id),
                article_number integer,
                body text NOT NULL,
                organisation text,
                received_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX comments_consultation ON feedback.comments (consultation_id, received_at);
            """),
        Migration(4, "online dialogues", """
            -- Art. 13.4: leaders answer questions on a topic within a time window.
            CREATE TABLE feedback.dialogues (
                id uuid PRIMARY KEY,
                title text NOT NULL,
                description text NOT NULL DEFAULT '',
                starts_at timestamptz NOT NULL,
                ends_at timestamptz NOT NULL CHECK (ends_at > starts_at),
                created_by uuid NOT NULL REFERENCES core.users(id),
                created_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE TABLE feedback.dialogue_participants (
                dialogue_id uuid NOT NULL REFERENCES feedback.dialogues(id),
                user_id uuid NOT NULL REFERENCES core.users(id),
                field_codes text[] NOT NULL,
                PRIMARY KEY (dialogue_id, user_id)
            );
            ALTER TABLE feedback.questions ADD FOREIGN KEY (dialogue_id) REFERENCES feedback.dialogues(id);
            """),
    ]
}
