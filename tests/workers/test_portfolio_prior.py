"""The portfolio prior: a project's first round is shrunk toward the published portfolio's level."""

import asyncpg

from db import portfolio
from domain.risk_rules import Thresholds
from workers.recompute import recompute


async def _project_with_one_low_round(connection: asyncpg.Connection) -> int:
    project_id = await connection.fetchval(
        "INSERT INTO cooperation_projects (title, kind, phase, exit_plan, phase_changed_at) "
        "VALUES ('Prior', 'RESEARCH', 'ACTIVE', 'agreed', now() - interval '30 days') RETURNING id"
    )
    round_id = await connection.fetchval(
        "INSERT INTO survey_rounds (project_id, sequence) VALUES ($1, 1) RETURNING id", project_id
    )
    for number, score in enumerate((1, 2, 1)):
        organization = await connection.fetchval(
            "INSERT INTO organizations (kind, name, industry, city, country) "
            "VALUES ('SME', $1, 'Simulation', 'Berlin', 'DE') RETURNING id",
            f"Prior partner {number}",
        )
        await connection.execute(
            "INSERT INTO project_partners (project_id, organization_id, role) VALUES ($1, $2, 'PARTNER')",
            project_id,
            organization,
        )
        await connection.execute(
            "INSERT INTO survey_round_participants (round_id, organization_id) VALUES ($1, $2)", round_id, organization
        )
        await connection.execute(
            "INSERT INTO survey_responses (round_id, organization_id, overall, expectations_met, mutual_benefit, "
            "decision_speed, communication_trust, continue_likelihood) VALUES ($1, $2, $3, $3, $3, $3, $3, 8)",
            round_id,
            organization,
            score,
        )
    await connection.execute("UPDATE survey_rounds SET status = 'CLOSED', closed_at = now() WHERE id = $1", round_id)
    return project_id


async def _health(connection: asyncpg.Connection, project_id: int) -> tuple[int, set[str]]:
    await connection.execute(
        "UPDATE cooperation_projects SET data_version = data_version + 1 WHERE id = $1", project_id
    )
    await recompute(connection, project_id, Thresholds())
    score = await connection.fetchval("SELECT score FROM project_health WHERE project_id = $1", project_id)
    rows = await connection.fetch(
        "SELECT reason::text FROM risk_flags WHERE project_id = $1 AND audience = 'FULL' AND resolved_at IS NULL",
        project_id,
    )
    return score, {row["reason"] for row in rows}


async def test_the_prior_is_the_published_portfolio_and_moves_a_first_round(connection: asyncpg.Connection) -> None:
    assert await portfolio.portfolio_prior(connection) == {}
    project_id = await _project_with_one_low_round(connection)
    alone, reasons_alone = await _health(connection, project_id)
    assert "LOW_SATISFACTION" in reasons_alone  # 1.3 from three answers, nothing to shrink toward
    await connection.execute(
        "INSERT INTO portfolio_releases (grouping, key, dimension, period, mean, response_count, organization_count, "
        "released) VALUES "
        "('ORGANIZATION_KIND', 'SME', 'OVERALL', '2026-01-01', 4.0, 30, 6, true), "
        "('ORGANIZATION_KIND', 'STARTUP', 'OVERALL', '2026-01-01', 3.0, 10, 3, true), "
        "('ORGANIZATION_KIND', 'CORPORATE', 'OVERALL', '2026-01-01', NULL, 2, 2, false), "
        "('INDUSTRY', 'Energy', 'OVERALL', '2026-01-01', 1.0, 40, 9, true)"
    )
    assert await portfolio.portfolio_prior(connection) == {"OVERALL": 3.75}  # weighed by answers, released only
    shrunk, reasons_shrunk = await _health(connection, project_id)
    assert "LOW_SATISFACTION" not in reasons_shrunk
    assert alone < shrunk
