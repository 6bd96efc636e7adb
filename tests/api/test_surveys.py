"""Survey rounds and answers through the API; statistics and flags as the workers compute them."""

import asyncpg
import httpx
from strawberry.relay import to_base64

from partnerpulse.settings import Settings
from tests.helpers import gql
from tests.helpers.surveys import CLOSE, OPEN, SUBMIT, add_partners, answer, open_round
from tests.world import World, build_world
from workers.recompute import recompute, thresholds


async def startup_and_sme_answer(client: httpx.AsyncClient, world: World, startup: int, sme: int) -> None:
    """A new round of the pilot with two answers (fewer than the group size of 3)."""
    round_id = await open_round(client, world)
    for token, score in ((world.tokens["startup"], startup), (world.tokens["sme"], sme)):
        payload = (await gql(client, SUBMIT, answer(round_id, score), token))["submitSurveyResponse"]
        assert payload["userErrors"] == []


async def test_open_round_expects_the_non_moderator_partners(
    client: httpx.AsyncClient, connection: asyncpg.Connection
) -> None:
    world = await build_world(connection)
    payload = (await gql(client, OPEN, {"p": world.project_id("pilot")}, world.tokens["institute"]))["openSurveyRound"]
    assert payload["surveyRound"]["sequence"] == 1 and payload["surveyRound"]["expectedResponses"] == 2
    again = (await gql(client, OPEN, {"p": world.project_id("pilot")}, world.tokens["sme"]))["openSurveyRound"]
    assert [e["code"] for e in again["userErrors"]] == ["ALREADY_EXISTS"]
    assert (await gql(client, OPEN, {"p": world.project_id("pilot")}, world.tokens["startup"]))["openSurveyRound"][
        "userErrors"
    ][0]["code"] == "FORBIDDEN"
    # the published story is COMPLETED: no rounds any more
    ended = (await gql(client, OPEN, {"p": world.project_id("story")}, world.tokens["outsider"]))["openSurveyRound"]
    assert [e["code"] for e in ended["userErrors"]] == ["INVALID_TRANSITION"]


async def test_submit_answer_replay_and_refusals(client: httpx.AsyncClient, connection: asyncpg.Connection) -> None:
    world = await build_world(connection)
    round_id = await open_round(client, world)
    first = await gql(
        client, SUBMIT, answer(round_id, 2, comment="Zu langsam.", idempotencyKey="k1"), world.tokens["startup"]
    )
    response = first["submitSurveyResponse"]
    assert response["userErrors"] == [] and response["surveyResponse"]["organization"]["name"] == "Quantivo GmbH"
    # a retry with the same key returns the first response, even with other scores, and stores nothing new
    replay = (await gql(client, SUBMIT, answer(round_id, 5, idempotencyKey="k1"), world.tokens["startup"]))[
        "submitSurveyResponse"
    ]
    assert replay == response
    second = (await gql(client, SUBMIT, answer(round_id, 5, idempotencyKey="k2"), world.tokens["startup"]))[
        "submitSurveyResponse"
    ]
    assert [(e["field"], e["code"]) for e in second["userErrors"]] == [("roundId", "ALREADY_ANSWERED")]
    assert await connection.fetchval("SELECT count(*) FROM survey_responses") == 1

    cases = [
        (answer(round_id, 4, overall=6), "sme", [("overall", "INVALID")]),
        (
            answer(round_id, 4, continueLikelihood=11, decisionSpeed=0),
            "sme",
            [("decisionSpeed", "INVALID"), ("continueLikelihood", "INVALID")],
        ),
        (answer(round_id, 4, comment="x" * 2001), "sme", [("comment", "INVALID")]),
        (answer(round_id), "institute", [(None, "FORBIDDEN")]),  # moderators do not answer
        (answer(round_id), "outsider", [("roundId", "NOT_FOUND")]),  # nor do strangers learn the round exists
        (answer(round_id), "admin", [(None, "FORBIDDEN")]),
        (answer("bogus"), "sme", [("roundId", "NOT_FOUND")]),
        (answer(round_id), None, [(None, "UNAUTHENTICATED")]),
    ]
    for variables, who, expected in cases:
        payload = (await gql(client, SUBMIT, variables, world.tokens.get(who) if who else None))["submitSurveyResponse"]
        assert [(e["field"], e["code"]) for e in payload["userErrors"]] == expected, who
        assert payload["surveyResponse"] is None
    assert await connection.fetchval("SELECT count(*) FROM survey_responses") == 1

    closed = (await gql(client, CLOSE, {"r": round_id}, world.tokens["sme"]))["closeSurveyRound"]
    assert closed["surveyRound"]["status"] == "CLOSED"
    late = (await gql(client, SUBMIT, answer(round_id), world.tokens["sme"]))["submitSurveyResponse"]
    assert [(e["field"], e["code"]) for e in late["userErrors"]] == [("roundId", "ROUND_CLOSED")]
    again = (await gql(client, CLOSE, {"r": round_id}, world.tokens["sme"]))["closeSurveyRound"]
    assert [e["code"] for e in again["userErrors"]] == ["ROUND_CLOSED"]
    # the replay of an accepted answer still works after the round closed
    assert (await gql(client, SUBMIT, answer(round_id, idempotencyKey="k1"), world.tokens["startup"]))[
        "submitSurveyResponse"
    ] == response
    # the same key for an answer to another round is a client's mistake, not a replay: refused, nothing stored
    next_round = await open_round(client, world)
    reused = (await gql(client, SUBMIT, answer(next_round, 3, idempotencyKey="k1"), world.tokens["startup"]))[
        "submitSurveyResponse"
    ]
    assert [(e["field"], e["code"]) for e in reused["userErrors"]] == [("idempotencyKey", "INVALID")]
    assert reused["surveyResponse"] is None
    assert await connection.fetchval("SELECT count(*) FROM survey_responses") == 1


