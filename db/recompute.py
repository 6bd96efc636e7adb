"""The recomputation's writes and bookkeeping: locks, data versions, what is stale or due, the round
statistics of one project, the facts the rules read, and one writer per derived table (trends, health,
computed marks) that the per-project job and the bulk recomputation both call."""

from collections.abc import Sequence

import asyncpg

# Means per dimension and NPS of every round of some projects (one job's, or a batch of jobs'), in one
# statement. NPS: share of promoters (9-10) minus share of detractors (0-6), in points.
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
WHERE r.project_id = ANY($1::bigint[])
GROUP BY r.id
ON CONFLICT (round_id) DO UPDATE SET
    response_count = excluded.response_count, expected_count = excluded.expected_count,
    mean_overall = excluded.mean_overall, mean_expectations_met = excluded.mean_expectations_met,
    mean_mutual_benefit = excluded.mean_mutual_benefit, mean_decision_speed = excluded.mean_decision_speed,
    mean_communication_trust = excluded.mean_communication_trust, nps = excluded.nps,
    computed_at = excluded.computed_at
"""

# Per-kind means group by the kind each answer recorded at submission, so a later change of kind moves
# nothing (before and after would give its answer by difference). They are also frozen once the round has
# closed, against anything else moving. A closed round is
# recomputed only while its kind rows do not count all its answers (its last answers came with the close).
_UNFROZEN_ROUNDS = """
    SELECT r.id FROM survey_rounds r
    WHERE {where} AND (
        r.status = 'OPEN'
        OR (SELECT count(*) FROM survey_responses s WHERE s.round_id = r.id)
           <> (SELECT coalesce(sum(k.response_count), 0) FROM round_kind_statistics k WHERE k.round_id = r.id)
    )
