"""Attacks by a plain partner found by an attacker session after disclosure control was rebuilt.

Every test here plays one attack with a plain member token of one organization and asserts that it learns
nothing it should not; each failed on the code it was found on.
"""

from datetime import date, timedelta

import asyncpg
import httpx

from db.portfolio import refresh_portfolio
from db.seed import truncate_all
from partnerpulse.settings import Settings
from tests.helpers import gql
from tests.helpers.surveys import CLOSE, SUBMIT, add_partners, answer, open_round
from tests.world import build_world
from workers.portfolio import publish_closed_months
from workers.recompute import recompute, thresholds

ROUND_AND_KINDS = """query($id: ID!, $d: SatisfactionDimension!) {
  node(id: $id) { ... on CooperationProject { latestStatistics { mean(dimension: $d) responseCount suppressed } } }
  satisfactionTrends(groupBy: ORGANIZATION_KIND, dimension: $d) { key points { mean responseCount suppressed } }
}"""


async def test_a_released_round_minus_a_released_portfolio_cell_is_one_partners_answer(
    client: httpx.AsyncClient, connection: asyncpg.Connection, settings: Settings
) -> None:
    """Leak: the round mean and the portfolio are each suppressed correctly on their own, but they are sums
    over the same answers. A closed round of four organizations (the attacker, two other SMEs and a startup)
    is released in the project; in the portfolio of that month the SME cell holds exactly the three SMEs and
    is released too (three organizations; the rank test only looks at the portfolio's own cells). So
    4 · round mean − 3 · SME mean is the startup's exact answer, on every dimension."""
    world = await build_world(connection)
    extra = await add_partners(connection, world, 2)  # two more SMEs
    round_id = await open_round(client, world)
    victim = 1
    for token, score in [(world.tokens["sme"], 4), (world.tokens["startup"], victim), (extra[0], 5), (extra[1], 3)]:
        assert (await gql(client, SUBMIT, answer(round_id, score), token))["submitSurveyResponse"]["userErrors"] == []
    assert (await gql(client, CLOSE, {"r": round_id}, world.tokens["sme"]))["closeSurveyRound"]["userErrors"] == []
    # the round was answered last month, and that month has closed
    last_month = date.today().replace(day=1) - timedelta(days=10)
    await connection.execute("UPDATE survey_responses SET submitted_at = $1::date + time '12:00'", last_month)
    await recompute(connection, world.projects["pilot"], thresholds(settings))
    await refresh_portfolio(connection)
    await publish_closed_months(connection, settings.min_group_size)

    for dimension in ("OVERALL", "COMMUNICATION_TRUST"):
        seen = await gql(
            client, ROUND_AND_KINDS, {"id": world.project_id("pilot"), "d": dimension}, world.tokens["sme"]
        )
        statistics = seen["node"]["latestStatistics"]
        sme = next(s["points"][0] for s in seen["satisfactionTrends"] if s["key"] == "SME")
        if statistics["mean"] is None or sme["mean"] is None:
            continue  # one of the two is withheld: nothing to subtract
        derived = statistics["mean"] * statistics["responseCount"] - sme["mean"] * sme["responseCount"]
        assert round(derived, 6) != victim, f"{dimension}: the startup's answer is {derived}"


KINDS = """query($id: ID!) { node(id: $id) { ... on CooperationProject {
  latestStatistics { mean responseCount suppressed meanByKind { kind mean responseCount suppressed } } } } }"""
EXIT_PLAN = """mutation($p: ID!, $t: String) { setExitPlan(input: {projectId: $p, exitPlan: $t}) {
  userErrors { code } } }"""