async def test_who_sees_individual_answers(client: httpx.AsyncClient, connection: asyncpg.Connection) -> None:
    world = await build_world(connection)
    await startup_and_sme_answer(client, world, 2, 5)
    query = """query($id: ID!) { node(id: $id) { ... on CooperationProject { surveyRounds { edges { node {
        responseCount expectedResponses myResponse { overall } responses { overall organization { name } } } } } } } }"""

    def rounds(data):
        return [e["node"] for e in data["node"]["surveyRounds"]["edges"]]

    as_startup = rounds(await gql(client, query, {"id": world.project_id("pilot")}, world.tokens["startup"]))
    assert as_startup == [{"responseCount": 2, "expectedResponses": 2, "myResponse": {"overall": 2}, "responses": []}]
    as_moderator = rounds(await gql(client, query, {"id": world.project_id("pilot")}, world.tokens["institute"]))
    assert sorted(r["overall"] for r in as_moderator[0]["responses"]) == [2, 5]
    as_admin = rounds(await gql(client, query, {"id": world.project_id("pilot")}, world.tokens["admin"]))
    assert len(as_admin[0]["responses"]) == 2
    # a response's global id: its organization and the moderator resolve it, the other partner does not
    response_id = await connection.fetchval("SELECT id FROM survey_responses WHERE overall = 2")
    node = "query($id: ID!) { node(id: $id) { ... on SurveyResponse { overall } } }"
    variables = {"id": to_base64("SurveyResponse", response_id)}
    assert (await gql(client, node, variables, world.tokens["startup"]))["node"] == {"overall": 2}
    assert (await gql(client, node, variables, world.tokens["institute"]))["node"] == {"overall": 2}
    assert (await gql(client, node, variables, world.tokens["sme"]))["node"] is None


STATS = """query($id: ID!) { node(id: $id) { ... on CooperationProject {
  latestStatistics { responseCount expectedResponses suppressed mean nps meanByKind { kind mean suppressed } }
  satisfactionTrend { sequence mean responseCount suppressed }
  health { score riskLevel upToDate }
  riskFlags { reason severity explanation evidence organization { name } }
} } }"""


