"""Attacks a partner with a plain member token could try on the numbers, each as it was found.

Each test reproduces one way of learning another organization's answer from what the API shows and checks
that it gives nothing away: two worlds that differ only in the hidden answers look the same to the
attacker. tests/system/test_consistent_worlds.py proves the same for random projects in general.
"""

import asyncio
from pathlib import Path

import asyncpg
import httpx
import pytest

from bench.processes import start_api
from db.portfolio import refresh_portfolio
from db.tokens import create_token
from domain import events
from partnerpulse.settings import Settings
from tests.helpers import gql
from tests.helpers.portfolio import answered_last_month, organization
from tests.helpers.subscriptions import next_event, subscribe
from tests.helpers.surveys import CLOSE, SUBMIT, add_partners, answer, open_round
from tests.world import World, build_world
from workers.portfolio import publish_closed_months, released_cells
from workers.recompute import recompute, thresholds

PROJECT = """query($id: ID!) { node(id: $id) { ... on CooperationProject {
  health { score riskLevel }
  riskFlags(includeResolved: true) { id reason severity explanation evidence }
  latestStatistics { mean suppressed meanByKind { kind mean suppressed } }
  trends { dimension slope smoothed roundsUsed }
  satisfactionTrend(last: 100) { sequence mean suppressed }
} }
atRiskProjects { totalCount edges { cursor } } }"""


async def attacker_view(client: httpx.AsyncClient, world: World, token: str) -> dict:
    return await gql(client, PROJECT, {"id": world.project_id("pilot")}, token)


async def closed_round(client: httpx.AsyncClient, world: World, answers: list[tuple[str, int]]) -> None:
    round_id = await open_round(client, world)
    for token, score in answers:
        assert (await gql(client, SUBMIT, answer(round_id, score), token))["submitSurveyResponse"]["userErrors"] == []
    await gql(client, CLOSE, {"r": round_id}, world.tokens["sme"])


@pytest.mark.parametrize("startup_answer", [1, 2, 3, 4, 5])
async def test_health_flags_severities_and_cursors_of_a_two_partner_round_do_not_reveal_the_other_answer(
    client: httpx.AsyncClient, connection: asyncpg.Connection, settings: Settings, startup_answer: int
) -> None:
    """Found: health.score = 25·(mean−1) minus known penalties gave the round mean, and with it the other
    partner's exact score; the severities of SATISFACTION_GAP, LOW_SATISFACTION and UNMET_EXPECTATIONS and
    the at-risk cursor (the rank from exact distances to thresholds) stepped with it."""
    world = await build_world(connection)
    await closed_round(client, world, [(world.tokens["startup"], startup_answer), (world.tokens["sme"], 4)])
    await recompute(connection, world.projects["pilot"], thresholds(settings))
    seen = await attacker_view(client, world, world.tokens["sme"])
    # every value of the startup's answer gives the SME the same view as an answer of 3
    await connection.execute("UPDATE survey_responses SET overall = 3, expectations_met = 3 WHERE overall = $1 AND "
                             "organization_id = $2", startup_answer, world.organizations["startup"])  # fmt: skip
    await connection.execute("UPDATE cooperation_projects SET data_version = data_version + 1")
    await recompute(connection, world.projects["pilot"], thresholds(settings))
    assert await attacker_view(client, world, world.tokens["sme"]) == seen
    moderator = await attacker_view(client, world, world.tokens["institute"])
    assert moderator["node"]["latestStatistics"]["mean"] == 3.5  # the moderator sees the numbers


