-- What the workers compute and the API reads. All of it can be recomputed from the tables above.
CREATE TYPE satisfaction_dimension AS ENUM (
    'OVERALL', 'EXPECTATIONS_MET', 'MUTUAL_BENEFIT', 'DECISION_SPEED', 'COMMUNICATION_TRUST'
);
CREATE TYPE risk_level AS ENUM ('NONE', 'LOW', 'MEDIUM', 'HIGH');
CREATE TYPE trend_grouping AS ENUM ('ORGANIZATION_KIND', 'INDUSTRY');

-- Per project per round: response count, expected count, means per dimension, NPS.
CREATE TABLE round_statistics (
    round_id                 bigint PRIMARY KEY REFERENCES survey_rounds ON DELETE CASCADE,
    project_id               bigint NOT NULL REFERENCES cooperation_projects ON DELETE CASCADE,
    sequence                 integer NOT NULL,
    response_count           integer NOT NULL CHECK (response_count >= 0),
    expected_count           integer NOT NULL CHECK (expected_count >= 0),
    mean_overall             double precision CHECK (mean_overall BETWEEN 1 AND 5),
    mean_expectations_met    double precision CHECK (mean_expectations_met BETWEEN 1 AND 5),
    mean_mutual_benefit      double precision CHECK (mean_mutual_benefit BETWEEN 1 AND 5),
    mean_decision_speed      double precision CHECK (mean_decision_speed BETWEEN 1 AND 5),
    mean_communication_trust double precision CHECK (mean_communication_trust BETWEEN 1 AND 5),
    nps                      double precision CHECK (nps BETWEEN -100 AND 100),
    computed_at              timestamptz NOT NULL DEFAULT now(),
    CHECK ((response_count = 0) = (mean_overall IS NULL))
);
CREATE INDEX round_statistics_project_idx ON round_statistics (project_id, sequence DESC);

-- Per project per round per organization kind (the startup/SME asymmetry).
CREATE TABLE round_kind_statistics (
    round_id                 bigint NOT NULL REFERENCES survey_rounds ON DELETE CASCADE,
    organization_kind        organization_kind NOT NULL,
    response_count           integer NOT NULL CHECK (response_count > 0),
    mean_overall             double precision NOT NULL CHECK (mean_overall BETWEEN 1 AND 5),
    mean_expectations_met    double precision NOT NULL CHECK (mean_expectations_met BETWEEN 1 AND 5),
    mean_mutual_benefit      double precision NOT NULL CHECK (mean_mutual_benefit BETWEEN 1 AND 5),
    mean_decision_speed      double precision NOT NULL CHECK (mean_decision_speed BETWEEN 1 AND 5),
    mean_communication_trust double precision NOT NULL CHECK (mean_communication_trust BETWEEN 1 AND 5),
    PRIMARY KEY (round_id, organization_kind)
);

-- Per project per dimension: slope per round and smoothed value over the recent rounds with answers.
CREATE TABLE project_trends (
    project_id  bigint NOT NULL REFERENCES cooperation_projects ON DELETE CASCADE,
    dimension   satisfaction_dimension NOT NULL,
    slope       double precision,
    smoothed    double precision CHECK (smoothed BETWEEN 1 AND 5),
    rounds_used integer NOT NULL CHECK (rounds_used >= 0),
    computed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, dimension)
);

-- Per project: health score and risk level.
CREATE TABLE project_health (
    project_id  bigint PRIMARY KEY REFERENCES cooperation_projects ON DELETE CASCADE,
    score       smallint NOT NULL CHECK (score BETWEEN 0 AND 100),
    risk_level  risk_level NOT NULL,
    -- orders atRiskProjects: severity of the worst open flag first, then how far past its threshold
    risk_rank   double precision NOT NULL DEFAULT 0,
    computed_at timestamptz NOT NULL DEFAULT now()
);

-- Which data_version of a project its statistics were computed from; the reconciler enqueues every
-- project whose cooperation_projects.data_version is ahead of it (or that has no row here).
CREATE TABLE project_recompute_state (
    project_id       bigint PRIMARY KEY REFERENCES cooperation_projects ON DELETE CASCADE,
    computed_version bigint NOT NULL,
    computed_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX project_health_risk_idx ON project_health (risk_rank DESC, project_id DESC) WHERE risk_level <> 'NONE';

-- Portfolio: monthly means per organization kind and per industry.
CREATE TABLE portfolio_trends (
    grouping       trend_grouping NOT NULL,
    key            text NOT NULL,
    dimension      satisfaction_dimension NOT NULL,
    period         date NOT NULL CHECK (period = date_trunc('month', period)::date),
    mean           double precision NOT NULL CHECK (mean BETWEEN 1 AND 5),
    response_count integer NOT NULL CHECK (response_count > 0),
    computed_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (grouping, dimension, key, period)
);