async def test_small_groups_are_suppressed_for_partners_but_not_for_moderators(
    client: httpx.AsyncClient, connection: asyncpg.Connection, settings: Settings
) -> None:
    world = await build_world(connection)
    await startup_and_sme_answer(client, world, 1, 5)  # a gap of 4 between two answers: 99 % above 1.0
    await recompute(connection, world.projects["pilot"], thresholds(settings))
    partner = (await gql(client, STATS, {"id": world.project_id("pilot")}, world.tokens["sme"]))["node"]
    assert partner["latestStatistics"]["suppressed"] is True
    assert partner["latestStatistics"]["mean"] is None and partner["latestStatistics"]["nps"] is None
    assert all(k["mean"] is None for k in partner["latestStatistics"]["meanByKind"])
    assert partner["satisfactionTrend"] == [{"sequence": 1, "mean": None, "responseCount": 2, "suppressed": True}]
    moderator = (await gql(client, STATS, {"id": world.project_id("pilot")}, world.tokens["institute"]))["node"]
    assert moderator["latestStatistics"]["mean"] == 3.0 and moderator["latestStatistics"]["suppressed"] is False
    assert {k["kind"]: k["mean"] for k in moderator["latestStatistics"]["meanByKind"]} == {"STARTUP": 1.0, "SME": 5.0}
    # a plain partner's flags and health are computed from released values only: two answers raise nothing
    # for it, while the moderator sees what the answers say
    moderator_flags = {f["reason"]: f for f in moderator["riskFlags"]}
    assert set(moderator_flags) >= {"SATISFACTION_GAP"}
    assert "rated overall satisfaction 1.0" in moderator_flags["SATISFACTION_GAP"]["explanation"]
    assert moderator_flags["SATISFACTION_GAP"]["evidence"]["highest"] == 5.0
    assert not {f["reason"] for f in partner["riskFlags"]} & {
        "LOW_SATISFACTION",
        "SATISFACTION_GAP",
        "UNMET_EXPECTATIONS",
    }
    assert partner["health"] == {"score": 80, "riskLevel": "NONE", "upToDate": True}
    assert moderator["health"]["riskLevel"] != "NONE"


async def test_an_answer_keeps_its_kind_when_its_organization_changes_kind_later(
    client: httpx.AsyncClient, connection: asyncpg.Connection, settings: Settings
) -> None:
    """The per-kind means group by the kind recorded with each answer: an organization regrouped by an
    operator while the round is still open moves none of them (before and after would give its answer)."""
    world = await build_world(connection)
    await startup_and_sme_answer(client, world, 1, 5)
    recorded = await connection.fetchval(
        "SELECT organization_kind::text FROM survey_responses WHERE organization_id = $1", world.organizations["sme"]
    )
    assert recorded == "SME"
    await connection.execute("UPDATE organizations SET kind = 'STARTUP' WHERE id = $1", world.organizations["sme"])
    await recompute(connection, world.projects["pilot"], thresholds(settings))
    moderator = (await gql(client, STATS, {"id": world.project_id("pilot")}, world.tokens["institute"]))["node"]
    assert {k["kind"]: k["mean"] for k in moderator["latestStatistics"]["meanByKind"]} == {"STARTUP": 1.0, "SME": 5.0}


async def test_groups_of_the_minimum_size_are_shown_to_partners(
    client: httpx.AsyncClient, connection: asyncpg.Connection, settings: Settings
) -> None:
    world = await build_world(connection)
    extra = await add_partners(connection, world, 1)
    round_id = await open_round(client, world)
    for token, score in ((world.tokens["startup"], 3), (world.tokens["sme"], 4), (extra[0], 5)):
        await gql(client, SUBMIT, answer(round_id, score), token)
    await recompute(connection, world.projects["pilot"], thresholds(settings))
    # while the round is open its numbers change with every answer: partners see them once it has closed
    partner = (await gql(client, STATS, {"id": world.project_id("pilot")}, world.tokens["startup"]))["node"]
    assert partner["latestStatistics"]["suppressed"] is True and partner["latestStatistics"]["mean"] is None
    await gql(client, CLOSE, {"r": round_id}, world.tokens["sme"])
    await recompute(connection, world.projects["pilot"], thresholds(settings))
    partner = (await gql(client, STATS, {"id": world.project_id("pilot")}, world.tokens["startup"]))["node"]
    assert partner["latestStatistics"]["mean"] == 4.0 and partner["latestStatistics"]["suppressed"] is False
    kinds = {k["kind"]: k for k in partner["latestStatistics"]["meanByKind"]}
    assert kinds["SME"]["suppressed"] is True and kinds["SME"]["mean"] is None  # 2 SME answers < 3
    assert partner["satisfactionTrend"][0]["mean"] == 4.0