async def test_per_kind_means_do_not_give_away_the_lone_startup(
    client: httpx.AsyncClient, connection: asyncpg.Connection, settings: Settings
) -> None:
    """Found: with three SMEs and one startup the SME mean was shown (3 answers), so 4·overall − 3·SME mean
    was the startup's exact answer on every dimension."""
    world = await build_world(connection)
    extra = await add_partners(connection, world, 2)  # two more SMEs
    await closed_round(client, world, [(world.tokens["startup"], 1), (world.tokens["sme"], 4), (extra[0], 5), (extra[1], 3)])  # fmt: skip
    await recompute(connection, world.projects["pilot"], thresholds(settings))
    statistics = (await attacker_view(client, world, world.tokens["sme"]))["node"]["latestStatistics"]
    assert statistics["mean"] == 3.25 and statistics["suppressed"] is False  # four organizations: released
    kinds = {k["kind"]: k for k in statistics["meanByKind"]}
    assert kinds["STARTUP"]["suppressed"] and kinds["SME"]["suppressed"]  # complementary suppression
    assert kinds["STARTUP"]["mean"] is None and kinds["SME"]["mean"] is None


async def test_trends_after_empty_rounds_rest_on_released_rounds_only(
    client: httpx.AsyncClient, connection: asyncpg.Connection, settings: Settings
) -> None:
    """Found: after empty rounds the smoothed value was the mean of a two-answer round (the API checked the
    group size over the last rounds, the worker computed over the last rounds with answers)."""
    world = await build_world(connection)
    extra = await add_partners(connection, world, 1)
    trios = [(world.tokens["startup"], 4), (world.tokens["sme"], 4), (extra[0], 4)]
    for _ in range(3):
        await closed_round(client, world, trios)
    for _ in range(3):
        await closed_round(client, world, [])
    await closed_round(client, world, [(world.tokens["startup"], 1), (world.tokens["sme"], 2)])
    await recompute(connection, world.projects["pilot"], thresholds(settings))
    trends = {t["dimension"]: t for t in (await attacker_view(client, world, world.tokens["sme"]))["node"]["trends"]}
    assert trends["OVERALL"] == {"dimension": "OVERALL", "slope": 0.0, "smoothed": 4.0, "roundsUsed": 3}
    moderator = (await attacker_view(client, world, world.tokens["institute"]))["node"]["trends"]
    assert next(t for t in moderator if t["dimension"] == "OVERALL")["roundsUsed"] == 4


async def test_a_lone_early_answer_reaches_moderators_live_but_no_partner(
    settings: Settings, connection: asyncpg.Connection, redis, tmp_path: Path
) -> None:
    """Found: the subscription delivered the severity of flags raised right after the other partner's lone
    answer in an open round."""
    world = await build_world(connection)
    api, url = start_api(settings, tmp_path / "api.log")
    try:
        async with httpx.AsyncClient(base_url=url) as client:
            partner = await subscribe(url, world.tokens["sme"])
            moderator = await subscribe(url, world.tokens["institute"])
            await asyncio.sleep(0.3)
            round_id = await open_round(client, world)
            await gql(client, SUBMIT, answer(round_id, 1), world.tokens["startup"])
        done = await recompute(connection, world.projects["pilot"], thresholds(settings))
        assert done is not None
        await events.publish(redis, settings.events_channel, done.events)
        assert (await next_event(moderator, within=5))["payload"]["data"]["riskFlagChanged"]["reason"]
        with pytest.raises(TimeoutError):
            await next_event(partner, within=1.5)
        await partner.close()
        await moderator.close()
    finally:
        api.stop()


# -- the portfolio -------------------------------------------------------------------------------------------


PORTFOLIO = """query($g: TrendGrouping!) { satisfactionTrends(groupBy: $g) { key points { mean organizationCount
  responseCount suppressed } } }"""


async def member_portfolio(client: httpx.AsyncClient, token: str) -> dict[str, dict[str, dict]]:
    return {
        grouping: {
            s["key"]: s["points"][0]
            for s in (await gql(client, PORTFOLIO, {"g": grouping}, token))["satisfactionTrends"]
        }
        for grouping in ("ORGANIZATION_KIND", "INDUSTRY")
    }


