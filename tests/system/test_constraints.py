"""The database enforces the domain: each statement below violates one rule and must fail."""

import asyncpg
import pytest

FIXTURE = """
INSERT INTO organizations (id, kind, name, industry, city, country) OVERRIDING SYSTEM VALUE VALUES
    (1, 'SME', 'Brandt Maschinenbau GmbH', 'Mechanical Engineering', 'Stuttgart', 'DE'),
    (2, 'STARTUP', 'Quantivo GmbH', 'Software & IT', 'Berlin', 'DE'),
    (3, 'RESEARCH_INSTITUTE', 'Institut für Produktionstechnik Aachen', 'Research', 'Aachen', 'DE'),
    (4, 'CORPORATE', 'Nordwerke AG', 'Chemicals', 'Hamburg', 'DE');
INSERT INTO cooperation_projects (id, title, kind, phase) OVERRIDING SYSTEM VALUE VALUES
    (1, 'Predictive maintenance pilot', 'TECHNOLOGY_PILOT', 'ACTIVE');
INSERT INTO project_partners (project_id, organization_id, role) VALUES
    (1, 1, 'LEAD'), (1, 2, 'PARTNER'), (1, 3, 'MODERATOR');
INSERT INTO survey_rounds (id, project_id, sequence) OVERRIDING SYSTEM VALUE VALUES (1, 1, 1);
INSERT INTO survey_responses (round_id, organization_id, overall, expectations_met, mutual_benefit,
    decision_speed, communication_trust, continue_likelihood, idempotency_key)
    VALUES (1, 1, 4, 4, 4, 4, 4, 8, 'key-1');
INSERT INTO risk_flags (project_id, reason, severity, explanations) VALUES
    (1, 'NO_EXIT_PLAN', 'LOW', jsonb_build_object('en', 'Active for 120 days without an exit plan.'));
"""

ANSWER = """INSERT INTO survey_responses (round_id, organization_id, overall, expectations_met, mutual_benefit,
    decision_speed, communication_trust, continue_likelihood, comment, idempotency_key) VALUES """

