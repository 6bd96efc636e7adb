"""Statistics the workers compute with set-based SQL, and the bookkeeping of what is up to date."""

import re
from dataclasses import dataclass
from datetime import date

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

# Per-kind means of a round are frozen once it has closed: an organization that changes its kind later must
# not move a closed round's kinds (before and after would give its answer by difference). A closed round is
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
WITH unfrozen AS ({_UNFROZEN_ROUNDS.format(where="r.project_id = $1")}),
fresh AS (
    SELECT s.round_id, o.kind, count(*) AS n, avg(s.overall) AS o1, avg(s.expectations_met) AS o2,
           avg(s.mutual_benefit) AS o3, avg(s.decision_speed) AS o4, avg(s.communication_trust) AS o5
    FROM unfrozen u
    JOIN survey_responses s ON s.round_id = u.id
    JOIN organizations o ON o.id = s.organization_id
    GROUP BY s.round_id, o.kind
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


_STALE = """FROM cooperation_projects p LEFT JOIN project_recompute_state s ON s.project_id = p.id
    WHERE s.project_id IS NULL OR s.computed_version < p.data_version"""


async def stale_projects(connection: asyncpg.Connection, limit: int = 10_000) -> list[int]:
    """Projects whose data is newer than their statistics."""
    rows = await connection.fetch(f"SELECT p.id {_STALE} ORDER BY p.id LIMIT $1", limit)
    return [row["id"] for row in rows]


async def stale_project_count(connection: asyncpg.Connection) -> int:
    """How many projects have data newer than their statistics (the workers' backlog)."""
    return await connection.fetchval(f"SELECT count(*) {_STALE}")


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


_STORE_HEALTH = """
INSERT INTO project_health AS h (project_id, score, risk_level, risk_rank, partner_score, partner_risk_level,
                                 partner_risk_rank, computed_at)
SELECT r.*, now() FROM unnest($1::bigint[], $2::smallint[], $3::risk_level[], $4::float8[], $5::smallint[],
                              $6::risk_level[], $7::float8[]) AS r
ON CONFLICT (project_id) DO UPDATE SET score = excluded.score, risk_level = excluded.risk_level,
    risk_rank = excluded.risk_rank, partner_score = excluded.partner_score,
    partner_risk_level = excluded.partner_risk_level, partner_risk_rank = excluded.partner_risk_rank,
    computed_at = excluded.computed_at
"""


async def store_health(connection: asyncpg.Connection, row: tuple) -> None:
    """row: (project_id, score, risk_level, risk_rank, partner_score, partner_risk_level, partner_risk_rank)."""
    await connection.execute(_STORE_HEALTH, *([value] for value in row))


async def lock_project_recomputation(connection: asyncpg.Connection, project_id: int) -> None:
    """Serialize recomputations of one project (session locks, taken before the snapshot): its own lock,
    and the bulk recomputation's lock in shared mode, so that a bulk run and project jobs exclude each other."""
    await connection.execute(
        "SELECT pg_advisory_lock_shared($1), pg_advisory_lock($2, $3)", BULK_LOCK_KEY, RECOMPUTE_LOCK_SPACE, project_id
    )


async def unlock_project_recomputation(connection: asyncpg.Connection, project_id: int) -> None:
    await connection.execute(
        "SELECT pg_advisory_unlock($2, $3), pg_advisory_unlock_shared($1)",
        BULK_LOCK_KEY,
        RECOMPUTE_LOCK_SPACE,
        project_id,
    )


async def lock_bulk_recomputation(connection: asyncpg.Connection) -> None:
    await connection.execute("SELECT pg_advisory_lock($1)", BULK_LOCK_KEY)


async def unlock_bulk_recomputation(connection: asyncpg.Connection) -> None:
    await connection.execute("SELECT pg_advisory_unlock($1)", BULK_LOCK_KEY)


RECOMPUTE_LOCK_SPACE = 0x5052  # "PR": the first key of (space, project id) advisory locks
BULK_LOCK_KEY = 0x50504255  # "PPBU"


# -- read side ---------------------------------------------------------------------------------------------

STAT_COLUMNS = """s.round_id, s.project_id, s.sequence, s.response_count, s.expected_count,
    (SELECT r.status = 'CLOSED' FROM survey_rounds r WHERE r.id = s.round_id) AS closed, s.mean_overall,
    s.mean_expectations_met, s.mean_mutual_benefit, s.mean_decision_speed, s.mean_communication_trust, s.nps,
    s.computed_at"""


async def latest_statistics(connection: asyncpg.Connection, project_ids: list[int]) -> list[asyncpg.Record]:
    """Per project, the statistics of the latest round with answers."""
    return await connection.fetch(
        f"""
        SELECT DISTINCT ON (s.project_id) {STAT_COLUMNS} FROM round_statistics s
        WHERE s.project_id = ANY($1::bigint[]) AND s.response_count > 0
        ORDER BY s.project_id, s.sequence DESC
        """,
        project_ids,
    )


async def latest_released_statistics(
    connection: asyncpg.Connection, project_ids: list[int], min_group_size: int
) -> list[asyncpg.Record]:
    """Per project, what plain partners see as the latest statistics: the latest released round (closed, with
    at least `min_group_size` answers), else the latest round with answers (whose numbers stay withheld)."""
    return await connection.fetch(
        f"""
        SELECT DISTINCT ON (s.project_id) {STAT_COLUMNS} FROM round_statistics s
        JOIN survey_rounds r ON r.id = s.round_id
        WHERE s.project_id = ANY($1::bigint[]) AND s.response_count > 0
        ORDER BY s.project_id, (r.status = 'CLOSED' AND s.response_count >= $2) DESC, s.sequence DESC
        """,
        project_ids,
        min_group_size,
    )


async def recent_statistics(connection: asyncpg.Connection, project_ids: list[int], last: int) -> list[asyncpg.Record]:
    """Per project, the statistics of its last `last` rounds, oldest first."""
    return await connection.fetch(
        f"""
        SELECT page.* FROM unnest($1::bigint[]) AS p(id)
        CROSS JOIN LATERAL (
            SELECT * FROM (
                SELECT {STAT_COLUMNS} FROM round_statistics s WHERE s.project_id = p.id
                ORDER BY s.sequence DESC LIMIT $2
            ) latest ORDER BY sequence
        ) page
        """,
        project_ids,
        last,
    )


async def kind_statistics(connection: asyncpg.Connection, round_ids: list[int]) -> list[asyncpg.Record]:
    return await connection.fetch(
        """
        SELECT round_id, organization_kind::text AS kind, response_count, mean_overall, mean_expectations_met,
               mean_mutual_benefit, mean_decision_speed, mean_communication_trust
        FROM round_kind_statistics WHERE round_id = ANY($1::bigint[]) ORDER BY round_id, organization_kind
        """,
        round_ids,
    )


async def health_of_projects(connection: asyncpg.Connection, project_ids: list[int]) -> list[asyncpg.Record]:
    return await connection.fetch(
        """
        SELECT h.project_id, h.score, h.risk_level::text AS risk_level, h.partner_score,
               h.partner_risk_level::text AS partner_risk_level, h.computed_at,
               (s.computed_version >= p.data_version) AS up_to_date
        FROM project_health h
        JOIN cooperation_projects p ON p.id = h.project_id
        LEFT JOIN project_recompute_state s ON s.project_id = h.project_id
        WHERE h.project_id = ANY($1::bigint[])
        """,
        project_ids,
    )


async def trends_of_projects(connection: asyncpg.Connection, project_ids: list[int]) -> list[asyncpg.Record]:
    return await connection.fetch(
        """
        SELECT project_id, dimension::text AS dimension, slope, smoothed, rounds_used
        FROM project_trends WHERE project_id = ANY($1::bigint[])
        """,
        project_ids,
    )


# The at-risk list as the viewer sees each project: admins and the project's moderators by the full risk
# level and rank, plain partners by the partner versions computed from released values only ($1: the
# viewer's organization, null for admins).
_AT_RISK_VIEW = """
    SELECT h.project_id, h.risk_level AS level, h.risk_rank AS rank FROM project_health h
    WHERE $1::bigint IS NULL
    UNION ALL
    SELECT h.project_id,
           CASE WHEN m.role = 'MODERATOR' THEN h.risk_level ELSE coalesce(h.partner_risk_level, 'NONE') END,
           CASE WHEN m.role = 'MODERATOR' THEN h.risk_rank ELSE coalesce(h.partner_risk_rank, 0) END
    FROM project_partners m JOIN project_health h ON h.project_id = m.project_id
    WHERE $1::bigint IS NOT NULL AND m.organization_id = $1
"""


async def at_risk_projects(
    connection: asyncpg.Connection,
    *,
    member_of: int | None,
    min_level: str,
    after: tuple[float, int] | None,
    limit: int,
) -> list[asyncpg.Record]:
    """Projects with an open flag of at least `min_level`, most severe first (keyset: risk_rank, id), each as
    the viewer sees it."""
    from db.projects import COLUMNS

    return await connection.fetch(
        f"""
        SELECT {COLUMNS}, v.rank AS risk_rank FROM ({_AT_RISK_VIEW}) v
        JOIN cooperation_projects p ON p.id = v.project_id
        WHERE v.level <> 'NONE' AND v.level >= $2::risk_level
          AND ($3::float8 IS NULL OR (v.rank, v.project_id) < ($3, $4))
        ORDER BY v.rank DESC, v.project_id DESC
        LIMIT $5
        """,
        member_of,
        min_level,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )


async def count_at_risk_projects(connection: asyncpg.Connection, *, member_of: int | None, min_level: str) -> int:
    return await connection.fetchval(
        f"SELECT count(*) FROM ({_AT_RISK_VIEW}) v WHERE v.level <> 'NONE' AND v.level >= $2::risk_level",
        member_of,
        min_level,
    )


# -- portfolio ---------------------------------------------------------------------------------------------

# One pass over the answers per (organization, month), then per (kind, industry, month), then both groupings
# from that small result. Each organization has one kind and one industry, so organization counts add up.
_PORTFOLIO_BASE = """
WITH per_organization AS (
    SELECT s.organization_id, date_trunc('month', s.submitted_at AT TIME ZONE 'UTC')::date AS period,
           count(*) AS n, sum(s.overall) AS s1, sum(s.expectations_met) AS s2, sum(s.mutual_benefit) AS s3,
           sum(s.decision_speed) AS s4, sum(s.communication_trust) AS s5
    FROM survey_responses s
    WHERE $1::date IS NULL OR s.submitted_at >= $1::date::timestamp AT TIME ZONE 'UTC'
    GROUP BY 1, 2
), base AS (
    SELECT o.kind::text AS kind, o.industry, a.period, count(*) AS organizations, sum(a.n) AS n,
           sum(a.s1) AS s1, sum(a.s2) AS s2, sum(a.s3) AS s3, sum(a.s4) AS s4, sum(a.s5) AS s5
    FROM per_organization a JOIN organizations o ON o.id = a.organization_id
    GROUP BY 1, 2, 3
)"""

_PORTFOLIO = (
    _PORTFOLIO_BASE
    + """, grouped AS (
    SELECT 'ORGANIZATION_KIND'::trend_grouping AS grouping, kind AS key, period, sum(organizations) AS organizations,
           sum(n) AS n, sum(s1) AS s1, sum(s2) AS s2, sum(s3) AS s3, sum(s4) AS s4, sum(s5) AS s5
    FROM base GROUP BY kind, period
    UNION ALL
    SELECT 'INDUSTRY', industry, period, sum(organizations), sum(n), sum(s1), sum(s2), sum(s3), sum(s4), sum(s5)
    FROM base GROUP BY industry, period
)
INSERT INTO portfolio_trends (grouping, key, dimension, period, mean, response_count, organization_count, computed_at)
SELECT g.grouping, g.key, d.dimension, g.period, d.total / g.n, g.n, g.organizations, now()
FROM grouped g
CROSS JOIN LATERAL (VALUES
    ('OVERALL'::satisfaction_dimension, g.s1), ('EXPECTATIONS_MET', g.s2), ('MUTUAL_BENEFIT', g.s3),
    ('DECISION_SPEED', g.s4), ('COMMUNICATION_TRUST', g.s5)
) AS d(dimension, total)
"""
)


@dataclass(frozen=True)
class PortfolioInputs:
    """A fingerprint of what the portfolio is computed from, in two parts: everything before the current month
    (with the organizations' kinds and industries, which regroup every month), and the current month. Answers
    are only added or deleted, never changed, and their ids are never reused: their count and the sum of their
    ids change with every change of the set (also when transactions commit out of id order)."""

    month: date  # the first day of the current month (UTC)
    history: str
    current: str

    def encode(self) -> str:
        return f"{self.month.isoformat()}|{self.history}|{self.current}"

    @classmethod
    def decode(cls, text: str) -> "PortfolioInputs | None":
        parts = text.split("|")
        if len(parts) != 3:
            return None
        try:
            return cls(date.fromisoformat(parts[0]), parts[1], parts[2])
        except ValueError:
            return None


async def portfolio_inputs(connection: asyncpg.Connection) -> PortfolioInputs:
    row = await connection.fetchrow(
        """
        WITH m AS (SELECT date_trunc('month', now() AT TIME ZONE 'UTC')::date AS month),
        everything AS (SELECT count(*) AS n, coalesce(sum(id), 0) AS ids FROM survey_responses),
        this_month AS (
            SELECT count(*) AS n, coalesce(sum(s.id), 0) AS ids FROM survey_responses s, m
            WHERE s.submitted_at >= m.month::timestamp AT TIME ZONE 'UTC'
        )
        SELECT m.month,
               concat_ws('/', e.n - c.n, e.ids - c.ids, o.groups) AS history,
               concat_ws('/', c.n, c.ids) AS current
        FROM m, everything e, this_month c,
             (SELECT md5(string_agg(id || kind::text || industry, '|' ORDER BY id)) AS groups FROM organizations) o
        """
    )
    return PortfolioInputs(row["month"], row["history"], row["current"])


async def refresh_portfolio(connection: asyncpg.Connection, since: date | None = None) -> int:
    """Recompute the monthly portfolio means in one transaction (readers see the old or the new set): all of
    them, or the months from `since` on."""
    async with connection.transaction():
        # a few hundred groups over all answers: with the default 4 MB the planner sorts every answer on disk
        # instead of hashing (0.69 s instead of 0.22 s at 200k answers; the cron job runs this every minute)
        await connection.execute("SET LOCAL work_mem = '64MB'")
        await connection.execute("DELETE FROM portfolio_trends WHERE $1::date IS NULL OR period >= $1", since)
        status = await connection.execute(_PORTFOLIO, since)
    return int(status.split()[-1])


_SERIES = """
SELECT key, period, mean, response_count, organization_count, {released} AS released FROM {table}
WHERE grouping = $1 AND dimension = $2
  AND ($3::date IS NULL OR period >= date_trunc('month', $3::date)) AND ($4::date IS NULL OR period <= $4)
ORDER BY key, period
"""


async def portfolio_series(
    connection: asyncpg.Connection, grouping: str, dimension: str, since: object, until: object
) -> list[asyncpg.Record]:
    """The live portfolio, every month and cell (for admins)."""
    query = _SERIES.format(table="portfolio_trends", released="true")
    return await connection.fetch(query, grouping, dimension, since, until)


async def published_portfolio_series(
    connection: asyncpg.Connection, grouping: str, dimension: str, since: object, until: object
) -> list[asyncpg.Record]:
    """The portfolio as members see it: closed months as published when they closed."""
    query = _SERIES.format(table="portfolio_releases", released="released")
    return await connection.fetch(query, grouping, dimension, since, until)


async def unpublished_closed_periods(connection: asyncpg.Connection) -> list[date]:
    """Months before the current one (UTC) in the portfolio that members have not been shown yet."""
    rows = await connection.fetch(
        """
        SELECT DISTINCT t.period FROM portfolio_trends t
        WHERE t.period < date_trunc('month', now() AT TIME ZONE 'UTC')::date
          AND NOT EXISTS (SELECT 1 FROM portfolio_published_periods p WHERE p.period = t.period)
        ORDER BY t.period
        """
    )
    return [row["period"] for row in rows]


async def portfolio_atoms(connection: asyncpg.Connection, periods: list[date]) -> list[asyncpg.Record]:
    """Organizations that answered per (month, kind, industry): the finest cells both groupings sum."""
    return await connection.fetch(
        _PORTFOLIO_BASE
        + """
        SELECT period, kind, industry, organizations::int AS organizations FROM base
        WHERE period = ANY($2::date[]) ORDER BY period, kind, industry
        """,
        min(periods) if periods else None,
        periods,
    )


async def answers_linked_to_cells(
    connection: asyncpg.Connection, period: date, groupings: list[str], keys: list[str]
) -> list[asyncpg.Record]:
    """The month's answers of the given cells (grouping, key), and every answer of the rounds they belong to,
    with organization, kind, industry, month and whether the round has closed."""
    return await connection.fetch(
        """
        WITH cells AS (SELECT * FROM unnest($2::trend_grouping[], $3::text[]) AS c(grouping, key)),
        rounds AS (
            SELECT DISTINCT s.round_id FROM survey_responses s
            JOIN organizations o ON o.id = s.organization_id
            JOIN cells c ON (c.grouping = 'ORGANIZATION_KIND' AND c.key = o.kind::text)
                         OR (c.grouping = 'INDUSTRY' AND c.key = o.industry)
            WHERE s.submitted_at >= $1::date::timestamp AT TIME ZONE 'UTC'
              AND s.submitted_at < ($1::date + interval '1 month')::timestamp AT TIME ZONE 'UTC'
        )
        SELECT s.id, s.round_id, s.organization_id, o.kind::text AS kind, o.industry,
               date_trunc('month', s.submitted_at AT TIME ZONE 'UTC')::date AS period, r.status = 'CLOSED' AS closed
        FROM rounds JOIN survey_responses s ON s.round_id = rounds.round_id
        JOIN organizations o ON o.id = s.organization_id
        JOIN survey_rounds r ON r.id = s.round_id
        """,
        period,
        groupings,
        keys,
    )


async def publish_portfolio(
    connection: asyncpg.Connection, periods: list[date], shown: list[tuple[date, str, str]]
) -> None:
    """Freeze the members' view of closed months: every cell of `periods`, with its mean only when it is in
    `shown` (period, grouping, key); a month is published once."""
    await connection.execute(
        """
        WITH fresh AS (
            INSERT INTO portfolio_published_periods (period) SELECT unnest($1::date[])
            ON CONFLICT (period) DO NOTHING RETURNING period
        )
        INSERT INTO portfolio_releases (grouping, key, dimension, period, mean, response_count, organization_count,
                                        released)
        SELECT t.grouping, t.key, t.dimension, t.period, CASE WHEN s.period IS NULL THEN NULL ELSE t.mean END,
               t.response_count, t.organization_count, s.period IS NOT NULL
        FROM portfolio_trends t JOIN fresh f ON f.period = t.period
        LEFT JOIN unnest($2::date[], $3::trend_grouping[], $4::text[]) AS s(period, grouping, key)
               ON (s.period, s.grouping, s.key) = (t.period, t.grouping, t.key)
        """,
        periods,
        [cell[0] for cell in shown],
        [cell[1] for cell in shown],
        [cell[2] for cell in shown],
    )


async def projects_needing_time_rules(connection: asyncpg.Connection, settings_days: tuple[int, int]) -> list[int]:
    """Projects where a time-based rule (NO_EXIT_PLAN, STALLED, overdue goals) holds but its flag is not
    open: time passed, no data changed, so nothing else would recompute them."""
    no_exit_plan_days, stalled_days = settings_days
    rows = await connection.fetch(
        """
        SELECT p.id FROM cooperation_projects p
        WHERE (
            p.phase = 'ACTIVE' AND p.exit_plan IS NULL AND p.phase_changed_at < now() - make_interval(days => $1)
            AND NOT EXISTS (SELECT 1 FROM risk_flags f WHERE f.project_id = p.id AND f.resolved_at IS NULL
                            AND f.reason = 'NO_EXIT_PLAN')
        ) OR (
            p.phase IN ('ASSESSMENT', 'GOAL_SETTING', 'PARTNER_SEARCH', 'INITIATION')
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
    )
    return [row["id"] for row in rows]


async def open_project_ids(connection: asyncpg.Connection) -> list[int]:
    rows = await connection.fetch(
        "SELECT id FROM cooperation_projects WHERE phase NOT IN ('COMPLETED', 'TERMINATED') ORDER BY id"
    )
    return [row["id"] for row in rows]


# -- bulk: every project at once -----------------------------------------------------------------------------

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

_FRESH_KIND_STATISTICS = """
CREATE TEMPORARY TABLE fresh_kind_statistics ON COMMIT DROP AS
SELECT s.round_id, o.kind, count(*)::int AS n, avg(s.overall)::float8 AS m1, avg(s.expectations_met)::float8 AS m2,
       avg(s.mutual_benefit)::float8 AS m3, avg(s.decision_speed)::float8 AS m4,
       avg(s.communication_trust)::float8 AS m5
FROM survey_responses s JOIN organizations o ON o.id = s.organization_id
GROUP BY s.round_id, o.kind
"""

# closed rounds whose kind rows already count all their answers keep them (as _ROUND_KIND_STATISTICS)
_FROZEN_KIND_ROUNDS = """
CREATE TEMPORARY TABLE frozen_kind_rounds ON COMMIT DROP AS
SELECT k.round_id FROM round_kind_statistics k JOIN survey_rounds r ON r.id = k.round_id AND r.status = 'CLOSED'
GROUP BY k.round_id
HAVING sum(k.response_count) = (SELECT count(*) FROM survey_responses s WHERE s.round_id = k.round_id)
"""

_APPLY_KIND_STATISTICS = [
    _FROZEN_KIND_ROUNDS,
    "DELETE FROM fresh_kind_statistics f USING frozen_kind_rounds z WHERE f.round_id = z.round_id",
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
        _FRESH_KIND_STATISTICS,
        *_APPLY_KIND_STATISTICS,
        "SET LOCAL enable_nestloop = on",  # as in recompute_all_round_statistics
    ]
    await connection.execute(";\n".join(script))


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
    """What `rounds_for_rules` gives for one project, for every project, ordered by project and sequence.
    Reads what `recompute_all_round_statistics` just aggregated, in the same transaction."""
    return await connection.fetch(
        """
        SELECT project_id, sequence, closed, response_count, m1 AS mean_overall, m2 AS mean_expectations_met,
               m3 AS mean_mutual_benefit, m4 AS mean_decision_speed, m5 AS mean_communication_trust,
               expected, answered_by, overall_scores
        FROM fresh_round_statistics ORDER BY project_id, sequence
        """
    )


async def all_projects_for_rules(connection: asyncpg.Connection) -> list[asyncpg.Record]:
    """What `project_for_rules` gives for one project, for every project, with its data_version."""
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
            WHERE pp.role <> 'MODERATOR' AND pp.left_on IS NULL
            GROUP BY pp.project_id
        ) pp ON pp.project_id = p.id
        LEFT JOIN (
            SELECT project_id, array_agg(title ORDER BY due_on, id) AS titles,
                   array_agg(due_on ORDER BY due_on, id) AS dates
            FROM project_goals WHERE status = 'OPEN' AND due_on < current_date
            GROUP BY project_id
        ) g ON g.project_id = p.id
        ORDER BY p.id
        """
    )


async def store_all_trends(connection: asyncpg.Connection, rows: list[tuple]) -> None:
    """rows: (project_id, dimension, slope, smoothed, rounds_used) of every project; unchanged rows stay."""
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


async def store_all_health(connection: asyncpg.Connection, rows: list[tuple]) -> None:
    """rows: as for `store_health`, of every project; unchanged rows stay."""
    if not rows:
        return
    await connection.execute(
        _STORE_HEALTH
        + """
        WHERE (h.score, h.risk_level, h.risk_rank, h.partner_score, h.partner_risk_level, h.partner_risk_rank)
              IS DISTINCT FROM (excluded.score, excluded.risk_level, excluded.risk_rank, excluded.partner_score,
                                excluded.partner_risk_level, excluded.partner_risk_rank)
        """,
        *(list(column) for column in zip(*rows, strict=True)),
    )


async def mark_all_computed(connection: asyncpg.Connection, versions: list[tuple[int, int]]) -> None:
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
