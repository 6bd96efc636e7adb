"""Statistics the workers compute with set-based SQL, and the bookkeeping of what is up to date."""

import asyncpg

# Means per dimension and NPS of every round of one project, in one statement. NPS: share of
# promoters (9-10) minus share of detractors (0-6), in points.
_ROUND_STATISTICS = """
INSERT INTO round_statistics (
    round_id, project_id, sequence, response_count, expected_count, mean_overall, mean_expectations_met,
    mean_mutual_benefit, mean_decision_speed, mean_communication_trust, nps, computed_at
)
SELECT r.id, r.project_id, r.sequence,
       count(s.id),
       (SELECT count(*) FROM survey_round_participants p WHERE p.round_id = r.id),
       avg(s.overall), avg(s.expectations_met), avg(s.mutual_benefit), avg(s.decision_speed),
       avg(s.communication_trust),
       100.0 * (count(*) FILTER (WHERE s.continue_likelihood >= 9)
                - count(*) FILTER (WHERE s.continue_likelihood <= 6)) / nullif(count(s.id), 0),
       now()
FROM survey_rounds r
LEFT JOIN survey_responses s ON s.round_id = r.id
WHERE r.project_id = $1
GROUP BY r.id
ON CONFLICT (round_id) DO UPDATE SET
    response_count = excluded.response_count, expected_count = excluded.expected_count,
    mean_overall = excluded.mean_overall, mean_expectations_met = excluded.mean_expectations_met,
    mean_mutual_benefit = excluded.mean_mutual_benefit, mean_decision_speed = excluded.mean_decision_speed,
    mean_communication_trust = excluded.mean_communication_trust, nps = excluded.nps,
    computed_at = excluded.computed_at
"""

_ROUND_KIND_STATISTICS = """
WITH fresh AS (
    SELECT r.id AS round_id, o.kind, count(*) AS n, avg(s.overall) AS o1, avg(s.expectations_met) AS o2,
           avg(s.mutual_benefit) AS o3, avg(s.decision_speed) AS o4, avg(s.communication_trust) AS o5
    FROM survey_rounds r
    JOIN survey_responses s ON s.round_id = r.id
    JOIN organizations o ON o.id = s.organization_id
    WHERE r.project_id = $1
    GROUP BY r.id, o.kind
), removed AS (
    DELETE FROM round_kind_statistics k
    USING survey_rounds r
    WHERE k.round_id = r.id AND r.project_id = $1
      AND NOT EXISTS (SELECT 1 FROM fresh f WHERE f.round_id = k.round_id AND f.kind = k.organization_kind)
)
INSERT INTO round_kind_statistics (
    round_id, organization_kind, response_count, mean_overall, mean_expectations_met, mean_mutual_benefit,
    mean_decision_speed, mean_communication_trust
)
SELECT round_id, kind, n, o1, o2, o3, o4, o5 FROM fresh
ON CONFLICT (round_id, organization_kind) DO UPDATE SET
    response_count = excluded.response_count, mean_overall = excluded.mean_overall,
    mean_expectations_met = excluded.mean_expectations_met, mean_mutual_benefit = excluded.mean_mutual_benefit,
    mean_decision_speed = excluded.mean_decision_speed, mean_communication_trust = excluded.mean_communication_trust
"""


async def data_version(connection: asyncpg.Connection, project_id: int) -> int | None:
    return await connection.fetchval("SELECT data_version FROM cooperation_projects WHERE id = $1", project_id)


async def recompute_round_statistics(connection: asyncpg.Connection, project_id: int) -> None:
    await connection.execute(_ROUND_STATISTICS, project_id)
    await connection.execute(_ROUND_KIND_STATISTICS, project_id)


async def mark_computed(connection: asyncpg.Connection, project_id: int, version: int) -> None:
    """Record the version computed from; never move it backwards (a slower, older job may finish last)."""
    await connection.execute(
        """
        INSERT INTO project_recompute_state (project_id, computed_version, computed_at) VALUES ($1, $2, now())
        ON CONFLICT (project_id) DO UPDATE SET computed_version = excluded.computed_version, computed_at = now()
        WHERE project_recompute_state.computed_version < excluded.computed_version
        """,
        project_id,
        version,
    )


async def stale_projects(connection: asyncpg.Connection, limit: int = 10_000) -> list[int]:
    """Projects whose data is newer than their statistics."""
    rows = await connection.fetch(
        """
        SELECT p.id FROM cooperation_projects p
        LEFT JOIN project_recompute_state s ON s.project_id = p.id
        WHERE s.project_id IS NULL OR s.computed_version < p.data_version
        ORDER BY p.id
        LIMIT $1
        """,
        limit,
    )
    return [row["id"] for row in rows]
