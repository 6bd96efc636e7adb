"""Answers and organizations placed for portfolio tests."""

from datetime import date, timedelta

import asyncpg


async def answered_last_month(connection: asyncpg.Connection, answers: list[tuple[int, int]]) -> None:
    """(organization id, overall) answers, each in a solo project round of its own, submitted last month."""
    last_month = date.today().replace(day=1) - timedelta(days=10)
    for organization, score in answers:
        project = await connection.fetchval(
            "INSERT INTO cooperation_projects (title, kind, phase) VALUES ('Solo', 'MARKETING', 'ACTIVE') RETURNING id"
        )
        round_id = await connection.fetchval(
            "INSERT INTO survey_rounds (project_id, sequence) VALUES ($1, 1) RETURNING id", project
        )
        await connection.execute(
            "INSERT INTO survey_responses (round_id, organization_id, overall, expectations_met, mutual_benefit, "
            "decision_speed, communication_trust, continue_likelihood, submitted_at) "
            "VALUES ($1, $2, $3, $3, $3, $3, $3, 8, $4::date + time '12:00')",
            round_id,
            organization,
            score,
            last_month,
        )


async def organization(connection: asyncpg.Connection, name: str, kind: str, industry: str) -> int:
    return await connection.fetchval(
        "INSERT INTO organizations (kind, name, industry, city, country) VALUES ($1, $2, $3, 'Ulm', 'DE') RETURNING id",
        kind,
        name,
        industry,
    )
