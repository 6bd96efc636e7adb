-- The people who answer for an organization, the outbox of e-mails to them, and the invitations of rounds.

CREATE TABLE contact_persons (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organizations ON DELETE CASCADE,
    name            text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    email           text NOT NULL CHECK (length(email) <= 254 AND email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
    language        text NOT NULL DEFAULT 'de' CHECK (language IN ('de', 'en')),
    reminders       boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now()
);
-- an address belongs to one person in the whole network (sign-in finds the person by it)
CREATE UNIQUE INDEX contact_persons_email_idx ON contact_persons (lower(email));
CREATE INDEX contact_persons_organization_idx ON contact_persons (organization_id, id);

-- Mails are written here in the transaction that causes them and sent by the worker. Once per
-- (round, person, kind, sequence) — sequence numbers a round's reminders 1, 2, … — the unique constraint
-- makes a second writer (a cron job run twice) a no-op.
-- Removing a person removes their mails (their address is personal data).
CREATE TABLE outbox_mails (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind              text NOT NULL CHECK (kind IN ('INVITATION', 'REMINDER', 'SIGN_IN')),
    round_id          bigint REFERENCES survey_rounds ON DELETE CASCADE,
    contact_person_id bigint REFERENCES contact_persons ON DELETE CASCADE,
    sequence          smallint NOT NULL DEFAULT 0,
    recipient         text NOT NULL,
    subject           text NOT NULL,
    -- the bodies carry a credential (the link): cleared once the mail is sent
    text_body         text,
    html_body         text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    next_attempt_at   timestamptz NOT NULL DEFAULT now(),
    attempts          integer NOT NULL DEFAULT 0,
    last_error        text,
    sent_at           timestamptz,
    UNIQUE (round_id, contact_person_id, kind, sequence)
);
CREATE INDEX outbox_mails_due_idx ON outbox_mails (next_attempt_at) WHERE sent_at IS NULL;

-- One invitation per (round, organization) answering it; answered_at comes from survey_responses.
CREATE TABLE survey_invitations (
    round_id        bigint NOT NULL REFERENCES survey_rounds ON DELETE CASCADE,
    organization_id bigint NOT NULL REFERENCES organizations ON DELETE CASCADE,
    sent_at         timestamptz,
    reminded_at     timestamptz,
    reminders_sent  integer NOT NULL DEFAULT 0,
    PRIMARY KEY (round_id, organization_id)
);

-- Answer links: a credential for one round and one organization, valid while the round is open. Only a
-- SHA-256 hash is stored. The person is kept only to say whose link it was; removing them ends the link.
CREATE TABLE answer_tokens (
    token_hash        bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    round_id          bigint NOT NULL REFERENCES survey_rounds ON DELETE CASCADE,
    organization_id   bigint NOT NULL REFERENCES organizations ON DELETE CASCADE,
    contact_person_id bigint REFERENCES contact_persons ON DELETE CASCADE,
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX answer_tokens_round_idx ON answer_tokens (round_id);

-- The cadence of a project's rounds: a cron job opens the next round every `every_weeks` after the last one
-- opened (at once when none has) and closes a round `answer_window_days` after it opened.
CREATE TABLE survey_schedules (
    project_id         bigint PRIMARY KEY REFERENCES cooperation_projects ON DELETE CASCADE,
    every_weeks        smallint NOT NULL CHECK (every_weeks BETWEEN 1 AND 52),
    answer_window_days smallint NOT NULL CHECK (answer_window_days >= 1),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (answer_window_days <= every_weeks * 7)
);
