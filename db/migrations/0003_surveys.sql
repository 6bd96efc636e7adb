-- Pulse survey rounds and the (confidential) answers.
CREATE TYPE round_status AS ENUM ('OPEN', 'CLOSED');

CREATE TABLE survey_rounds (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id bigint NOT NULL REFERENCES cooperation_projects ON DELETE CASCADE,
    sequence   integer NOT NULL CHECK (sequence >= 1),
    status     round_status NOT NULL DEFAULT 'OPEN',
    opened_at  timestamptz NOT NULL DEFAULT now(),
    closed_at  timestamptz,
    UNIQUE (project_id, sequence),
    CHECK ((status = 'CLOSED') = (closed_at IS NOT NULL)),
    CHECK (closed_at IS NULL OR closed_at >= opened_at)
);
-- at most one open round per project
CREATE UNIQUE INDEX survey_rounds_one_open_idx ON survey_rounds (project_id) WHERE status = 'OPEN';

-- Who was expected to answer: the non-moderator partners when the round opened. A snapshot, so that a
-- partner who joins or leaves later does not change the response rate of past rounds.
CREATE TABLE survey_round_participants (
    round_id        bigint NOT NULL REFERENCES survey_rounds ON DELETE CASCADE,
    organization_id bigint NOT NULL REFERENCES organizations ON DELETE RESTRICT,
    PRIMARY KEY (round_id, organization_id)
);
CREATE INDEX survey_round_participants_organization_idx ON survey_round_participants (organization_id);

CREATE TABLE survey_responses (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    round_id            bigint NOT NULL REFERENCES survey_rounds ON DELETE CASCADE,
    organization_id     bigint NOT NULL REFERENCES organizations ON DELETE RESTRICT,
    overall             smallint NOT NULL CHECK (overall BETWEEN 1 AND 5),
    expectations_met    smallint NOT NULL CHECK (expectations_met BETWEEN 1 AND 5),
    mutual_benefit      smallint NOT NULL CHECK (mutual_benefit BETWEEN 1 AND 5),
    decision_speed      smallint NOT NULL CHECK (decision_speed BETWEEN 1 AND 5),
    communication_trust smallint NOT NULL CHECK (communication_trust BETWEEN 1 AND 5),
    continue_likelihood smallint NOT NULL CHECK (continue_likelihood BETWEEN 0 AND 10),
    comment             text CHECK (length(comment) <= 2000),
    idempotency_key     text CHECK (length(idempotency_key) BETWEEN 1 AND 200),
    submitted_at        timestamptz NOT NULL DEFAULT now(),
    -- one answer per organization per round
    UNIQUE (round_id, organization_id),
    -- a replayed submission finds its first response by (organization, key)
    UNIQUE (organization_id, idempotency_key)
);
