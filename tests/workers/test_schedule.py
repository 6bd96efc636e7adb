"""Survey schedules: who sets them, bad input, and the cron job opening and closing rounds, once."""

import asyncio
from collections.abc import AsyncIterator
from datetime import date, timedelta

import asyncpg
import httpx
import pytest
from arq import create_pool

from partnerpulse.settings import Settings
from tests.helpers import gql
from tests.world import build_world
from workers.schedule import run_schedules
from workers.settings import redis_settings

SET = """mutation($p: ID!, $w: Int!, $d: Int!) { setSurveySchedule(input: {projectId: $p, everyWeeks: $w,
  answerWindowDays: $d}) { surveySchedule { everyWeeks answerWindowDays nextRoundOn } userErrors { field code } } }"""
SCHEDULE = "query($p: ID!) { node(id: $p) { ... on CooperationProject { surveySchedule { everyWeeks nextRoundOn } } } }"


@pytest.fixture
async def ctx(pool: asyncpg.Pool, settings: Settings, redis) -> AsyncIterator[dict]:
    arq_redis = await create_pool(redis_settings(settings.redis_url or ""), default_queue_name=settings.queue_name)
    yield {"pool": pool, "settings": settings, "redis": arq_redis}
    await arq_redis.aclose()


async def test_leads_moderators_and_admins_set_a_schedule_bad_input_changes_nothing(
    client: httpx.AsyncClient, connection: asyncpg.Connection
) -> None:
    world = await build_world(connection)
    pilot = world.project_id("pilot")
    for values, field in (
        ((0, 3), "everyWeeks"),
        ((53, 3), "everyWeeks"),
        ((2, 15), "answerWindowDays"),
        ((2, 0), "answerWindowDays"),
    ):
        refused = (await gql(client, SET, {"p": pilot, "w": values[0], "d": values[1]}, world.tokens["sme"]))[
            "setSurveySchedule"
        ]
        assert refused["userErrors"] == [{"field": field, "code": "INVALID"}] and refused["surveySchedule"] is None
    forbidden = (await gql(client, SET, {"p": pilot, "w": 2, "d": 5}, world.tokens["startup"]))["setSurveySchedule"]
    assert [e["code"] for e in forbidden["userErrors"]] == ["FORBIDDEN"]
    assert await connection.fetchval("SELECT count(*) FROM survey_schedules") == 0
    assert (await gql(client, SCHEDULE, {"p": pilot}, world.tokens["startup"]))["node"]["surveySchedule"] is None
    for role in ("sme", "institute", "admin"):
        payload = (await gql(client, SET, {"p": pilot, "w": 2, "d": 5}, world.tokens[role]))["setSurveySchedule"]
        assert payload["userErrors"] == [], role
    assert payload["surveySchedule"] == {
        "everyWeeks": 2,
        "answerWindowDays": 5,
        "nextRoundOn": date.today().isoformat(),
    }
    # the story is COMPLETED: no schedule any more
    ended = await gql(client, SET, {"p": world.project_id("story"), "w": 2, "d": 5}, world.tokens["outsider"])
    assert [e["code"] for e in ended["setSurveySchedule"]["userErrors"]] == ["INVALID_TRANSITION"]


async def test_the_schedule_opens_due_rounds_once_and_closes_them_after_the_window(
    client: httpx.AsyncClient, connection: asyncpg.Connection, ctx: dict
) -> None:
    world = await build_world(connection)
    await connection.execute(
        "INSERT INTO contact_persons (organization_id, name, email) VALUES ($1, 'Cem', 'cem@quantivo.example')",
        world.organizations["startup"],
    )
    pilot = world.project_id("pilot")
    assert (await gql(client, SET, {"p": pilot, "w": 2, "d": 5}, world.tokens["sme"]))["setSurveySchedule"][
        "userErrors"
    ] == []
    # two workers' cron runs at once open one round
    assert sorted(await asyncio.gather(run_schedules(ctx), run_schedules(ctx))) == [0, 1]
    rounds = await connection.fetch("SELECT sequence, status::text FROM survey_rounds ORDER BY sequence")
    assert [tuple(r) for r in rounds] == [(1, "OPEN")]
    assert await connection.fetchval("SELECT count(*) FROM outbox_mails WHERE kind = 'INVITATION'") == 1
    schedule = (await gql(client, SCHEDULE, {"p": pilot}, world.tokens["startup"]))["node"]["surveySchedule"]
    assert schedule["nextRoundOn"] == (date.today() + timedelta(weeks=2)).isoformat()
    assert await run_schedules(ctx) == 0  # not due again, and the window is open

    async def days_pass(days: float) -> None:
        await connection.execute(
            "UPDATE survey_rounds SET opened_at = opened_at - make_interval(secs => $1)", days * 86400
        )

    await days_pass(4.9)
    assert await run_schedules(ctx) == 0
    await days_pass(0.2)  # the 5-day window has passed
    assert await run_schedules(ctx) == 1
    assert await connection.fetchval("SELECT status::text FROM survey_rounds") == "CLOSED"
    await days_pass(8.8)  # day 13.9: the next round is not due yet
    assert await run_schedules(ctx) == 0
    await days_pass(0.2)
    assert await run_schedules(ctx) == 1
    rounds = await connection.fetch("SELECT sequence, status::text FROM survey_rounds ORDER BY sequence")
    assert [tuple(r) for r in rounds] == [(1, "CLOSED"), (2, "OPEN")]
    # a project that is no longer ACTIVE gets no round: the scheduled round of the pilot closes, nothing opens
    await connection.execute(
        "UPDATE cooperation_projects SET phase = 'COMPLETED' WHERE id = $1", world.projects["pilot"]
    )
    await days_pass(14.5)
    assert await run_schedules(ctx) == 1  # the open round's window passed: it closes
    await days_pass(14.5)
    assert await run_schedules(ctx) == 0
    assert await connection.fetchval("SELECT count(*) FROM survey_rounds") == 2


REMOVE = (
    """mutation($p: ID!) { removeSurveySchedule(input: {projectId: $p}) { projectId userErrors { field code } } }"""
)


async def test_a_removed_schedule_opens_no_more_rounds(
    client: httpx.AsyncClient, connection: asyncpg.Connection, ctx: dict
) -> None:
    world = await build_world(connection)
    pilot = world.project_id("pilot")
    await gql(client, SET, {"p": pilot, "w": 2, "d": 5}, world.tokens["sme"])
    # a plain partner may not remove it; nothing changes
    refused = (await gql(client, REMOVE, {"p": pilot}, world.tokens["startup"]))["removeSurveySchedule"]
    assert refused == {"projectId": None, "userErrors": [{"field": None, "code": "FORBIDDEN"}]}
    assert await connection.fetchval("SELECT count(*) FROM survey_schedules") == 1
    removed = (await gql(client, REMOVE, {"p": pilot}, world.tokens["institute"]))["removeSurveySchedule"]
    assert removed == {"projectId": pilot, "userErrors": []}
    assert (await gql(client, SCHEDULE, {"p": pilot}, world.tokens["sme"]))["node"]["surveySchedule"] is None
    # the cron run finds nothing due; removing again says there is nothing to remove
    assert await run_schedules(ctx) == 0
    assert await connection.fetchval("SELECT count(*) FROM survey_rounds") == 0
    again = (await gql(client, REMOVE, {"p": pilot}, world.tokens["sme"]))["removeSurveySchedule"]
    assert again["userErrors"] == [{"field": "projectId", "code": "NOT_FOUND"}]
