"""The portfolio against the rounds' released sums, attacked through the API and the real recomputation
(domain.disclosure.exposed_by_rounds; its exact search alone is tested in tests/domain/test_portfolio_exposure.py).

A large cell is no safer than a small one: a partner in many projects can subtract each of their released
round sums from a month's cell and keep what is left. The check used to skip cells of twelve organizations
or more (and to give up on exactness beyond 4,096 choices); it is now exact for every cell.
"""

import random
from datetime import date, timedelta

import asyncpg
import httpx
from strawberry.relay import to_base64

from db.portfolio import refresh_portfolio
from db.tokens import create_token
from partnerpulse.settings import Settings
from tests.helpers import gql
from workers.portfolio import publish_closed_months
from workers.recompute import recompute, thresholds

MONTH = date.today().replace(day=1) - timedelta(days=10)
ROUND = "query($id: ID!) { node(id: $id) { ... on CooperationProject { latestStatistics { mean responseCount } } } }"
PORTFOLIO = """query($g: TrendGrouping!) { satisfactionTrends(groupBy: $g) { key points { mean responseCount
  organizationCount suppressed } } }"""


async def test_a_cell_of_thirteen_organizations_is_withheld_when_four_rounds_cancel_all_but_one(
    client: httpx.AsyncClient, connection: asyncpg.Connection, settings: Settings
) -> None:
    """A startup is partner of four projects, each with three SMEs of Logistics; their closed rounds (four
    answers each) are released to it. A thirteenth SME of Logistics answers that month in a project of its
    own. The SME cell and the Logistics cell hold thirteen organizations, yet each minus the four rounds'
    sums (less the startup's own answers) is the thirteenth SME's answer: both cells must be withheld."""

    async def organization(name: str, kind: str, industry: str) -> int:
        return await connection.fetchval(
            "INSERT INTO organizations (kind, name, industry, city, country) VALUES ($1, $2, $3, 'Ulm', 'DE') "
            "RETURNING id",
            kind,
            name,
            industry,
        )

    async def closed_round(partners: list[int], scores: list[int]) -> int:
        project = await connection.fetchval(
            "INSERT INTO cooperation_projects (title, kind, phase, exit_plan) VALUES ('P', 'RESEARCH', 'ACTIVE', "
            "'Agreed.') RETURNING id"
        )
        for index, partner in enumerate(partners):
            await connection.execute(
                "INSERT INTO project_partners (project_id, organization_id, role) VALUES ($1, $2, $3)",
                project,
                partner,
                "LEAD" if index == 0 else "PARTNER",
            )
        round_id = await connection.fetchval(
            "INSERT INTO survey_rounds (project_id, sequence, status, opened_at, closed_at) "
            "VALUES ($1, 1, 'CLOSED', $2::date + time '08:00', $2::date + time '18:00') RETURNING id",
            project,
            MONTH,
        )
        for partner, score in zip(partners, scores, strict=True):
            await connection.execute(
                "INSERT INTO survey_responses (round_id, organization_id, overall, expectations_met, "
                "mutual_benefit, decision_speed, communication_trust, continue_likelihood, submitted_at) "
                "VALUES ($1, $2, $3, $3, $3, $3, $3, 8, $4::date + time '12:00')",
                round_id,
                partner,
                score,
                MONTH,
            )
        await recompute(connection, project, thresholds(settings))
        return project

    attacker = await organization("Attacker GmbH", "STARTUP", "Software & IT")
    smes = [await organization(f"SME {i}", "SME", "Logistics") for i in range(12)]
    victim = await organization("Victim GmbH", "SME", "Logistics")
    lone = [await organization(f"Corporate {i}", "CORPORATE", "Chemicals") for i in range(2)]
    rng = random.Random(3)
    projects = [
        await closed_round([attacker, *smes[3 * i : 3 * i + 3]], [2, *(rng.randint(1, 5) for _ in range(3))])
        for i in range(4)
    ]
    await closed_round([victim, *lone], [1, 5, 5])
    await refresh_portfolio(connection)
    await publish_closed_months(connection, settings.min_group_size)

    token = (await create_token(connection, organization_id=attacker))[1]
    others_in_rounds = 0.0
    for project in projects:
        statistics = (await gql(client, ROUND, {"id": to_base64("CooperationProject", project)}, token))["node"][
            "latestStatistics"
        ]
        assert statistics["mean"] is not None  # four organizations, closed: released to the attacker
        others_in_rounds += statistics["mean"] * statistics["responseCount"] - 2
    admin = (await create_token(connection, organization_id=None))[1]
    for grouping, key in (("ORGANIZATION_KIND", "SME"), ("INDUSTRY", "Logistics")):
        live = next(
            s for s in (await gql(client, PORTFOLIO, {"g": grouping}, admin))["satisfactionTrends"] if s["key"] == key
        )
        point = live["points"][0]
        assert point["organizationCount"] == 13
        assert round(point["mean"] * point["responseCount"] - others_in_rounds, 6) == 1  # the victim's answer
        seen = next(
            s for s in (await gql(client, PORTFOLIO, {"g": grouping}, token))["satisfactionTrends"] if s["key"] == key
        )
        assert seen["points"][0]["suppressed"] is True and seen["points"][0]["mean"] is None, (grouping, seen)


