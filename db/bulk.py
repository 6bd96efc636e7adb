"""SQL of the bulk recomputation: every project's round and per-kind statistics aggregated at once into
temporary tables, the facts the rules read from them, the shared snapshot and the planner refresh. The
derived rows are written by db/recompute.py's writers, as for one project."""

import re
from collections.abc import Sequence

import asyncpg

# The bulk path aggregates into temporary tables, then touches only rows whose numbers changed: an upsert
# would lock (and so rewrite) every conflicting row even when nothing changed.
_FRESH_ROUND_STATISTICS = """
CREATE TEMPORARY TABLE fresh_round_statistics ON COMMIT DROP AS
SELECT r.id AS round_id, r.project_id, r.sequence, r.status = 'CLOSED' AS closed,
       coalesce(a.n, 0)::int AS response_count, coalesce(cardinality(e.expected), 0)::int AS expected_count,
       a.m1, a.m2, a.m3, a.m4, a.m5, a.nps,
       coalesce(e.expected, '{}') AS expected, coalesce(a.answered_by, '{}') AS answered_by,
       coalesce(a.overall_scores, '{}') AS overall_scores
FROM survey_rounds r
LEFT JOIN (
    SELECT round_id, count(*) AS n, avg(overall)::float8 AS m1, avg(expectations_met)::float8 AS m2,
           avg(mutual_benefit)::float8 AS m3, avg(decision_speed)::float8 AS m4,
           avg(communication_trust)::float8 AS m5,
           (100.0 * (count(*) FILTER (WHERE continue_likelihood >= 9)
                     - count(*) FILTER (WHERE continue_likelihood <= 6)) / count(*))::float8 AS nps,
           -- who answered what: the rules need it (gap, silent partners); one pass over the answers
           array_agg(organization_id ORDER BY organization_id) AS answered_by,
           array_agg(overall ORDER BY organization_id) AS overall_scores
    FROM survey_responses GROUP BY round_id
) a ON a.round_id = r.id
LEFT JOIN (
    SELECT round_id, array_agg(organization_id) AS expected FROM survey_round_participants GROUP BY round_id
) e ON e.round_id = r.id
"""

_APPLY_ROUND_STATISTICS = [
    """
    UPDATE round_statistics t SET response_count = f.response_count, expected_count = f.expected_count,
        mean_overall = f.m1, mean_expectations_met = f.m2, mean_mutual_benefit = f.m3, mean_decision_speed = f.m4,
        mean_communication_trust = f.m5, nps = f.nps, computed_at = now()
    FROM fresh_round_statistics f
    WHERE t.round_id = f.round_id
      AND (t.response_count, t.expected_count, t.mean_overall, t.mean_expectations_met, t.mean_mutual_benefit,
           t.mean_decision_speed, t.mean_communication_trust, t.nps)
          IS DISTINCT FROM (f.response_count, f.expected_count, f.m1, f.m2, f.m3, f.m4, f.m5, f.nps)
    """,
    """
    INSERT INTO round_statistics (
        round_id, project_id, sequence, response_count, expected_count, mean_overall, mean_expectations_met,
        mean_mutual_benefit, mean_decision_speed, mean_communication_trust, nps
    )
    SELECT f.round_id, f.project_id, f.sequence, f.response_count, f.expected_count, f.m1, f.m2, f.m3, f.m4, f.m5,
           f.nps
    FROM fresh_round_statistics f
    WHERE NOT EXISTS (SELECT 1 FROM round_statistics t WHERE t.round_id = f.round_id)
    """,
]

# closed rounds whose kind rows already count all their answers keep them (as db.recompute's
# _ROUND_KIND_STATISTICS): found by hash joins of per-round counts, and left out of the aggregation, so that
# a steady recomputation aggregates only the open rounds' answers
_FROZEN_KIND_ROUNDS = """
CREATE TEMPORARY TABLE frozen_kind_rounds ON COMMIT DROP AS
SELECT k.round_id
FROM (SELECT round_id, sum(response_count) AS n FROM round_kind_statistics GROUP BY round_id) k
JOIN survey_rounds r ON r.id = k.round_id AND r.status = 'CLOSED'
JOIN (SELECT round_id, count(*) AS n FROM survey_responses GROUP BY round_id) c ON c.round_id = k.round_id AND c.n = k.n
"""

