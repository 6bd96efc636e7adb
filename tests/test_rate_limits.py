"""Rate limits per token and per client address, in Redis; what happens when Redis is down."""

import uuid

import asyncpg
import httpx
from starlette.applications import Starlette

from api.app import create_app
from api.rate_limit import Budget, RateLimiter
from partnerpulse.embedded import RedisServer
from partnerpulse.settings import Settings
from tests.test_surveys import OPEN, SUBMIT, answer
from tests.world import build_world

VIEWER = {"query": "{ viewer { role } }"}


def limited(settings: Settings, **budgets: int) -> Settings:
    return settings.model_copy(update={"rate_limits": True, "redis_namespace": f"rl-{uuid.uuid4().hex[:8]}", **budgets})


async def send_all(app: Starlette, requests: list[tuple[dict, str | None]]) -> list[httpx.Response]:
    responses = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            for body, token in requests:
                headers = {"Authorization": f"Bearer {token}"} if token else {}
                responses.append(await client.post("/graphql", json=body, headers=headers))
    return responses


async def test_over_the_request_budget_answers_429_with_retry_after(
    settings: Settings, connection: asyncpg.Connection
) -> None:
    world = await build_world(connection)
    app = create_app(limited(settings, rate_requests_per_minute=4))
    # the budget allows a burst of 1, then one request per 15 s; tokens and addresses count separately
    responses = await send_all(app, [(VIEWER, world.tokens["sme"])] * 3 + [(VIEWER, world.tokens["startup"])])
    assert [r.status_code for r in responses] == [200, 429, 429, 200]
    refused = responses[1]
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert 1 <= int(refused.headers["retry-after"]) <= 15


async def test_anonymous_clients_are_limited_by_address(settings: Settings) -> None:
    app = create_app(limited(settings, rate_requests_per_minute=4))
    market = {"query": "{ marketplace { totalCount } }"}
    responses = await send_all(app, [(market, None)] * 3)
    assert [r.status_code for r in responses] == [200, 429, 429]


async def test_mutations_and_submissions_have_their_own_budgets(
    settings: Settings, connection: asyncpg.Connection
) -> None:
    world = await build_world(connection)
    app = create_app(
        limited(settings, rate_requests_per_minute=600, rate_mutations_per_minute=600, rate_submissions_per_minute=4)
    )
    token = world.tokens["startup"]
    open_round = {"query": OPEN, "variables": {"p": world.project_id("pilot")}}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            opened = await client.post(
                "/graphql", json=open_round, headers={"Authorization": f"Bearer {world.tokens['sme']}"}
            )
            round_id = opened.json()["data"]["openSurveyRound"]["surveyRound"]["id"]
            submit = {"query": SUBMIT, "variables": answer(round_id, idempotencyKey="same")}
            first = await client.post("/graphql", json=submit, headers={"Authorization": f"Bearer {token}"})
            # a client asking for application/graphql-response+json gets the 429 too, not the 400 of a request error
            second = await client.post(
                "/graphql",
                json=submit,
                headers={"Authorization": f"Bearer {token}", "Accept": "application/graphql-response+json"},
            )
            read = await client.post("/graphql", json=VIEWER, headers={"Authorization": f"Bearer {token}"})
    assert first.status_code == 200 and first.json()["data"]["submitSurveyResponse"]["userErrors"] == []
    assert second.status_code == 429 and second.headers["retry-after"]
    assert second.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert read.status_code == 200  # reads have their own budget
    assert await connection.fetchval("SELECT count(*) FROM survey_responses") == 1


async def test_without_redis_the_limits_fall_back_to_the_process(tmp_path) -> None:
    """Redis down: nobody is refused for that reason alone, and nobody gets unlimited requests."""
    server = RedisServer(tmp_path)
    from redis.asyncio import Redis

    client = Redis.from_url(server.url, socket_connect_timeout=0.2)
    limiter = RateLimiter(client, "rl-down")
    budget = Budget("requests", 4)
    try:
        waits = [await limiter.wait_seconds(budget, "token:1") for _ in range(3)]
    finally:
        await client.aclose()
    assert waits[0] == 0 and waits[1] > 0 and waits[2] > 0


async def test_reads_and_writes_go_on_when_redis_is_down(
    settings: Settings, connection: asyncpg.Connection, tmp_path
) -> None:
    world = await build_world(connection)
    server = RedisServer(tmp_path)
    redis_url = server.start()
    app = create_app(limited(settings, rate_requests_per_minute=600).model_copy(update={"redis_url": redis_url}))
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                headers = {"Authorization": f"Bearer {world.tokens['sme']}"}
                opened = await client.post(
                    "/graphql", json={"query": OPEN, "variables": {"p": world.project_id("pilot")}}, headers=headers
                )
                round_id = opened.json()["data"]["openSurveyRound"]["surveyRound"]["id"]
                server.stop()
                read = await client.post("/graphql", json=VIEWER, headers=headers)
                write = await client.post(
                    "/graphql", json={"query": SUBMIT, "variables": answer(round_id)}, headers=headers
                )
    finally:
        server.stop()
    assert read.status_code == 200 and read.json()["data"]["viewer"]["role"] == "MEMBER"
    assert write.status_code == 200 and write.json()["data"]["submitSurveyResponse"]["userErrors"] == []
    assert await connection.fetchval("SELECT count(*) FROM survey_responses") == 1