async def test_a_round_still_open_when_its_month_is_published_counts_as_released(
    client: httpx.AsyncClient, connection: asyncpg.Connection, settings: Settings
) -> None:
    """Found while walking issue 13: the check took only closed rounds into account, but a round that is
    open when its month is published closes later and is released then, against a portfolio that never
    changes again. A startup and two SMEs answer an open round last month; a third SME answers elsewhere.
    The SME cell (three organizations) was published; once the round closed, the startup subtracted the
    round's sum less its own answer from the cell and had the third SME's answer."""
    attacker = await connection.fetchval(
        "INSERT INTO organizations (kind, name, industry, city, country) VALUES ('STARTUP', 'Attacker', "
        "'Software & IT', 'Ulm', 'DE') RETURNING id"
    )
    smes = [
        await connection.fetchval(
            "INSERT INTO organizations (kind, name, industry, city, country) VALUES ('SME', $1, 'Logistics', "
            "'Ulm', 'DE') RETURNING id",
            f"SME {i}",
        )
        for i in range(3)
    ]
    rounds = []
    for partners, scores in (([attacker, smes[0], smes[1]], [3, 4, 2]), ([smes[2]], [5])):
        project = await connection.fetchval(
            "INSERT INTO cooperation_projects (title, kind, phase, exit_plan) VALUES ('P', 'RESEARCH', 'ACTIVE', "
            "'Agreed.') RETURNING id"
        )
        round_id = await connection.fetchval(
            "INSERT INTO survey_rounds (project_id, sequence, opened_at) VALUES ($1, 1, $2::date + time '08:00') "
            "RETURNING id",
            project,
            MONTH,
        )
        for index, (partner, score) in enumerate(zip(partners, scores, strict=True)):
            await connection.execute(
                "INSERT INTO project_partners (project_id, organization_id, role) VALUES ($1, $2, $3)",
                project,
                partner,
                "LEAD" if index == 0 else "PARTNER",
            )
            await connection.execute(
                "INSERT INTO survey_responses (round_id, organization_id, overall, expectations_met, "
                "mutual_benefit, decision_speed, communication_trust, continue_likelihood, submitted_at) "
                "VALUES ($1, $2, $3, $3, $3, $3, $3, 8, $4::date + time '12:00')",
                round_id,
                partner,
                score,
                MONTH,
            )
        rounds.append((project, round_id))
    await refresh_portfolio(connection)
    await publish_closed_months(connection, settings.min_group_size)  # the attacker's round is still open
    project, round_id = rounds[0]
    await connection.execute("UPDATE survey_rounds SET status = 'CLOSED', closed_at = now() WHERE id = $1", round_id)
    await recompute(connection, project, thresholds(settings))

    token = (await create_token(connection, organization_id=attacker))[1]
    statistics = (await gql(client, ROUND, {"id": to_base64("CooperationProject", project)}, token))["node"][
        "latestStatistics"
    ]
    assert statistics["mean"] == 3.0  # three organizations, closed: released
    portfolio = (await gql(client, PORTFOLIO, {"g": "ORGANIZATION_KIND"}, token))["satisfactionTrends"]
    sme = next(s for s in portfolio if s["key"] == "SME")["points"][0]
    assert sme["organizationCount"] == 3
    assert sme["suppressed"] is True and sme["mean"] is None  # else 3·mean − (3·3 − 3) is SME 2's answer