_FRESH_KIND_STATISTICS = """
CREATE TEMPORARY TABLE fresh_kind_statistics ON COMMIT DROP AS
SELECT s.round_id, s.organization_kind AS kind, count(*)::int AS n, avg(s.overall)::float8 AS m1,
       avg(s.expectations_met)::float8 AS m2, avg(s.mutual_benefit)::float8 AS m3, avg(s.decision_speed)::float8 AS m4,
       avg(s.communication_trust)::float8 AS m5
FROM survey_responses s
WHERE NOT EXISTS (SELECT 1 FROM frozen_kind_rounds z WHERE z.round_id = s.round_id)
GROUP BY s.round_id, s.organization_kind
"""

_APPLY_KIND_STATISTICS = [
    "CREATE INDEX ON fresh_kind_statistics (round_id, kind)",
    "ANALYZE fresh_kind_statistics (round_id, kind)",
    """
    DELETE FROM round_kind_statistics k
    WHERE NOT EXISTS (
        SELECT 1 FROM fresh_kind_statistics f WHERE f.round_id = k.round_id AND f.kind = k.organization_kind
    ) AND NOT EXISTS (SELECT 1 FROM frozen_kind_rounds z WHERE z.round_id = k.round_id)
    """,
    """
    UPDATE round_kind_statistics k SET response_count = f.n, mean_overall = f.m1, mean_expectations_met = f.m2,
        mean_mutual_benefit = f.m3, mean_decision_speed = f.m4, mean_communication_trust = f.m5
    FROM fresh_kind_statistics f
    WHERE k.round_id = f.round_id AND k.organization_kind = f.kind
      AND (k.response_count, k.mean_overall, k.mean_expectations_met, k.mean_mutual_benefit, k.mean_decision_speed,
           k.mean_communication_trust) IS DISTINCT FROM (f.n, f.m1, f.m2, f.m3, f.m4, f.m5)
    """,
    """
    INSERT INTO round_kind_statistics (
        round_id, organization_kind, response_count, mean_overall, mean_expectations_met, mean_mutual_benefit,
        mean_decision_speed, mean_communication_trust
    )
    SELECT f.round_id, f.kind, f.n, f.m1, f.m2, f.m3, f.m4, f.m5 FROM fresh_kind_statistics f
    WHERE NOT EXISTS (
        SELECT 1 FROM round_kind_statistics k WHERE k.round_id = f.round_id AND k.organization_kind = f.kind
    )
    """,
]


async def recompute_all_round_statistics(connection: asyncpg.Connection) -> None:
    """Round statistics of every project, set-based (inside the caller's transaction)."""
    # the aggregations over all answers hash millions of groups: give them memory instead of disk; and the
    # diffs against a million existing rows are hash joins, never a million index probes
    await connection.execute("SET LOCAL work_mem = '256MB'")
    await connection.execute("SET LOCAL enable_nestloop = off")
    await connection.execute(_FRESH_ROUND_STATISTICS)
    await connection.execute("CREATE INDEX ON fresh_round_statistics (round_id)")
    await connection.execute("ANALYZE fresh_round_statistics (round_id)")  # the joins use only this column
    for statement in _APPLY_ROUND_STATISTICS:
        await connection.execute(statement)
    # only for the diffs above: the caller's later statements in this transaction (the flag sync, the
    # portfolio's lateral join) become several times slower without nested loops
    await connection.execute("SET LOCAL enable_nestloop = on")