async def test_a_cell_counts_organizations_not_answers_and_an_attacker_cannot_pad_it(
    client: httpx.AsyncClient, connection: asyncpg.Connection, settings: Settings
) -> None:
    """Found: the group size counted answers (one organization answering three times in a month was "a group
    of three"), and a member could move itself into a small industry and answer solo projects to pad it."""
    victim = await organization(connection, "Victim GmbH", "STARTUP", "Photonics")
    attacker = await organization(connection, "Attacker GmbH", "SME", "Photonics")
    await answered_last_month(connection, [(victim, 2), (victim, 2), (victim, 2), (attacker, 5), (attacker, 5)])
    others = [await organization(connection, f"SME {i}", "SME", "Logistics") for i in range(3)]
    await answered_last_month(connection, [(o, 4) for o in others])
    await refresh_portfolio(connection)
    await publish_closed_months(connection, settings.min_group_size)
    token = (await create_token(connection, organization_id=attacker))[1]
    seen = await member_portfolio(client, token)
    photonics = seen["INDUSTRY"]["Photonics"]
    assert photonics == {"mean": None, "organizationCount": 2, "responseCount": 5, "suppressed": True}
    assert seen["ORGANIZATION_KIND"]["STARTUP"]["suppressed"]
    # SME (4 organizations) and Logistics (3) are shown; the startup's answers follow from neither
    assert seen["INDUSTRY"]["Logistics"]["mean"] == 4.0
    assert seen["ORGANIZATION_KIND"]["SME"]["suppressed"] is True  # SME − Logistics would be the attacker alone


def test_the_two_groupings_are_suppressed_together() -> None:
    """Found: kinds and industries partition the same answers, so a suppressed cell followed from the others.
    Two SMEs and a startup in Photonics, three SMEs and three corporates in Logistics: each cell but the
    startup holds three organizations or more, yet SME − (Logistics − Corporates) would be the two Photonics
    SMEs, and Photonics minus those the startup. The rank check withholds SME and Photonics as well."""
    atoms = [
        ("SME", "Photonics", 2),
        ("STARTUP", "Photonics", 1),
        ("SME", "Logistics", 3),
        ("CORPORATE", "Logistics", 3),
    ]
    assert released_cells(atoms, 3) == {("ORGANIZATION_KIND", "CORPORATE"), ("INDUSTRY", "Logistics")}
    # with three SMEs in Photonics and no startup nothing small is left to isolate, and everything is shown
    assert len(released_cells([("SME", "Photonics", 3), *atoms[2:]], 3)) == 4


async def test_the_members_portfolio_does_not_change_between_refreshes(
    client: httpx.AsyncClient, connection: asyncpg.Connection, settings: Settings
) -> None:
    """Found: differencing one refresh (every minute) against the next isolated a single new answer."""
    orgs = [await organization(connection, f"SME {i}", "SME", "Logistics") for i in range(4)]
    await answered_last_month(connection, [(o, 4) for o in orgs[:3]])
    await refresh_portfolio(connection)
    await publish_closed_months(connection, settings.min_group_size)
    token = (await create_token(connection, organization_id=orgs[0]))[1]
    seen = await member_portfolio(client, token)
    assert seen["INDUSTRY"]["Logistics"]["mean"] == 4.0
    # a late answer dated into the published month, and a refresh: members' view stays as published
    await answered_last_month(connection, [(orgs[3], 1)])
    await refresh_portfolio(connection)
    await publish_closed_months(connection, settings.min_group_size)
    assert await member_portfolio(client, token) == seen
    admin = (await create_token(connection, organization_id=None))[1]
    live = (await gql(client, PORTFOLIO, {"g": "INDUSTRY"}, admin))["satisfactionTrends"]
    assert live[0]["points"][0]["organizationCount"] == 4  # admins see the live portfolio


