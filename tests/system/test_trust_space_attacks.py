"""Attacks by a plain partner found by an attacker session after disclosure control was rebuilt.

Every test here plays one attack with a plain member token of one organization and asserts that it learns
nothing it should not; each failed on the code it was found on.
"""

from datetime import date, timedelta

import asyncpg
import httpx
import pytest

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


SME_CELL_AND_ROUND = """query($id: ID!, $d: SatisfactionDimension!) {
  node(id: $id) { ... on CooperationProject { latestStatistics { mean(dimension: $d) responseCount suppressed } } }
  satisfactionTrends(groupBy: ORGANIZATION_KIND, dimension: $d) {
    key points { mean responseCount organizationCount suppressed } }
}"""


@pytest.mark.parametrize("attacker_answers", ["before the month's end", "after the month was published"])
async def test_a_round_closed_after_its_month_was_published_minus_the_portfolio_cell_is_one_answer(
    client: httpx.AsyncClient, connection: asyncpg.Connection, settings: Settings, attacker_answers: str
) -> None:
    """Leak: the portfolio's check against the rounds (`exposed_by_rounds`) only knew rounds that had closed
    when the month was published; a round still open was skipped, and once the month is published it is
    never looked at again. A round of three SMEs (the attacker, the lead, and two others) is answered last
    month and stays open over the month's end; another SME answers elsewhere last month. The month is
    published: the SME cell holds the four SMEs and was shown (nothing released to subtract yet). Then the
    attacker closes the round: it is released. 4 · SME cell − 3 · round mean was the fourth SME's exact
    answer, on every dimension. The attacker may as well hold its own answer back until the month is
    published (the cell holds the two others and the victim) and complete the round alone. Rounds open
    across a month's end are the rule with survey schedules."""
    from tests.helpers.portfolio import answered_last_month, organization

    world = await build_world(connection)
    extra = await add_partners(connection, world, 2)  # two more SMEs (Logistics)
    round_id = await open_round(client, world)
    late = attacker_answers == "after the month was published"
    attacker = 4
    for token, score in [*([] if late else [(world.tokens["sme"], attacker)]), (extra[0], 5), (extra[1], 3)]:
        assert (await gql(client, SUBMIT, answer(round_id, score), token))["submitSurveyResponse"]["userErrors"] == []
    last_month = date.today().replace(day=1) - timedelta(days=10)
    await connection.execute("UPDATE survey_responses SET submitted_at = $1::date + time '12:00'", last_month)
    victim = 1
    victim_id = await organization(connection, "Victim SME", "SME", "Mechanical Engineering")
    await answered_last_month(connection, [(victim_id, victim)])
    await recompute(connection, world.projects["pilot"], thresholds(settings))
    await refresh_portfolio(connection)
    assert await publish_closed_months(connection, settings.min_group_size)  # last month, with the round open

    if late:
        submitted = await gql(client, SUBMIT, answer(round_id, attacker), world.tokens["sme"])
        assert submitted["submitSurveyResponse"]["userErrors"] == []
    assert (await gql(client, CLOSE, {"r": round_id}, world.tokens["sme"]))["closeSurveyRound"]["userErrors"] == []
    await recompute(connection, world.projects["pilot"], thresholds(settings))
    await refresh_portfolio(connection)
    await publish_closed_months(connection, settings.min_group_size)

    for dimension in ("OVERALL", "COMMUNICATION_TRUST"):
        seen = await gql(
            client, SME_CELL_AND_ROUND, {"id": world.project_id("pilot"), "d": dimension}, world.tokens["sme"]
        )
        statistics = seen["node"]["latestStatistics"]
        sme = next(s["points"][0] for s in seen["satisfactionTrends"] if s["key"] == "SME")
        assert statistics["mean"] is not None  # the round itself is released
        if sme["mean"] is None:
            continue  # the cell is withheld: nothing to subtract
        others_in_the_cell = statistics["mean"] * statistics["responseCount"] - (attacker if late else 0)
        derived = sme["mean"] * sme["responseCount"] - others_in_the_cell
        assert round(derived, 6) != victim, f"{dimension}: the victim's answer is {derived}"


ENERGY_AND_KINDS = """query($id: ID!, $d: SatisfactionDimension!) {
  node(id: $id) { ... on CooperationProject { latestStatistics {
    meanByKind { kind mean(dimension: $d) responseCount suppressed } } } }
  satisfactionTrends(groupBy: INDUSTRY, dimension: $d) { key points { mean responseCount suppressed } }
}"""


