-- What plain partners see is computed from released values only (domain/disclosure.py): their own version
-- of every flag (audience PARTNERS, with its own lifecycle, so that not even the moment a flag was raised
-- rests on a number they may not see) and their own health score, risk level and rank.
CREATE TYPE flag_audience AS ENUM ('FULL', 'PARTNERS');
ALTER TABLE risk_flags ADD COLUMN audience flag_audience NOT NULL DEFAULT 'FULL';
DROP INDEX risk_flags_one_open_idx;
CREATE UNIQUE INDEX risk_flags_one_open_idx ON risk_flags (project_id, audience, reason, organization_id)
    NULLS NOT DISTINCT WHERE resolved_at IS NULL;

ALTER TABLE project_health
    ADD COLUMN partner_score smallint CHECK (partner_score BETWEEN 0 AND 100),
    ADD COLUMN partner_risk_level risk_level,
    ADD COLUMN partner_risk_rank double precision;
CREATE INDEX project_health_partner_risk_idx ON project_health (partner_risk_rank DESC, project_id DESC)
    WHERE partner_risk_level <> 'NONE';

-- the portfolio counts organizations, not answers
ALTER TABLE portfolio_trends ADD COLUMN organization_count integer NOT NULL DEFAULT 0
    CHECK (organization_count >= 0);

-- What members see of the portfolio: each closed month, published once when it closed and never changed
-- afterwards, so that no later refresh (a deleted answer, an organization regrouped) can be differenced
-- against it. `released` is false for cells that disclosure control withholds.
CREATE TABLE portfolio_releases (
    grouping           trend_grouping NOT NULL,
    key                text NOT NULL,
    dimension          satisfaction_dimension NOT NULL,
    period             date NOT NULL CHECK (period = date_trunc('month', period)::date),
    mean               double precision CHECK (mean BETWEEN 1 AND 5),
    response_count     integer NOT NULL CHECK (response_count > 0),
    organization_count integer NOT NULL CHECK (organization_count > 0),
    released           boolean NOT NULL,
    published_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (released = (mean IS NOT NULL)),
    PRIMARY KEY (grouping, dimension, key, period)
);
CREATE TABLE portfolio_published_periods (
    period       date PRIMARY KEY CHECK (period = date_trunc('month', period)::date),
    published_at timestamptz NOT NULL DEFAULT now()
);

-- every project's partner views are computed by the next reconciliation
DELETE FROM project_recompute_state;