async def test_outsiders_see_no_statistics_of_a_published_project(
    client: httpx.AsyncClient, connection: asyncpg.Connection
) -> None:
    world = await build_world(connection)
    data = (await gql(client, STATS, {"id": world.project_id("story")}, world.tokens["startup"]))["node"]
    assert data == {"latestStatistics": None, "satisfactionTrend": [], "health": None, "riskFlags": []}


async def test_at_risk_projects_most_severe_first_and_acknowledge(
    client: httpx.AsyncClient, connection: asyncpg.Connection, settings: Settings
) -> None:
    world = await build_world(connection)
    await startup_and_sme_answer(client, world, 1, 1)
    stalled = await connection.fetchval(
        "INSERT INTO cooperation_projects (title, kind, phase, phase_changed_at) VALUES ('Stuck', 'MARKETING', 'INITIATION', now() - interval '70 days') RETURNING id"
    )
    await connection.execute(
        "INSERT INTO project_partners (project_id, organization_id, role) VALUES ($1, $2, 'LEAD')",
        stalled,
        world.organizations["sme"],
    )
    for project in (world.projects["pilot"], stalled, world.projects["story"]):
        await recompute(connection, project, thresholds(settings))
    query = "query($min: Severity) { atRiskProjects(minSeverity: $min) { totalCount edges { node { title health { riskLevel } } } } }"
    listed = (await gql(client, query, {}, world.tokens["admin"]))["atRiskProjects"]
    assert [e["node"]["title"] for e in listed["edges"]] == ["Predictive maintenance pilot", "Stuck"]
    assert listed["totalCount"] == 2 and listed["edges"][1]["node"]["health"]["riskLevel"] == "LOW"
    high = (await gql(client, query, {"min": "HIGH"}, world.tokens["admin"]))["atRiskProjects"]
    assert [e["node"]["title"] for e in high["edges"]] == ["Predictive maintenance pilot"]
    # partners see each project as released values show it: the pilot's two answers put it at risk for the
    # moderator only; the stalled project (no answers needed) is at risk for its lead
    mine = (await gql(client, query, {}, world.tokens["startup"]))["atRiskProjects"]
    assert mine == {"totalCount": 0, "edges": []}
    lead = (await gql(client, query, {}, world.tokens["sme"]))["atRiskProjects"]
    assert [e["node"]["title"] for e in lead["edges"]] == ["Stuck"] and lead["totalCount"] == 1
    moderator = (await gql(client, query, {}, world.tokens["institute"]))["atRiskProjects"]
    assert [e["node"]["title"] for e in moderator["edges"]] == ["Predictive maintenance pilot"]

    ack = "mutation($id: ID!) { acknowledgeRiskFlag(input: {id: $id}) { riskFlag { acknowledgedAt } userErrors { code } } }"

    async def flag(project: int, reason: str, audience: str) -> dict:
        flag_id = await connection.fetchval(
            "SELECT id FROM risk_flags WHERE project_id = $1 AND reason = $2 AND audience = $3",
            project,
            reason,
            audience,
        )
        return {"id": to_base64("RiskFlag", flag_id)}

    full_low = await flag(world.projects["pilot"], "LOW_SATISFACTION", "FULL")
    assert (await gql(client, ack, full_low, world.tokens["outsider"]))["acknowledgeRiskFlag"]["userErrors"] == [
        {"code": "NOT_FOUND"}
    ]
    # the lead is a plain partner: the flag computed from two answers does not exist for it
    assert (await gql(client, ack, full_low, world.tokens["sme"]))["acknowledgeRiskFlag"]["userErrors"] == [
        {"code": "NOT_FOUND"}
    ]
    done = (await gql(client, ack, full_low, world.tokens["institute"]))["acknowledgeRiskFlag"]
    assert done["userErrors"] == [] and done["riskFlag"]["acknowledgedAt"]
    stalled_flag = await flag(stalled, "STALLED", "PARTNERS")
    assert (await gql(client, ack, stalled_flag, world.tokens["startup"]))["acknowledgeRiskFlag"]["userErrors"] == [
        {"code": "NOT_FOUND"}
    ]
    done = (await gql(client, ack, stalled_flag, world.tokens["sme"]))["acknowledgeRiskFlag"]
    assert done["userErrors"] == [] and done["riskFlag"]["acknowledgedAt"]