async def test_a_partner_cannot_reach_the_moderators_flags_by_id(
    client: httpx.AsyncClient, connection: asyncpg.Connection, settings: Settings
) -> None:
    """The full flags (moderators, admins) rest on hidden numbers: for a plain partner their ids name nothing,
    exactly like ids that do not exist."""
    from strawberry.relay import to_base64

    world = await build_world(connection)
    round_id = await open_round(client, world)
    await gql(client, SUBMIT, answer(round_id, 1), world.tokens["startup"])
    await recompute(connection, world.projects["pilot"], thresholds(settings))
    full = await connection.fetchval("SELECT id FROM risk_flags WHERE audience = 'FULL' LIMIT 1")
    query = "query($id: ID!) { node(id: $id) { ... on RiskFlag { reason } } }"
    for flag_id, token, visible in [
        (full, world.tokens["sme"], False),
        (full + 10**6, world.tokens["sme"], False),
        (full, world.tokens["institute"], True),
    ]:
        node = (await gql(client, query, {"id": to_base64("RiskFlag", flag_id)}, token))["node"]
        assert (node is not None) == visible


LATEST = """query($id: ID!) { node(id: $id) { ... on CooperationProject {
  latestStatistics { round { sequence } mean nps responseCount suppressed meanByKind { kind mean suppressed } } } } }"""


async def test_partners_see_the_latest_released_round_while_a_later_one_is_open_or_too_small(
    client: httpx.AsyncClient, connection: asyncpg.Connection, settings: Settings
) -> None:
    """latestStatistics used to withhold everything while a round was open; plain partners now get the latest
    released round instead, never a number of the open or too small one. Moderators keep seeing it live."""
    world = await build_world(connection)
    extra = await add_partners(connection, world, 1)

    async def latest(token: str) -> dict:
        return (await gql(client, LATEST, {"id": world.project_id("pilot")}, token))["node"]["latestStatistics"]

    first = await open_round(client, world)
    await gql(client, SUBMIT, answer(first, 1), world.tokens["startup"])
    await gql(client, SUBMIT, answer(first, 2), world.tokens["sme"])
    await recompute(connection, world.projects["pilot"], thresholds(settings))
    before = await latest(world.tokens["sme"])  # nothing released yet: the open round, withheld
    assert before["round"]["sequence"] == 1 and before["suppressed"] and before["mean"] is None
    assert before["responseCount"] == 2 and before["nps"] is None
    await gql(client, SUBMIT, answer(first, 3), extra[0])
    await gql(client, CLOSE, {"r": first}, world.tokens["sme"])
    await recompute(connection, world.projects["pilot"], thresholds(settings))
    released = await latest(world.tokens["sme"])
    assert released["round"]["sequence"] == 1 and released["mean"] == 2.0 and not released["suppressed"]

    second = await open_round(client, world)
    await gql(client, SUBMIT, answer(second, 5), world.tokens["startup"])
    await gql(client, SUBMIT, answer(second, 5), extra[0])
    await recompute(connection, world.projects["pilot"], thresholds(settings))
    assert await latest(world.tokens["sme"]) == released  # the open round gives nothing away
    live = await latest(world.tokens["institute"])
    assert live["round"]["sequence"] == 2 and live["mean"] == 5.0  # the moderator sees it live
    await gql(client, CLOSE, {"r": second}, world.tokens["sme"])
    await recompute(connection, world.projects["pilot"], thresholds(settings))
    assert await latest(world.tokens["sme"]) == released  # closed with two answers: never released

    third = await open_round(client, world)
    for token, score in [(world.tokens["startup"], 4), (world.tokens["sme"], 4), (extra[0], 1)]:
        await gql(client, SUBMIT, answer(third, score), token)
    await gql(client, CLOSE, {"r": third}, world.tokens["sme"])
    await recompute(connection, world.projects["pilot"], thresholds(settings))
    latest_released = await latest(world.tokens["sme"])
    assert latest_released["round"]["sequence"] == 3 and latest_released["mean"] == 3.0
