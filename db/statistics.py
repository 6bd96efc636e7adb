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


async def rounds_for_rules(connection: asyncpg.Connection, project_id: int) -> list[asyncpg.Record]:
    """Every round of a project with its statistics, who was expected and who answered what (overall)."""
    return await connection.fetch(
        """
        SELECT r.id, r.sequence, r.status = 'CLOSED' AS closed, rs.response_count,
               rs.mean_overall, rs.mean_expectations_met, rs.mean_mutual_benefit, rs.mean_decision_speed,
               rs.mean_communication_trust,
               ARRAY(SELECT p.organization_id FROM survey_round_participants p WHERE p.round_id = r.id) AS expected,
               ARRAY(SELECT s.organization_id FROM survey_responses s WHERE s.round_id = r.id
                     ORDER BY s.organization_id) AS answered_by,
               ARRAY(SELECT s.overall FROM survey_responses s WHERE s.round_id = r.id
                     ORDER BY s.organization_id) AS overall_scores
        FROM survey_rounds r JOIN round_statistics rs ON rs.round_id = r.id
        WHERE r.project_id = $1
        ORDER BY r.sequence
        """,
        project_id,
    )


async def project_for_rules(connection: asyncpg.Connection, project_id: int) -> asyncpg.Record | None:
    return await connection.fetchrow(
        """
        SELECT p.phase::text AS phase, p.exit_plan IS NOT NULL AS has_exit_plan, current_date AS today,
               current_date - (p.phase_changed_at AT TIME ZONE 'UTC')::date AS days_in_phase,
               ARRAY(SELECT pp.organization_id FROM project_partners pp
                     WHERE pp.project_id = p.id AND pp.role <> 'MODERATOR' AND pp.left_on IS NULL
                     ORDER BY pp.organization_id) AS partner_ids,
               ARRAY(SELECT o.name FROM project_partners pp JOIN organizations o ON o.id = pp.organization_id
                     WHERE pp.project_id = p.id AND pp.role <> 'MODERATOR' AND pp.left_on IS NULL
                     ORDER BY pp.organization_id) AS partner_names,
               ARRAY(SELECT g.title FROM project_goals g
                     WHERE g.project_id = p.id AND g.status = 'OPEN' AND g.due_on < current_date
                     ORDER BY g.due_on, g.id) AS overdue_titles,
               ARRAY(SELECT g.due_on FROM project_goals g
                     WHERE g.project_id = p.id AND g.status = 'OPEN' AND g.due_on < current_date
                     ORDER BY g.due_on, g.id) AS overdue_dates
        FROM cooperation_projects p WHERE p.id = $1
        """,
        project_id,
    )


async def store_trends(connection: asyncpg.Connection, project_id: int, trends: list[tuple]) -> None:
    """trends: (dimension, slope, smoothed, rounds_used) for every dimension."""
    await connection.execute(
        """
        INSERT INTO project_trends (project_id, dimension, slope, smoothed, rounds_used, computed_at)
        SELECT $1, t.dimension, t.slope, t.smoothed, t.rounds_used, now()
        FROM unnest($2::satisfaction_dimension[], $3::float8[], $4::float8[], $5::int[])
             AS t(dimension, slope, smoothed, rounds_used)
        ON CONFLICT (project_id, dimension) DO UPDATE SET slope = excluded.slope, smoothed = excluded.smoothed,
            rounds_used = excluded.rounds_used, computed_at = excluded.computed_at
        """,
        project_id,
        [t[0] for t in trends],
        [t[1] for t in trends],
        [t[2] for t in trends],
        [t[3] for t in trends],
    )


async def store_health(
    connection: asyncpg.Connection, project_id: int, score: int, risk_level: str, risk_rank: float
) -> None:
    await connection.execute(
        """
        INSERT INTO project_health (project_id, score, risk_level, risk_rank, computed_at)
        VALUES ($1, $2, $3, $4, now())
        ON CONFLICT (project_id) DO UPDATE SET score = excluded.score, risk_level = excluded.risk_level,
            risk_rank = excluded.risk_rank, computed_at = excluded.computed_at
        """,
        project_id,
        score,
        risk_level,
        risk_rank,
    )


async def lock_project_recomputation(connection: asyncpg.Connection, project_id: int) -> None:
    """Serialize recomputations of one project (session lock, taken before the snapshot)."""
    await connection.execute("SELECT pg_advisory_lock($1, $2)", RECOMPUTE_LOCK_SPACE, project_id)


async def unlock_project_recomputation(connection: asyncpg.Connection, project_id: int) -> None:
    await connection.execute("SELECT pg_advisory_unlock($1, $2)", RECOMPUTE_LOCK_SPACE, project_id)


RECOMPUTE_LOCK_SPACE = 0x5052  # "PR": the first key of (space, project id) advisory locks