async def test_per_kind_means_of_a_closed_round_follow_a_later_change_of_kind(
    client: httpx.AsyncClient, connection: asyncpg.Connection, settings: Settings
) -> None:
    """Leak: a closed round's per-kind means are recomputed from the organizations' *current* kind
    (round_kind_statistics joins organizations on every recomputation), so they are not frozen like the
    round. Four SMEs and three startups answer and the round closes: both kinds are released. Later one SME
    is recorded as a startup (no API mutation changes a kind today, so an operator does it), and the lead
    (the attacker) sets the exit plan, which recomputes the project. Both kinds are still released, now 3
    and 4: 4 · SME mean before − 3 · SME mean after is the regrouped organization's exact answer."""
    world = await build_world(connection)
    extra = await add_partners(connection, world, 5)  # Extra Partner 0-4, SMEs
    ids = [
        await connection.fetchval("SELECT id FROM organizations WHERE name = $1", f"Extra Partner {i}")
        for i in range(5)
    ]
    await connection.execute("UPDATE organizations SET kind = 'STARTUP' WHERE id = ANY($1::bigint[])", ids[3:])
    victim = 2  # Extra Partner 2, an SME until it is regrouped
    round_id = await open_round(client, world)
    scores = [(world.tokens["sme"], 4), (extra[0], 5), (extra[1], 3), (extra[2], victim)]  # the SMEs
    scores += [(world.tokens["startup"], 4), (extra[3], 4), (extra[4], 5)]  # the startups
    for token, score in scores:
        assert (await gql(client, SUBMIT, answer(round_id, score), token))["submitSurveyResponse"]["userErrors"] == []
    assert (await gql(client, CLOSE, {"r": round_id}, world.tokens["sme"]))["closeSurveyRound"]["userErrors"] == []
    await recompute(connection, world.projects["pilot"], thresholds(settings))

    async def sme_cell() -> dict:
        seen = await gql(client, KINDS, {"id": world.project_id("pilot")}, world.tokens["sme"])
        return next(k for k in seen["node"]["latestStatistics"]["meanByKind"] if k["kind"] == "SME")

    before = await sme_cell()
    await connection.execute("UPDATE organizations SET kind = 'STARTUP' WHERE id = $1", ids[2])
    plan = await gql(client, EXIT_PLAN, {"p": world.project_id("pilot"), "t": "IP to the lead."}, world.tokens["sme"])
    assert plan["setExitPlan"]["userErrors"] == []
    await recompute(connection, world.projects["pilot"], thresholds(settings))
    after = await sme_cell()
    if before["mean"] is not None and after["mean"] is not None:
        derived = before["mean"] * before["responseCount"] - after["mean"] * after["responseCount"]
        assert round(derived, 6) != victim, f"the regrouped organization's answer is {derived}"


def open_flags_by_severity(metrics_text: str) -> dict[str, float]:
    return {
        line.split('severity="')[1].split('"')[0]: float(line.split()[-1])
        for line in metrics_text.splitlines()
        if line.startswith("partnerpulse_open_risk_flags{")
    }


async def test_the_open_flag_counts_on_metrics_do_not_reveal_a_lone_answer_in_an_open_round(
    client: httpx.AsyncClient, connection: asyncpg.Connection, settings: Settings
) -> None:
    """Leak: /metrics is served by default on the API's own port without a token, and
    `partnerpulse_open_risk_flags{severity}` counts the *full* flags, which rest on every answer, live. The
    startup answers an open round alone; through the API the SME (the attacker) sees nothing (open round,
    one answer), but the metric jumps by the full LOW_SATISFACTION and UNMET_EXPECTATIONS flags, and their
    severity is the distance of that single answer from the thresholds: HIGH for 1, MEDIUM for 2, nothing
    from 3. Every value of the startup's answer must give the attacker the same scrape as an answer of 4."""
    world = await build_world(connection)
    round_id = await open_round(client, world)
    await gql(client, SUBMIT, answer(round_id, 1), world.tokens["startup"])
    await recompute(connection, world.projects["pilot"], thresholds(settings))
    response = await client.get("/metrics", headers={"Authorization": f"Bearer {world.tokens['sme']}"})
    assert response.status_code == 200
    seen = open_flags_by_severity(response.text)
    # the same world with the startup's answer at 4
    await connection.execute(
        "UPDATE survey_responses SET overall = 4, expectations_met = 4 WHERE organization_id = $1",
        world.organizations["startup"],
    )
    await connection.execute("UPDATE cooperation_projects SET data_version = data_version + 1")
    await recompute(connection, world.projects["pilot"], thresholds(settings))
    other = open_flags_by_severity((await client.get("/metrics")).text)
    assert seen == other, f"answer 1: {seen}, answer 4: {other}"


FLAG_IDS = """query($id: ID!) { node(id: $id) { ... on CooperationProject {
  riskFlags(includeResolved: true) { id reason } } } }"""


async def attackers_flag_ids(
    client: httpx.AsyncClient, connection: asyncpg.Connection, settings: Settings, foreign_flag: bool
) -> list[str]:
    """The lead of `pilot` (ACTIVE without exit plan for 100 days) raises NO_EXIT_PLAN, resolves it and raises
    it again by clearing and setting the exit plan; meanwhile a project it is not in raises a flag or not.
    Returns the ids of its NO_EXIT_PLAN flags as it reads them."""
    await truncate_all(connection)
    world = await build_world(connection)
    await connection.execute(
        "UPDATE cooperation_projects SET phase_changed_at = now() - interval '100 days' WHERE id = $1",
        world.projects["pilot"],
    )
    foreign = await connection.fetchval(
        "INSERT INTO cooperation_projects (title, kind, phase, phase_changed_at) "
        "VALUES ('Elsewhere', 'RESEARCH', 'ACTIVE', now() - interval '100 days') RETURNING id"
    )
    await connection.execute(
        "INSERT INTO project_partners (project_id, organization_id, role) VALUES ($1, $2, 'LEAD')",
        foreign,
        world.organizations["outsider"],
    )

    async def set_plan(text: str | None) -> None:
        variables = {"p": world.project_id("pilot"), "t": text}
        assert (await gql(client, EXIT_PLAN, variables, world.tokens["sme"]))["setExitPlan"]["userErrors"] == []
        await recompute(connection, world.projects["pilot"], thresholds(settings))

    await set_plan(None)  # raised
    await set_plan("IP goes to the lead.")  # resolved
    if foreign_flag:
        await recompute(connection, foreign, thresholds(settings))  # the foreign project raises NO_EXIT_PLAN
    await set_plan(None)  # raised again
    seen = await gql(client, FLAG_IDS, {"id": world.project_id("pilot")}, world.tokens["sme"])
    return sorted(f["id"] for f in seen["node"]["riskFlags"] if f["reason"] == "NO_EXIT_PLAN")