VIOLATIONS = {
    "score above 5": (ANSWER + "(1, 2, 6, 4, 4, 4, 4, 8, NULL, NULL)", asyncpg.CheckViolationError),
    "score below 1": (ANSWER + "(1, 2, 4, 0, 4, 4, 4, 8, NULL, NULL)", asyncpg.CheckViolationError),
    "continue likelihood above 10": (ANSWER + "(1, 2, 4, 4, 4, 4, 4, 11, NULL, NULL)", asyncpg.CheckViolationError),
    "comment over 2000 characters": (
        ANSWER + "(1, 2, 4, 4, 4, 4, 4, 8, repeat('x', 2001), NULL)",
        asyncpg.CheckViolationError,
    ),
    "second answer of an organization to a round": (
        ANSWER + "(1, 1, 3, 3, 3, 3, 3, 5, NULL, 'key-2')",
        asyncpg.UniqueViolationError,
    ),
    "reused idempotency key of an organization": (
        "INSERT INTO survey_rounds (id, project_id, sequence, status, closed_at) OVERRIDING SYSTEM VALUE "
        "VALUES (2, 1, 2, 'CLOSED', now() + interval '1 day');" + ANSWER + "(2, 1, 3, 3, 3, 3, 3, 5, NULL, 'key-1')",
        asyncpg.UniqueViolationError,
    ),
    "second open round of a project": (
        "INSERT INTO survey_rounds (project_id, sequence) VALUES (1, 2)",
        asyncpg.UniqueViolationError,
    ),
    "duplicate round sequence": (
        "INSERT INTO survey_rounds (project_id, sequence, status, closed_at) VALUES (1, 1, 'CLOSED', now())",
        asyncpg.UniqueViolationError,
    ),
    "closed round without closing time": (
        "INSERT INTO survey_rounds (project_id, sequence, status) VALUES (1, 2, 'CLOSED')",
        asyncpg.CheckViolationError,
    ),
    "second open flag for the same project, reason and no organization": (
        "INSERT INTO risk_flags (project_id, reason, severity, explanations) VALUES (1, 'NO_EXIT_PLAN', 'HIGH', jsonb_build_object('en', 'x'))",
        asyncpg.UniqueViolationError,
    ),
    "evidence that is not an object": (
        "INSERT INTO risk_flags (project_id, reason, severity, explanations, evidence) "
        "VALUES (1, 'STALLED', 'LOW', jsonb_build_object('en', 'x'), '[1]')",
        asyncpg.CheckViolationError,
    ),
    "explanations without English": (
        "INSERT INTO risk_flags (project_id, reason, severity, explanations) VALUES (1, 'STALLED', 'LOW', jsonb_build_object('de', 'x'))",
        asyncpg.NotNullViolationError,  # `explanation`, the English text, is computed from it and required
    ),
    "an explanation over 2000 characters in one language": (
        "INSERT INTO risk_flags (project_id, reason, severity, explanations) "
        "VALUES (1, 'STALLED', 'LOW', jsonb_build_object('en', 'x', 'de', repeat('x', 2001)))",
        asyncpg.CheckViolationError,
    ),
    "an empty explanation": (
        "INSERT INTO risk_flags (project_id, reason, severity, explanations) VALUES (1, 'STALLED', 'LOW', jsonb_build_object('en', ''))",
        asyncpg.CheckViolationError,
    ),
    "unknown organization kind": (
        "INSERT INTO organizations (kind, name, industry, city, country) VALUES ('NGO', 'x', 'x', 'x', 'DE')",
        asyncpg.InvalidTextRepresentationError,
    ),
    "lower-case country code": (
        "INSERT INTO organizations (kind, name, industry, city, country) VALUES ('SME', 'x', 'x', 'x', 'de')",
        asyncpg.CheckViolationError,
    ),
    "funding stage of an SME": (
        "INSERT INTO organizations (kind, name, industry, city, country, funding_stage) "
        "VALUES ('SME', 'x', 'x', 'x', 'DE', 'SEED')",
        asyncpg.CheckViolationError,
    ),
    "revenue band of a startup": (
        "INSERT INTO organizations (kind, name, industry, city, country, revenue_band) "
        "VALUES ('STARTUP', 'x', 'x', 'x', 'DE', 'SMALL')",
        asyncpg.CheckViolationError,
    ),
    "blank organization name": (
        "INSERT INTO organizations (kind, name, industry, city, country) VALUES ('SME', '   ', 'x', 'x', 'DE')",
        asyncpg.CheckViolationError,
    ),
    "unknown project phase": (
        "UPDATE cooperation_projects SET phase = 'PAUSED'",
        asyncpg.InvalidTextRepresentationError,
    ),
    "planned end before start": (
        "UPDATE cooperation_projects SET planned_end_on = started_on - 1",
        asyncpg.CheckViolationError,
    ),
    "published without a story": ("UPDATE cooperation_projects SET published_at = now()", asyncpg.CheckViolationError),
    "second current lead partner": (
        "INSERT INTO project_partners (project_id, organization_id, role) VALUES (1, 4, 'LEAD')",
        asyncpg.UniqueViolationError,
    ),
    "unknown partner role": (
        "INSERT INTO project_partners (project_id, organization_id, role) VALUES (1, 4, 'SPONSOR')",
        asyncpg.InvalidTextRepresentationError,
    ),
    "partner of a missing organization": (
        "INSERT INTO project_partners (project_id, organization_id, role) VALUES (1, 999, 'PARTNER')",
        asyncpg.ForeignKeyViolationError,
    ),
    "goal owned by a non-partner": (
        "INSERT INTO project_goals (project_id, title, owner_organization_id) VALUES (1, 'Pilot live', 4)",
        asyncpg.ForeignKeyViolationError,
    ),
    "deleting an organization with project history": (
        "DELETE FROM organizations WHERE id = 2",
        # PostgreSQL 15 reports a RESTRICT foreign key as an ordinary one, 18 as its own error
        (asyncpg.ForeignKeyViolationError, asyncpg.RestrictViolationError),
    ),
    "admin token bound to an organization": (
        "INSERT INTO api_tokens (token_hash, organization_id, is_admin) VALUES (sha256('a'), 1, true)",
        asyncpg.CheckViolationError,
    ),
    "token hash of the wrong length": (
        "INSERT INTO api_tokens (token_hash, is_admin) VALUES ('short', true)",
        asyncpg.CheckViolationError,
    ),
    "portfolio period not the first of a month": (
        "INSERT INTO portfolio_trends (grouping, key, dimension, period, mean, response_count) "
        "VALUES ('INDUSTRY', 'Logistics', 'OVERALL', '2026-03-15', 3.5, 4)",
        asyncpg.CheckViolationError,
    ),
}


