-- Explainable flags on partnerships at risk, with their history.
CREATE TYPE risk_reason AS ENUM (
    'LOW_SATISFACTION', 'DECLINING_SATISFACTION', 'SATISFACTION_GAP', 'SILENT_PARTNER',
    'UNMET_EXPECTATIONS', 'NO_EXIT_PLAN', 'STALLED'
);
CREATE TYPE severity AS ENUM ('LOW', 'MEDIUM', 'HIGH');

CREATE TABLE risk_flags (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id      bigint NOT NULL REFERENCES cooperation_projects ON DELETE CASCADE,
    -- the organization a flag concerns (the less satisfied or the silent partner), if any
    organization_id bigint REFERENCES organizations ON DELETE CASCADE,
    reason          risk_reason NOT NULL,
    severity        severity NOT NULL,
    explanation     text NOT NULL CHECK (length(explanation) BETWEEN 1 AND 2000),
    evidence        jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(evidence) = 'object'),
    raised_at       timestamptz NOT NULL DEFAULT now(),
    resolved_at     timestamptz,
    acknowledged_at timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (resolved_at IS NULL OR resolved_at >= raised_at),
    CHECK (acknowledged_at IS NULL OR acknowledged_at >= raised_at)
);
-- never two open flags for the same project, reason and organization (NULL counts as one value)
CREATE UNIQUE INDEX risk_flags_one_open_idx ON risk_flags (project_id, reason, organization_id)
    NULLS NOT DISTINCT WHERE resolved_at IS NULL;
CREATE INDEX risk_flags_project_idx ON risk_flags (project_id, raised_at DESC);
CREATE INDEX risk_flags_open_severity_idx ON risk_flags (severity, raised_at DESC) WHERE resolved_at IS NULL;