async def test_flags_resolve_when_satisfaction_recovers_and_stay_in_history(
    client: httpx.AsyncClient, connection: asyncpg.Connection, settings: Settings
) -> None:
    world = await build_world(connection)
    extra = await add_partners(connection, world, 1)
    partners = [world.tokens["startup"], world.tokens["sme"], extra[0]]
    for scores in ([1, 1, 1], [4, 5, 4]):
        round_id = await open_round(client, world)
        for token, score in zip(partners, scores, strict=True):
            await gql(client, SUBMIT, answer(round_id, score), token)
        await gql(client, CLOSE, {"r": round_id}, world.tokens["sme"])
        await recompute(connection, world.projects["pilot"], thresholds(settings))
    history = "query($id: ID!) { node(id: $id) { ... on CooperationProject { open: riskFlags { reason } all: riskFlags(includeResolved: true) { reason resolvedAt } } } }"
    data = (await gql(client, history, {"id": world.project_id("pilot")}, world.tokens["sme"]))["node"]
    assert data["open"] == []
    assert sorted((f["reason"], f["resolvedAt"] is not None) for f in data["all"]) == [
        ("LOW_SATISFACTION", True),
        ("UNMET_EXPECTATIONS", True),
    ]
    # idempotent: the same data again changes nothing
    before = await connection.fetch("SELECT * FROM risk_flags ORDER BY id")
    await recompute(connection, world.projects["pilot"], thresholds(settings))
    assert await connection.fetch("SELECT * FROM risk_flags ORDER BY id") == before


async def test_portfolio_trends_hide_small_cells_from_members(
    client: httpx.AsyncClient, connection: asyncpg.Connection
) -> None:
    from db.portfolio import refresh_portfolio
    from workers.portfolio import publish_closed_months

    world = await build_world(connection)
    extra = await add_partners(connection, world, 2)
    round_id = await open_round(client, world)
    for token, score in ((world.tokens["startup"], 2), (world.tokens["sme"], 4), (extra[0], 5), (extra[1], 3)):
        await gql(client, SUBMIT, answer(round_id, score), token)
    await refresh_portfolio(connection)
    query = "{ satisfactionTrends(groupBy: ORGANIZATION_KIND) { key } }"
    # members see closed months only: this month is the admins' alone until it has closed
    assert (await gql(client, query, {}, world.tokens["startup"]))["satisfactionTrends"] == []
    await connection.execute("UPDATE survey_responses SET submitted_at = now() - interval '40 days'")
    await refresh_portfolio(connection)
    assert len(await publish_closed_months(connection, 3)) == 1
    query = "query($g: TrendGrouping!) { satisfactionTrends(groupBy: $g) { key label points { mean responseCount suppressed } } }"
    admin = {
        s["key"]: s
        for s in (await gql(client, query, {"g": "ORGANIZATION_KIND"}, world.tokens["admin"]))["satisfactionTrends"]
    }
    assert admin["SME"]["label"] == "SMEs (Mittelstand)" and admin["SME"]["points"] == [
        {"mean": 4.0, "responseCount": 3, "suppressed": False}
    ]
    assert admin["STARTUP"]["points"] == [{"mean": 2.0, "responseCount": 1, "suppressed": False}]
    member = {
        s["key"]: s
        for s in (await gql(client, query, {"g": "ORGANIZATION_KIND"}, world.tokens["startup"]))["satisfactionTrends"]
    }
    # the round is still open: once it closes, its mean over the four answers minus the three SMEs would be
    # the startup's answer, so the SME cell is withheld as well (tests/system/test_trust_space_attacks.py)
    assert member["SME"]["points"] == [{"mean": None, "responseCount": 3, "suppressed": True}]
    assert member["STARTUP"]["points"] == [{"mean": None, "responseCount": 1, "suppressed": True}]
    industries = (await gql(client, query, {"g": "INDUSTRY"}, world.tokens["admin"]))["satisfactionTrends"]
    assert {s["key"] for s in industries} == {"Mechanical Engineering", "Software & IT", "Logistics"}
    # published once: a later change of the month's answers does not reach members
    await connection.execute("DELETE FROM survey_responses WHERE organization_id = $1", world.organizations["sme"])
    await refresh_portfolio(connection)
    assert await publish_closed_months(connection, 3) == []
    again = {
        s["key"]: s
        for s in (await gql(client, query, {"g": "ORGANIZATION_KIND"}, world.tokens["startup"]))["satisfactionTrends"]
    }
    assert again == member