async def test_a_portfolio_cell_minus_two_shown_kinds_of_one_round_is_one_answer(
    client: httpx.AsyncClient, connection: asyncpg.Connection, settings: Settings
) -> None:
    """Leak: the check against the rounds tries "at most one released set per round" (the round, one shown
    kind, the suppressed kinds together), but a partner may subtract several sets of the same round at once.
    A closed round of nine partners — three SMEs (the attacker among them), three startups, three corporates —
    releases all three kind means. In the portfolio of that month Energy holds the SMEs and startups of the
    round and one more startup that answered elsewhere; the corporates are in Chemicals. No (kind, industry)
    cell is small, so the rank test shows every cell; the round check withholds the startup cell (startups of
    the round plus one) but not Energy, which no single set of the round comes within two organizations of.
    Energy · 7 − 3 · SME mean − 3 · startup mean is the seventh Energy organization's exact answer."""
    from tests.helpers.portfolio import answered_last_month, organization

    world = await build_world(connection)
    extra = await add_partners(connection, world, 7)  # Extra Partner 0-6
    kinds = ["SME", "SME", "STARTUP", "STARTUP", "CORPORATE", "CORPORATE", "CORPORATE"]
    for i, kind in enumerate(kinds):
        industry = "Chemicals" if kind == "CORPORATE" else "Energy"
        await connection.execute(
            "UPDATE organizations SET kind = $1, industry = $2 WHERE name = $3", kind, industry, f"Extra Partner {i}"
        )
    await connection.execute(
        "UPDATE organizations SET industry = 'Energy' WHERE id = ANY($1::bigint[])",
        [world.organizations["sme"], world.organizations["startup"]],
    )
    round_id = await open_round(client, world)
    scores = [4, 5, 3, 4, 2, 5, 3]
    for token, score in [(world.tokens["sme"], 4), (world.tokens["startup"], 3), *zip(extra, scores, strict=True)]:
        assert (await gql(client, SUBMIT, answer(round_id, score), token))["submitSurveyResponse"]["userErrors"] == []
    assert (await gql(client, CLOSE, {"r": round_id}, world.tokens["sme"]))["closeSurveyRound"]["userErrors"] == []
    last_month = date.today().replace(day=1) - timedelta(days=10)
    await connection.execute("UPDATE survey_responses SET submitted_at = $1::date + time '12:00'", last_month)
    victim = 1
    await answered_last_month(connection, [(await organization(connection, "Victim", "STARTUP", "Energy"), victim)])
    await recompute(connection, world.projects["pilot"], thresholds(settings))
    await refresh_portfolio(connection)
    assert await publish_closed_months(connection, settings.min_group_size)

    for dimension in ("OVERALL", "COMMUNICATION_TRUST"):
        seen = await gql(
            client, ENERGY_AND_KINDS, {"id": world.project_id("pilot"), "d": dimension}, world.tokens["sme"]
        )
        by_kind = {k["kind"]: k for k in seen["node"]["latestStatistics"]["meanByKind"]}
        energy = next(s["points"][0] for s in seen["satisfactionTrends"] if s["key"] == "Energy")
        parts = [energy, by_kind["SME"], by_kind["STARTUP"]]
        if any(part["mean"] is None for part in parts):
            continue  # something is withheld: nothing to subtract
        derived = energy["mean"] * energy["responseCount"] - sum(
            k["mean"] * k["responseCount"] for k in (by_kind["SME"], by_kind["STARTUP"])
        )
        assert round(derived, 6) != victim, f"{dimension}: the seventh Energy organization's answer is {derived}"


SME_CELL_AND_KINDS = """query($id: ID!, $d: SatisfactionDimension!) {
  node(id: $id) { ... on CooperationProject { latestStatistics {
    meanByKind { kind mean(dimension: $d) responseCount suppressed } } } }
  satisfactionTrends(groupBy: ORGANIZATION_KIND, dimension: $d) { key points { mean responseCount suppressed } }
}"""


