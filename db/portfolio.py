"""SQL of the members' portfolio: monthly means per organization kind and industry, the fingerprint of its
inputs, the series read by the API, and the closed months' publication."""

from dataclasses import dataclass
from datetime import date

import asyncpg

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


async def portfolio_prior(connection: asyncpg.Connection) -> dict[str, float]:
    """dimension -> the mean of every answer the published portfolio holds (its released cells by kind, each
    weighed by its answers): the level a project's first round is shrunk toward. Released values only, so
    what partners see of it is what members were shown."""
    rows = await connection.fetch(
        """
        SELECT dimension::text, sum(mean * response_count) / sum(response_count) AS mean
        FROM portfolio_releases
        WHERE grouping = 'ORGANIZATION_KIND' AND released AND response_count > 0
        GROUP BY dimension
        """
    )
    return {row["dimension"]: float(row["mean"]) for row in rows}


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


async def answers_linked_to_month(connection: asyncpg.Connection, period: date) -> list[asyncpg.Record]:
    """Every answer of the rounds that have an answer in the month, with organization, its kind now (`kind`:
    the portfolio groups by the kinds at publication), the kind the answer recorded at submission
    (`answer_kind`: the round's per-kind means group by it), industry, month and whether the round has
    closed. Read once per month: the publication's checks then narrow it down in memory."""
    return await connection.fetch(
        """
        WITH rounds AS (
            SELECT DISTINCT s.round_id FROM survey_responses s
            WHERE s.submitted_at >= $1::date::timestamp AT TIME ZONE 'UTC'
              AND s.submitted_at < ($1::date + interval '1 month')::timestamp AT TIME ZONE 'UTC'
        )
        SELECT s.id, s.round_id, s.organization_id, o.kind::text AS kind, s.organization_kind::text AS answer_kind,
               o.industry,
               date_trunc('month', s.submitted_at AT TIME ZONE 'UTC')::date AS period, r.status = 'CLOSED' AS closed
        FROM rounds JOIN survey_responses s ON s.round_id = rounds.round_id
        JOIN organizations o ON o.id = s.organization_id
        JOIN survey_rounds r ON r.id = s.round_id
        """,
        period,
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