async def test_flag_explanations_in_english_and_german_as_each_viewer_may_read_them(
    client: httpx.AsyncClient, connection: asyncpg.Connection, settings: Settings
) -> None:
    world = await build_world(connection)
    await startup_and_sme_answer(client, world, 1, 1)  # 1.0 from two answers: 99 % at or below 2.5
    await recompute(connection, world.projects["pilot"], thresholds(settings))
    query = """query($id: ID!) { node(id: $id) { ... on CooperationProject { riskFlags {
        reason en: explanation de: explanation(language: DE) } } } }"""

    def low(data: dict) -> dict:
        return next(f for f in data["node"]["riskFlags"] if f["reason"] == "LOW_SATISFACTION")

    moderator = low(await gql(client, query, {"id": world.project_id("pilot")}, world.tokens["institute"]))
    assert moderator["en"] == (
        "Overall satisfaction is likely at or below 2.5 (99 %): round 1 averaged 1.0 from 2 answers."
    )
    assert moderator["de"] == (
        "Die Gesamtzufriedenheit liegt wahrscheinlich auf oder unter 2,5 (99 %): Runde 1 ergab im Mittel 1,0 aus "
        "2 Antworten."
    )
    # two answers are below the group size: a plain partner's flags rest on released values only, none here
    partner = await gql(client, query, {"id": world.project_id("pilot")}, world.tokens["startup"])
    assert "LOW_SATISFACTION" not in {f["reason"] for f in partner["node"]["riskFlags"]}
    # with a third answer the mean is released: the partner reads the same numbers in both languages
    extra = await add_partners(connection, world, 1)
    round_id = to_base64("SurveyRound", (await connection.fetchrow("SELECT id FROM survey_rounds"))["id"])
    await gql(client, SUBMIT, answer(round_id, 1), extra[0])
    await gql(client, CLOSE, {"r": round_id}, world.tokens["sme"])
    await recompute(connection, world.projects["pilot"], thresholds(settings))
    partner = low(await gql(client, query, {"id": world.project_id("pilot")}, world.tokens["startup"]))
    assert (
        partner["en"] == "Overall satisfaction is likely at or below 2.5 (99 %): round 1 averaged 1.0 from 3 answers."
    )
    assert partner["de"] == (
        "Die Gesamtzufriedenheit liegt wahrscheinlich auf oder unter 2,5 (99 %): Runde 1 ergab im Mittel 1,0 aus "
        "3 Antworten."
    )
    # a flag stored before German explanations existed answers in English until its project is recomputed
    await connection.execute("UPDATE risk_flags SET explanations = explanations - 'de'")
    older = low(await gql(client, query, {"id": world.project_id("pilot")}, world.tokens["institute"]))
    assert (
        older["de"]
        == older["en"]
        == ("Overall satisfaction is likely at or below 2.5 (99 %): round 1 averaged 1.0 from 3 answers.")
    )