async def test_a_kind_shown_in_a_round_that_closed_before_a_change_of_kind_minus_a_portfolio_cell_is_one_answer(
    client: httpx.AsyncClient, connection: asyncpg.Connection, settings: Settings
) -> None:
    """Leak: a closed round's per-kind means are frozen with the kinds its organizations had when it closed,
    but the portfolio, published when the month is over, groups by the kinds they have then, and so does its
    check against the rounds (`answers_linked_to_month` joins organizations). A round of three SMEs (the
    attacker among them) and three startups closes last month and shows both kinds. Before the month is
    published the attacker is recorded as a startup (no API mutation changes a kind; the network's operator
    does, as asked). The check now sees a round of two SMEs and four startups, whose kinds are suppressed, so
    it only subtracts the round's total, which nothing comes near; the SME cell (the two SMEs of the round and
    one SME that answered elsewhere) is shown. 3 · SME cell − (3 · the round's SME mean − own answer) is that
    third SME's exact answer."""
    from tests.helpers.portfolio import answered_last_month, organization

    world = await build_world(connection)
    extra = await add_partners(connection, world, 4)  # Extra Partner 0-3 in Logistics; 2 and 3 become startups
    await connection.execute(
        "UPDATE organizations SET kind = 'STARTUP' WHERE name = ANY($1::text[])", ["Extra Partner 2", "Extra Partner 3"]
    )
    await connection.execute(
        "UPDATE organizations SET industry = 'Logistics' WHERE id = ANY($1::bigint[])",
        [world.organizations["sme"], world.organizations["startup"]],
    )
    attacker = 4
    round_id = await open_round(client, world)
    scores = [(world.tokens["sme"], attacker), (world.tokens["startup"], 2), *zip(extra, [5, 3, 4, 5], strict=True)]
    for token, score in scores:
        assert (await gql(client, SUBMIT, answer(round_id, score), token))["submitSurveyResponse"]["userErrors"] == []
    assert (await gql(client, CLOSE, {"r": round_id}, world.tokens["sme"]))["closeSurveyRound"]["userErrors"] == []
    last_month = date.today().replace(day=1) - timedelta(days=10)
    await connection.execute("UPDATE survey_responses SET submitted_at = $1::date + time '12:00'", last_month)
    victim = 1
    await answered_last_month(connection, [(await organization(connection, "Victim", "SME", "Logistics"), victim)])
    await recompute(connection, world.projects["pilot"], thresholds(settings))  # the round's kinds are frozen
    await connection.execute("UPDATE organizations SET kind = 'STARTUP' WHERE id = $1", world.organizations["sme"])
    await refresh_portfolio(connection)
    assert await publish_closed_months(connection, settings.min_group_size)

    for dimension in ("OVERALL", "COMMUNICATION_TRUST"):
        seen = await gql(
            client, SME_CELL_AND_KINDS, {"id": world.project_id("pilot"), "d": dimension}, world.tokens["sme"]
        )
        round_sme = next(k for k in seen["node"]["latestStatistics"]["meanByKind"] if k["kind"] == "SME")
        cell = next(s["points"][0] for s in seen["satisfactionTrends"] if s["key"] == "SME")
        if round_sme["mean"] is None or cell["mean"] is None:
            continue  # one of the two is withheld: nothing to subtract
        two_smes = round_sme["mean"] * round_sme["responseCount"] - attacker
        derived = cell["mean"] * cell["responseCount"] - two_smes
        assert round(derived, 6) != victim, f"{dimension}: the third SME's answer is {derived}"


INDUSTRIES_AND_ROUND = """query($id: ID!, $d: SatisfactionDimension!) {
  node(id: $id) { ... on CooperationProject { latestStatistics { mean(dimension: $d) responseCount } } }
  kinds: satisfactionTrends(groupBy: ORGANIZATION_KIND, dimension: $d) { key points { mean responseCount suppressed } }
  industries: satisfactionTrends(groupBy: INDUSTRY, dimension: $d) { key points { mean responseCount suppressed } }
}"""