async def test_a_partners_flag_ids_do_not_count_the_flags_of_projects_it_is_not_in(
    client: httpx.AsyncClient, connection: asyncpg.Connection, settings: Settings
) -> None:
    """Leak: the partners' flags of every project draw their ids from one sequence, so the gap between two
    of its own flags tells a partner how many flags were raised meanwhile in projects it is not in (which do
    not exist for it). The lead raises flags at will (NO_EXIT_PLAN, by clearing the exit plan): its second
    flag's id is 2 above its first when a foreign project raised a flag in between, 1 when none did. Two
    worlds that differ only in a foreign project must look the same to it."""
    quiet = await attackers_flag_ids(client, connection, settings, foreign_flag=False)
    busy = await attackers_flag_ids(client, connection, settings, foreign_flag=True)
    assert len(quiet) == 2
    assert busy == quiet, f"without a foreign flag: {quiet}; with one: {busy}"


PHOTONICS_AND_KINDS = """query($id: ID!) {
  node(id: $id) { ... on CooperationProject { latestStatistics { meanByKind { kind mean responseCount } } } }
  satisfactionTrends(groupBy: INDUSTRY) { key points { mean responseCount suppressed } }
}"""


async def test_a_released_kind_of_a_round_minus_a_portfolio_cell_with_the_attacker_in_it_is_one_answer(
    client: httpx.AsyncClient, connection: asyncpg.Connection, settings: Settings
) -> None:
    """Leak, the per-kind variant (a fix must take the rounds' per-kind cells and the attacker's own answer
    into account, not only round totals): a closed round of three SMEs and three startups releases both kind
    means. In the portfolio of that month Photonics holds the attacker (an SME) and two of the startups, and
    the rank test releases it (its other cells are large). Photonics · 3 − the attacker's own answer is the
    two startups' sum, and the startup mean · 3 minus that sum is the third startup's exact answer."""
    from tests.helpers.portfolio import answered_last_month, organization

    world = await build_world(connection)
    extra = await add_partners(connection, world, 4)  # SMEs in Logistics
    names = [f"Extra Partner {i}" for i in (2, 3)]
    await connection.execute(
        "UPDATE organizations SET kind = 'STARTUP', industry = 'Photonics' WHERE name = ANY($1::text[])", names
    )
    await connection.execute(
        "UPDATE organizations SET industry = 'Photonics' WHERE id = $1", world.organizations["sme"]
    )
    await connection.execute(
        "UPDATE organizations SET industry = 'Logistics' WHERE id = $1", world.organizations["startup"]
    )
    victim, attacker = 1, 4
    round_id = await open_round(client, world)
    scores = [(world.tokens["sme"], attacker), (extra[0], 5), (extra[1], 3), (extra[2], 4), (extra[3], 5)]
    for token, score in [*scores, (world.tokens["startup"], victim)]:
        assert (await gql(client, SUBMIT, answer(round_id, score), token))["submitSurveyResponse"]["userErrors"] == []
    assert (await gql(client, CLOSE, {"r": round_id}, world.tokens["sme"]))["closeSurveyRound"]["userErrors"] == []
    last_month = date.today().replace(day=1) - timedelta(days=10)
    await connection.execute("UPDATE survey_responses SET submitted_at = $1::date + time '12:00'", last_month)
    # others answered elsewhere that month: two SMEs and three startups in Logistics
    elsewhere = [await organization(connection, f"SME {i}", "SME", "Logistics") for i in range(2)]
    elsewhere += [await organization(connection, f"Startup {i}", "STARTUP", "Logistics") for i in range(3)]
    await answered_last_month(connection, [(o, 3) for o in elsewhere])
    await recompute(connection, world.projects["pilot"], thresholds(settings))
    await refresh_portfolio(connection)
    await publish_closed_months(connection, settings.min_group_size)

    seen = await gql(client, PHOTONICS_AND_KINDS, {"id": world.project_id("pilot")}, world.tokens["sme"])
    startups = next(k for k in seen["node"]["latestStatistics"]["meanByKind"] if k["kind"] == "STARTUP")
    photonics = next(s["points"][0] for s in seen["satisfactionTrends"] if s["key"] == "Photonics")
    if startups["mean"] is not None and photonics["mean"] is not None:
        two_startups = photonics["mean"] * photonics["responseCount"] - attacker
        derived = startups["mean"] * startups["responseCount"] - two_startups
        assert round(derived, 6) != victim, f"the third startup's answer is {derived}"