async def recompute_all_kind_statistics(connection: asyncpg.Connection) -> None:
    """Per-kind statistics of every round, set-based, inside the caller's transaction. One script, sent at
    once: PostgreSQL works through all of it while the caller's Python goes on."""
    script = [
        "SET LOCAL work_mem = '256MB'",
        "SET LOCAL enable_nestloop = off",
        _FROZEN_KIND_ROUNDS,
        _FRESH_KIND_STATISTICS,
        *_APPLY_KIND_STATISTICS,
        "SET LOCAL enable_nestloop = on",  # as in recompute_all_round_statistics
    ]
    await connection.execute(";\n".join(script))


async def keep_transaction_open(connection: asyncpg.Connection) -> None:
    """Lift the pool's idle-in-transaction limit for the caller's transaction only."""
    await connection.execute("SET LOCAL idle_in_transaction_session_timeout = 0")


async def export_snapshot(connection: asyncpg.Connection) -> str:
    """The snapshot of the caller's (repeatable read) transaction, for `use_snapshot` on another connection."""
    return await connection.fetchval("SELECT pg_export_snapshot()")


async def use_snapshot(connection: asyncpg.Connection, snapshot: str) -> None:
    """Inside a fresh repeatable read transaction, before its first query: see exactly what the exporter sees."""
    if not re.fullmatch(r"[0-9A-Fa-f-]+", snapshot):  # a utility statement takes no parameters
        raise ValueError(f"not a snapshot id: {snapshot!r}")
    await connection.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")


DERIVED_TABLES = ("round_statistics", "round_kind_statistics", "project_trends", "project_health", "risk_flags",
                  "project_recompute_state", "portfolio_trends")  # fmt: skip


async def analyze_derived_tables(connection: asyncpg.Connection) -> None:
    """Fresh planner statistics after a bulk write (autovacuum would get there, minutes later)."""
    await connection.execute(f"ANALYZE {', '.join(DERIVED_TABLES)}")


async def all_rounds_for_rules(connection: asyncpg.Connection) -> list[asyncpg.Record]:
    """What `db.recompute.rounds_for_rules` gives for one project, for every project, ordered by project and sequence.
    Reads what `recompute_all_round_statistics` just aggregated, in the same transaction."""
    return await connection.fetch(
        """
        SELECT project_id, sequence, closed, response_count, m1 AS mean_overall, m2 AS mean_expectations_met,
               m3 AS mean_mutual_benefit, m4 AS mean_decision_speed, m5 AS mean_communication_trust,
               expected, answered_by, overall_scores
        FROM fresh_round_statistics ORDER BY project_id, sequence
        """
    )


async def all_projects_for_rules(
    connection: asyncpg.Connection, answering_roles: Sequence[str]
) -> list[asyncpg.Record]:
    """What `db.recompute.project_for_rules` gives for one project, for every project, with its data_version."""
    return await connection.fetch(
        """
        SELECT p.id, p.data_version, p.phase::text AS phase, p.exit_plan IS NOT NULL AS has_exit_plan,
               current_date AS today,
               current_date - (p.phase_changed_at AT TIME ZONE 'UTC')::date AS days_in_phase,
               coalesce(pp.partner_ids, '{}') AS partner_ids, coalesce(pp.partner_names, '{}') AS partner_names,
               coalesce(g.titles, '{}') AS overdue_titles, coalesce(g.dates, '{}') AS overdue_dates
        FROM cooperation_projects p
        LEFT JOIN (
            SELECT pp.project_id, array_agg(pp.organization_id ORDER BY pp.organization_id) AS partner_ids,
                   array_agg(o.name ORDER BY pp.organization_id) AS partner_names
            FROM project_partners pp JOIN organizations o ON o.id = pp.organization_id
            WHERE pp.role = ANY($1::partner_role[]) AND pp.left_on IS NULL
            GROUP BY pp.project_id
        ) pp ON pp.project_id = p.id
        LEFT JOIN (
            SELECT project_id, array_agg(title ORDER BY due_on, id) AS titles,
                   array_agg(due_on ORDER BY due_on, id) AS dates
            FROM project_goals WHERE status = 'OPEN' AND due_on < current_date
            GROUP BY project_id
        ) g ON g.project_id = p.id
        ORDER BY p.id
        """,
        answering_roles,
    )