async def test_a_cell_withheld_for_a_round_does_not_follow_from_the_cells_of_the_other_grouping(
    client: httpx.AsyncClient, connection: asyncpg.Connection, settings: Settings
) -> None:
    """Leak: a cell that the round check withholds is not withheld complementarily. A closed round of six
    SMEs, the attacker among them, three in Energy and three in Logistics; one more SME in Logistics answers
    elsewhere that month. The SME cell is the round plus that one SME, so the round check withholds it; but
    Energy and Logistics are each far from the round and are shown, and Energy + Logistics is the SME cell:
    3 · Energy + 4 · Logistics − 6 · round mean is the seventh SME's exact answer."""
    from tests.helpers.portfolio import answered_last_month, organization

    world = await build_world(connection)
    extra = await add_partners(connection, world, 5)  # SMEs in Logistics; 0 and 1 move to Energy
    await connection.execute(
        "UPDATE organizations SET industry = 'Energy' WHERE name = ANY($1::text[]) OR id = $2",
        ["Extra Partner 0", "Extra Partner 1"],
        world.organizations["sme"],
    )
    round_id = await open_round(client, world)
    for token, score in [(world.tokens["sme"], 4), *zip(extra, [5, 3, 4, 2, 5], strict=True)]:
        assert (await gql(client, SUBMIT, answer(round_id, score), token))["submitSurveyResponse"]["userErrors"] == []
    assert (await gql(client, CLOSE, {"r": round_id}, world.tokens["sme"]))["closeSurveyRound"]["userErrors"] == []
    last_month = date.today().replace(day=1) - timedelta(days=10)
    await connection.execute("UPDATE survey_responses SET submitted_at = $1::date + time '12:00'", last_month)
    victim = 1
    await answered_last_month(connection, [(await organization(connection, "Victim", "SME", "Logistics"), victim)])
    await recompute(connection, world.projects["pilot"], thresholds(settings))
    await refresh_portfolio(connection)
    assert await publish_closed_months(connection, settings.min_group_size)

    for dimension in ("OVERALL", "COMMUNICATION_TRUST"):
        seen = await gql(
            client, INDUSTRIES_AND_ROUND, {"id": world.project_id("pilot"), "d": dimension}, world.tokens["sme"]
        )
        statistics = seen["node"]["latestStatistics"]
        industries = {s["key"]: s["points"][0] for s in seen["industries"]}
        if statistics["mean"] is None or any(industries[i]["mean"] is None for i in ("Energy", "Logistics")):
            continue  # something is withheld: nothing to subtract
        both = sum(industries[i]["mean"] * industries[i]["responseCount"] for i in ("Energy", "Logistics"))
        derived = both - statistics["mean"] * statistics["responseCount"]
        assert round(derived, 6) != victim, f"{dimension}: the seventh SME's answer is {derived}"


async def test_a_kind_within_an_industry_rebuilt_from_two_cells_minus_a_round_is_one_answer(
    client: httpx.AsyncClient, connection: asyncpg.Connection, settings: Settings
) -> None:
    """Leak: the round check looks at each shown cell on its own, not at what shown cells add up to. A closed
    round of three SMEs in Energy, the attacker among them; elsewhere that month one more SME in Energy, three
    startups in Energy and three SMEs in Logistics answer. Every cell holds three organizations or more and
    none is within two organizations of the round, so all are shown; but Energy − startups is the SMEs in
    Energy, the round plus one: 7 · Energy − 3 · startups − 3 · round mean is that SME's exact answer."""
    from tests.helpers.portfolio import answered_last_month, organization

    world = await build_world(connection)
    extra = await add_partners(connection, world, 2)
    await connection.execute(
        "UPDATE organizations SET industry = 'Energy' WHERE name = ANY($1::text[]) OR id = $2",
        ["Extra Partner 0", "Extra Partner 1"],
        world.organizations["sme"],
    )
    round_id = await open_round(client, world)
    for token, score in [(world.tokens["sme"], 4), *zip(extra, [5, 3], strict=True)]:
        assert (await gql(client, SUBMIT, answer(round_id, score), token))["submitSurveyResponse"]["userErrors"] == []
    assert (await gql(client, CLOSE, {"r": round_id}, world.tokens["sme"]))["closeSurveyRound"]["userErrors"] == []
    last_month = date.today().replace(day=1) - timedelta(days=10)
    await connection.execute("UPDATE survey_responses SET submitted_at = $1::date + time '12:00'", last_month)
    victim = 1
    elsewhere = [(await organization(connection, "Victim", "SME", "Energy"), victim)]
    elsewhere += [(await organization(connection, f"Startup {i}", "STARTUP", "Energy"), 3) for i in range(3)]
    elsewhere += [(await organization(connection, f"SME {i}", "SME", "Logistics"), 4) for i in range(3)]
    await answered_last_month(connection, elsewhere)
    await recompute(connection, world.projects["pilot"], thresholds(settings))
    await refresh_portfolio(connection)
    assert await publish_closed_months(connection, settings.min_group_size)

    for dimension in ("OVERALL", "COMMUNICATION_TRUST"):
        seen = await gql(
            client, INDUSTRIES_AND_ROUND, {"id": world.project_id("pilot"), "d": dimension}, world.tokens["sme"]
        )
        statistics = seen["node"]["latestStatistics"]
        energy = next(s["points"][0] for s in seen["industries"] if s["key"] == "Energy")
        startups = next(s["points"][0] for s in seen["kinds"] if s["key"] == "STARTUP")
        if statistics["mean"] is None or energy["mean"] is None or startups["mean"] is None:
            continue  # something is withheld: nothing to subtract
        derived = energy["mean"] * energy["responseCount"] - startups["mean"] * startups["responseCount"]
        derived -= statistics["mean"] * statistics["responseCount"]
        assert round(derived, 6) != victim, f"{dimension}: the fourth SME's answer in Energy is {derived}"
