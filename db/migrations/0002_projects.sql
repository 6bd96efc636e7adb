-- Cooperation projects, their partners, goals and phase history.
CREATE TYPE project_phase AS ENUM (
    'ASSESSMENT', 'GOAL_SETTING', 'PARTNER_SEARCH', 'INITIATION', 'ACTIVE', 'COMPLETED', 'TERMINATED'
);
CREATE TYPE cooperation_kind AS ENUM (
    'PRODUCT_DEVELOPMENT', 'TECHNOLOGY_PILOT', 'CLOUD_INTEGRATION', 'MARKETING', 'OUTSOURCING',
    'STRATEGIC_PARTNERSHIP', 'RESEARCH'
);
CREATE TYPE partner_role AS ENUM ('LEAD', 'PARTNER', 'MODERATOR');
CREATE TYPE goal_status AS ENUM ('OPEN', 'ACHIEVED', 'MISSED', 'DROPPED');

CREATE TABLE cooperation_projects (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title            text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    summary          text CHECK (length(summary) <= 5000),
    kind             cooperation_kind NOT NULL,
    phase            project_phase NOT NULL DEFAULT 'ASSESSMENT',
    -- when the current phase was entered: STALLED and NO_EXIT_PLAN are measured from here
    phase_changed_at timestamptz NOT NULL DEFAULT now(),
    started_on       date NOT NULL DEFAULT current_date,
    planned_end_on   date,
    exit_plan        text CHECK (length(exit_plan) BETWEEN 1 AND 10000),
    story            text CHECK (length(story) BETWEEN 1 AND 10000),
    published_at     timestamptz,
    -- Bumped by every write that can change the statistics; workers store the version they computed
    -- from, and the reconciler enqueues every project whose data_version is ahead of it.
    data_version     bigint NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (planned_end_on IS NULL OR planned_end_on >= started_on),
    CHECK (published_at IS NULL OR story IS NOT NULL)
);

CREATE INDEX cooperation_projects_created_idx ON cooperation_projects (created_at, id);
CREATE INDEX cooperation_projects_phase_idx ON cooperation_projects (phase, created_at, id);
CREATE INDEX cooperation_projects_marketplace_idx ON cooperation_projects (published_at DESC, id DESC)
    WHERE published_at IS NOT NULL;

-- Phase transitions as they happened; the rules about what may follow what live in the application.
CREATE TABLE project_phase_changes (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id bigint NOT NULL REFERENCES cooperation_projects ON DELETE CASCADE,
    from_phase project_phase,
    to_phase   project_phase NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now(),
    CHECK (from_phase IS DISTINCT FROM to_phase)
);
CREATE INDEX project_phase_changes_project_idx ON project_phase_changes (project_id, changed_at);

CREATE TABLE project_partners (
    project_id      bigint NOT NULL REFERENCES cooperation_projects ON DELETE CASCADE,
    -- an organization with project history cannot vanish: its answers are part of the statistics
    organization_id bigint NOT NULL REFERENCES organizations ON DELETE RESTRICT,
    role            partner_role NOT NULL,
    joined_on       date NOT NULL DEFAULT current_date,
    left_on         date,
    PRIMARY KEY (project_id, organization_id),
    CHECK (left_on IS NULL OR left_on >= joined_on)
);
CREATE INDEX project_partners_organization_idx ON project_partners (organization_id, project_id);
-- at most one current lead partner per project
CREATE UNIQUE INDEX project_partners_one_lead_idx ON project_partners (project_id)
    WHERE role = 'LEAD' AND left_on IS NULL;

CREATE TABLE project_goals (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id            bigint NOT NULL REFERENCES cooperation_projects ON DELETE CASCADE,
    title                 text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 300),
    owner_organization_id bigint NOT NULL,
    due_on                date,
    status                goal_status NOT NULL DEFAULT 'OPEN',
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    -- the owner of a goal is a partner of its project
    FOREIGN KEY (project_id, owner_organization_id)
        REFERENCES project_partners (project_id, organization_id) ON DELETE CASCADE
);
CREATE INDEX project_goals_project_idx ON project_goals (project_id, id);
-- overdue goals (UNMET_EXPECTATIONS) are looked up by due date
CREATE INDEX project_goals_open_due_idx ON project_goals (due_on) WHERE status = 'OPEN';