"""

_ROUND_KIND_STATISTICS = f"""
WITH unfrozen AS ({_UNFROZEN_ROUNDS.format(where="r.project_id = ANY($1::bigint[])")}),
fresh AS (
    SELECT s.round_id, s.organization_kind AS kind, count(*) AS n, avg(s.overall) AS o1,
           avg(s.expectations_met) AS o2, avg(s.mutual_benefit) AS o3, avg(s.decision_speed) AS o4,
           avg(s.communication_trust) AS o5
    FROM unfrozen u
    JOIN survey_responses s ON s.round_id = u.id
    GROUP BY s.round_id, s.organization_kind
), removed AS (
    DELETE FROM round_kind_statistics k
    USING unfrozen u
    WHERE k.round_id = u.id
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


async def data_versions(connection: asyncpg.Connection, project_ids: list[int]) -> dict[int, int]:
    """project id -> data version, of those projects that exist."""
    rows = await connection.fetch(
        "SELECT id, data_version FROM cooperation_projects WHERE id = ANY($1::bigint[])", project_ids
    )
    return {row["id"]: row["data_version"] for row in rows}


async def recompute_round_statistics(connection: asyncpg.Connection, project_ids: list[int]) -> None:
    await connection.execute(_ROUND_STATISTICS, project_ids)
    await connection.execute(_ROUND_KIND_STATISTICS, project_ids)


_STALE = """FROM cooperation_projects p LEFT JOIN project_recompute_state s ON s.project_id = p.id
    WHERE s.project_id IS NULL OR s.computed_version < p.data_version"""


async def stale_projects(connection: asyncpg.Connection, limit: int = 10_000) -> list[int]:
    """Projects whose data is newer than their statistics."""
    rows = await connection.fetch(f"SELECT p.id {_STALE} ORDER BY p.id LIMIT $1", limit)
    return [row["id"] for row in rows]


async def stale_project_count(connection: asyncpg.Connection) -> int:
    """How many projects have data newer than their statistics (the workers' backlog)."""
    return await connection.fetchval(f"SELECT count(*) {_STALE}")


async def rounds_for_rules(connection: asyncpg.Connection, project_ids: list[int]) -> list[asyncpg.Record]:
    """Every round of the projects with its statistics, who was expected and who answered what (overall), by
    project and sequence."""
    return await connection.fetch(
        """
        SELECT r.project_id, r.id, r.sequence, r.status = 'CLOSED' AS closed, rs.response_count,
               rs.mean_overall, rs.mean_expectations_met, rs.mean_mutual_benefit, rs.mean_decision_speed,
               rs.mean_communication_trust,
               ARRAY(SELECT p.organization_id FROM survey_round_participants p WHERE p.round_id = r.id) AS expected,
               ARRAY(SELECT s.organization_id FROM survey_responses s WHERE s.round_id = r.id
                     ORDER BY s.organization_id) AS answered_by,
               ARRAY(SELECT s.overall FROM survey_responses s WHERE s.round_id = r.id
                     ORDER BY s.organization_id) AS overall_scores
        FROM survey_rounds r JOIN round_statistics rs ON rs.round_id = r.id
        WHERE r.project_id = ANY($1::bigint[])
        ORDER BY r.project_id, r.sequence
        """,
        project_ids,
    )


async def projects_for_rules(
    connection: asyncpg.Connection, project_ids: list[int], answering_roles: Sequence[str]
) -> list[asyncpg.Record]:
    """What the rules read of each project beside its rounds, of those that exist; its partners are those in
    `answering_roles` (the vocabulary's)."""
    return await connection.fetch(
        """
        SELECT p.id, p.phase::text AS phase, p.exit_plan IS NOT NULL AS has_exit_plan, current_date AS today,
               current_date - (p.phase_changed_at AT TIME ZONE 'UTC')::date AS days_in_phase,
               ARRAY(SELECT pp.organization_id FROM project_partners pp
                     WHERE pp.project_id = p.id AND pp.role = ANY($2::partner_role[]) AND pp.left_on IS NULL
                     ORDER BY pp.organization_id) AS partner_ids,
               ARRAY(SELECT o.name FROM project_partners pp JOIN organizations o ON o.id = pp.organization_id
                     WHERE pp.project_id = p.id AND pp.role = ANY($2::partner_role[]) AND pp.left_on IS NULL
                     ORDER BY pp.organization_id) AS partner_names,
               ARRAY(SELECT g.title FROM project_goals g
                     WHERE g.project_id = p.id AND g.status = 'OPEN' AND g.due_on < current_date
                     ORDER BY g.due_on, g.id) AS overdue_titles,
               ARRAY(SELECT g.due_on FROM project_goals g
                     WHERE g.project_id = p.id AND g.status = 'OPEN' AND g.due_on < current_date
                     ORDER BY g.due_on, g.id) AS overdue_dates
        FROM cooperation_projects p WHERE p.id = ANY($1::bigint[])
        """,
        project_ids,
        answering_roles,
    )


# The writers below serve one project (its job) and every project (the bulk recomputation) alike. They
# touch only rows whose numbers changed: an upsert that always set them would lock and rewrite every row
# even when nothing changed (a million of them in a bulk run).


async def store_trends(connection: asyncpg.Connection, rows: list[tuple]) -> None:
    """rows: (project_id, dimension, slope, smoothed, rounds_used) per project and dimension."""
    if not rows:
        return
    await connection.execute(
        """
        INSERT INTO project_trends AS t (project_id, dimension, slope, smoothed, rounds_used, computed_at)
        SELECT r.*, now() FROM unnest($1::bigint[], $2::satisfaction_dimension[], $3::float8[], $4::float8[],
                                      $5::int[]) AS r
        ON CONFLICT (project_id, dimension) DO UPDATE SET slope = excluded.slope, smoothed = excluded.smoothed,
            rounds_used = excluded.rounds_used, computed_at = excluded.computed_at
        WHERE (t.slope, t.smoothed, t.rounds_used)
              IS DISTINCT FROM (excluded.slope, excluded.smoothed, excluded.rounds_used)
        """,
        *(list(column) for column in zip(*rows, strict=True)),
    )


async def store_health(connection: asyncpg.Connection, rows: list[tuple]) -> None:
    """rows: (project_id, score, risk_level, risk_rank, partner_score, partner_risk_level, partner_risk_rank)."""
    if not rows:
        return
    await connection.execute(
        """
        INSERT INTO project_health AS h (project_id, score, risk_level, risk_rank, partner_score,
                                         partner_risk_level, partner_risk_rank, computed_at)
        SELECT r.*, now() FROM unnest($1::bigint[], $2::smallint[], $3::risk_level[], $4::float8[],
                                      $5::smallint[], $6::risk_level[], $7::float8[]) AS r
        ON CONFLICT (project_id) DO UPDATE SET score = excluded.score, risk_level = excluded.risk_level,
            risk_rank = excluded.risk_rank, partner_score = excluded.partner_score,
            partner_risk_level = excluded.partner_risk_level, partner_risk_rank = excluded.partner_risk_rank,
            computed_at = excluded.computed_at
        WHERE (h.score, h.risk_level, h.risk_rank, h.partner_score, h.partner_risk_level, h.partner_risk_rank)
              IS DISTINCT FROM (excluded.score, excluded.risk_level, excluded.risk_rank, excluded.partner_score,
                                excluded.partner_risk_level, excluded.partner_risk_rank)
        """,
        *(list(column) for column in zip(*rows, strict=True)),
    )


async def mark_computed(connection: asyncpg.Connection, versions: list[tuple[int, int]]) -> None:
    """versions: (project_id, data version computed from). Never moves a mark backwards (a slower, older job
    may finish last)."""
    await connection.execute(
        """
        INSERT INTO project_recompute_state (project_id, computed_version, computed_at)
        SELECT v.project_id, v.version, now() FROM unnest($1::bigint[], $2::bigint[]) AS v(project_id, version)
        ON CONFLICT (project_id) DO UPDATE SET computed_version = excluded.computed_version, computed_at = now()
        WHERE project_recompute_state.computed_version < excluded.computed_version
        """,
        [v[0] for v in versions],
        [v[1] for v in versions],
    )


async def lock_project_recomputation(connection: asyncpg.Connection, project_id: int) -> None:
    """Serialize recomputations of one project (session locks, taken before the snapshot): its own lock,
    and the bulk recomputation's lock in shared mode, so that a bulk run and project jobs exclude each other."""
    await lock_projects_recomputation(connection, [project_id])


async def unlock_project_recomputation(connection: asyncpg.Connection, project_id: int) -> None:
    await unlock_projects_recomputation(connection, [project_id])


# The project locks of a batch are taken in ascending order of project id, by every worker: two batches that
# share projects wait for each other instead of deadlocking.
_LOCK_PROJECTS = """
SELECT pg_advisory_lock_shared($1),
       (SELECT count(pg_advisory_lock($2, l.id))
        FROM (SELECT DISTINCT i AS id FROM unnest($3::int[]) AS i ORDER BY 1) l)
"""
_UNLOCK_PROJECTS = """
SELECT (SELECT count(pg_advisory_unlock($2, i)) FROM unnest($3::int[]) AS i), pg_advisory_unlock_shared($1)
"""


async def lock_projects_recomputation(connection: asyncpg.Connection, project_ids: list[int]) -> None:
    """`lock_project_recomputation` for several distinct projects at once, in one round trip."""
    await connection.execute(_LOCK_PROJECTS, BULK_LOCK_KEY, RECOMPUTE_LOCK_SPACE, sorted(set(project_ids)))


async def unlock_projects_recomputation(connection: asyncpg.Connection, project_ids: list[int]) -> None:
    await connection.execute(_UNLOCK_PROJECTS, BULK_LOCK_KEY, RECOMPUTE_LOCK_SPACE, sorted(set(project_ids)))


async def lock_bulk_recomputation(connection: asyncpg.Connection) -> None:
    await connection.execute("SELECT pg_advisory_lock($1)", BULK_LOCK_KEY)


async def unlock_bulk_recomputation(connection: asyncpg.Connection) -> None:
    await connection.execute("SELECT pg_advisory_unlock($1)", BULK_LOCK_KEY)


RECOMPUTE_LOCK_SPACE = 0x5052  # "PR": the first key of (space, project id) advisory locks
BULK_LOCK_KEY = 0x50504255  # "PPBU"


async def projects_needing_time_rules(
    connection: asyncpg.Connection, settings_days: tuple[int, int], phases_before_active: Sequence[str]
) -> list[int]:
    """Projects where a time-based rule (NO_EXIT_PLAN, STALLED before `phases_before_active` end, overdue
    goals) holds but its flag is not open: time passed, no data changed, so nothing else would recompute
    them."""
    no_exit_plan_days, stalled_days = settings_days
    rows = await connection.fetch(
        """
        SELECT p.id FROM cooperation_projects p
        WHERE (
            p.phase = 'ACTIVE' AND p.exit_plan IS NULL AND p.phase_changed_at < now() - make_interval(days => $1)
            AND NOT EXISTS (SELECT 1 FROM risk_flags f WHERE f.project_id = p.id AND f.resolved_at IS NULL
                            AND f.reason = 'NO_EXIT_PLAN')
        ) OR (
            p.phase = ANY($3::project_phase[])
            AND p.phase_changed_at < now() - make_interval(days => $2)
            AND NOT EXISTS (SELECT 1 FROM risk_flags f WHERE f.project_id = p.id AND f.resolved_at IS NULL
                            AND f.reason = 'STALLED')
        ) OR (
            p.phase = 'ACTIVE'
            AND EXISTS (SELECT 1 FROM project_goals g WHERE g.project_id = p.id AND g.status = 'OPEN'
                        AND g.due_on < current_date)
            AND NOT EXISTS (SELECT 1 FROM risk_flags f WHERE f.project_id = p.id AND f.resolved_at IS NULL
                            AND f.reason = 'UNMET_EXPECTATIONS')
        )
        ORDER BY p.id
        """,
        no_exit_plan_days,
        stalled_days,
        list(phases_before_active),
    )
    return [row["id"] for row in rows]


async def open_project_ids(connection: asyncpg.Connection, final_phases: Sequence[str]) -> list[int]:
    """Projects not in one of `final_phases`."""
    rows = await connection.fetch(
        "SELECT id FROM cooperation_projects WHERE NOT (phase = ANY($1::project_phase[])) ORDER BY id",
        list(final_phases),
    )
    return [row["id"] for row in rows]