@pytest.mark.parametrize("statement, error", list(VIOLATIONS.values()), ids=list(VIOLATIONS))
async def test_violation_is_refused(connection: asyncpg.Connection, statement: str, error: type) -> None:
    await connection.execute(FIXTURE)
    with pytest.raises(error):
        async with connection.transaction():
            await connection.execute(statement)


async def test_the_fixture_itself_is_valid_and_allows_the_legal_cases(connection: asyncpg.Connection) -> None:
    """Guards the test above: its failures must come from the violation, not from a broken fixture."""
    await connection.execute(FIXTURE)
    await connection.execute(ANSWER + "(1, 2, 1, 5, 3, 2, 4, 0, 'Entscheidungen dauern zu lange.', 'key-9')")
    # a resolved flag does not block a new open one for the same reason
    await connection.execute("UPDATE risk_flags SET resolved_at = now()")
    await connection.execute(
        "INSERT INTO risk_flags (project_id, reason, severity, explanations) VALUES (1, 'NO_EXIT_PLAN', 'LOW', jsonb_build_object('en', 'again'))"
    )
    # the same reason for two different organizations is two flags
    await connection.execute(
        "INSERT INTO risk_flags (project_id, organization_id, reason, severity, explanations) VALUES "
        "(1, 1, 'SILENT_PARTNER', 'LOW', jsonb_build_object('en', 'x')), (1, 2, 'SILENT_PARTNER', 'LOW', jsonb_build_object('en', 'x'))"
    )
    # after the round is closed, the next one may open
    await connection.execute("UPDATE survey_rounds SET status = 'CLOSED', closed_at = now()")
    await connection.execute(
        "INSERT INTO survey_rounds (id, project_id, sequence) OVERRIDING SYSTEM VALUE VALUES (2, 1, 2)"
    )
    await connection.execute(
        "INSERT INTO round_statistics (round_id, project_id, sequence, response_count, expected_count) "
        "VALUES (2, 1, 2, 0, 2)"
    )
    await connection.execute(
        "INSERT INTO round_kind_statistics (round_id, organization_kind, response_count, mean_overall,"
        " mean_expectations_met, mean_mutual_benefit, mean_decision_speed, mean_communication_trust)"
        " VALUES (2, 'SME', 1, 3, 3, 3, 3, 3)"
    )
    await connection.execute(
        "INSERT INTO project_trends (project_id, dimension, slope, smoothed, rounds_used) VALUES (1, 'OVERALL', 0, 3, 2)"
    )
    # deleting a project takes its rounds, answers, statistics (through the rounds) and flags with it
    await connection.execute("DELETE FROM cooperation_projects WHERE id = 1")
    assert await connection.fetchval("SELECT count(*) FROM survey_responses") == 0
    assert await connection.fetchval("SELECT count(*) FROM round_statistics") == 0
    assert await connection.fetchval("SELECT count(*) FROM round_kind_statistics") == 0
    assert await connection.fetchval("SELECT count(*) FROM project_trends") == 0
    assert await connection.fetchval("SELECT count(*) FROM risk_flags") == 0
