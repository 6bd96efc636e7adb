"""Rate limits per token and per client address, in Redis; what happens when Redis is down."""

import uuid
from pathlib import Path

import asyncpg
import httpx
from starlette.applications import Starlette

from api.app import create_app
from api.rate_limit import Budget, RateLimiter
from bench.processes import start_api
from partnerpulse.embedded import RedisServer
from partnerpulse.settings import Settings
from tests.helpers.subscriptions import connect_ws, run_ws
from tests.helpers.surveys import OPEN, SUBMIT, answer
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


def exit_plans(project_id: str, count: int) -> dict:
    """One operation doing `count` mutations by aliases."""
    fields = " ".join(
        f'm{i}: setExitPlan(input: {{projectId: "{project_id}", exitPlan: "plan {i}"}}) {{ userErrors {{ code }} }}'
        for i in range(count)
    )
    return {"query": f"mutation {{ {fields} }}"}


def codes(body: dict) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


async def test_every_aliased_mutation_counts_against_the_mutation_budget(
    settings: Settings, connection: asyncpg.Connection
) -> None:
    """Attack: 30 aliases per request made one request do 30 mutations for the price of one."""
    world = await build_world(connection)
    app = create_app(limited(settings, rate_mutations_per_minute=40))  # a burst of 10, then one each 1.5 s
    admin = world.tokens["admin"]
    pilot = world.project_id("pilot")
    responses = await send_all(
        app, [(exit_plans(pilot, 6), admin), (exit_plans(pilot, 6), admin), (exit_plans(pilot, 11), admin)]
    )
    assert responses[0].status_code == 200 and len(responses[0].json()["data"]) == 6
    # 6 + 6 > 10: the second operation is refused whole, before any of its mutations runs
    assert responses[1].status_code == 429 and codes(responses[1].json()) == ["RATE_LIMITED"]
    assert responses[1].json().get("data") is None
    # more than the burst in one operation could never pass: it says so
    assert responses[2].status_code == 429 and "at most 10 may be sent at once" in responses[2].text
    assert (
        await connection.fetchval("SELECT exit_plan FROM cooperation_projects WHERE id = $1", world.projects["pilot"])
        == "plan 5"
    )


async def test_every_operation_of_a_batch_counts_against_the_budgets(
    settings: Settings, connection: asyncpg.Connection
) -> None:
    """Attack: a batch of 10 operations cost one request."""
    world = await build_world(connection)
    app = create_app(limited(settings, rate_requests_per_minute=24, rate_mutations_per_minute=40))  # bursts 6, 10
    token = world.tokens["sme"]
    pilot = world.project_id("pilot")
    responses = await send_all(app, [([VIEWER] * 4, token), ([VIEWER] * 3, token), ([VIEWER] * 2, token)])
    assert (
        responses[0].status_code == 200
        and [r["data"] for r in responses[0].json()] == [{"viewer": {"role": "MEMBER"}}] * 4
    )
    # 4 + 3 > 6: the whole batch is refused (nothing runs); 4 + 2 = 6 fits
    assert responses[1].status_code == 429 and [codes(r) for r in responses[1].json()] == [["RATE_LIMITED"]] * 3
    assert responses[2].status_code == 200

    app = create_app(limited(settings, rate_requests_per_minute=600, rate_mutations_per_minute=40))
    [batch] = await send_all(app, [([exit_plans(pilot, 4)] * 3, token)])
    # 3 operations of 4 mutations: two fit into the burst of 10, the third is refused
    results = batch.json()
    assert sorted(codes(r) for r in results) == [[], [], ["RATE_LIMITED"]]
    assert batch.status_code == 429


async def test_submissions_by_alias_or_batch_count_against_the_submission_budget(
    settings: Settings, connection: asyncpg.Connection
) -> None:
    world = await build_world(connection)
    app = create_app(limited(settings, rate_submissions_per_minute=8))  # a burst of 2
    sme, startup = world.tokens["sme"], world.tokens["startup"]
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            opened = await client.post(
                "/graphql",
                json={"query": OPEN, "variables": {"p": world.project_id("pilot")}},
                headers={"Authorization": f"Bearer {sme}"},
            )
            round_id = opened.json()["data"]["openSurveyRound"]["surveyRound"]["id"]
            submission = "submitSurveyResponse(input: $input) { userErrors { code } }"
            three = {
                "query": f"mutation($input: SubmitSurveyResponseInput!) {{ a: {submission} b: {submission} c: {submission} }}",
                "variables": answer(round_id),
            }
            aliased = await client.post("/graphql", json=three, headers={"Authorization": f"Bearer {startup}"})
            single = {"query": SUBMIT, "variables": answer(round_id)}
            batch = await client.post(
                "/graphql", json=[single, single, single], headers={"Authorization": f"Bearer {startup}"}
            )
    assert aliased.status_code == 429 and "at most 2 may be sent at once" in aliased.text
    assert sorted(codes(r) for r in batch.json()) == [[], [], ["RATE_LIMITED"]]
    # the same idempotent answer, twice accepted: one row
    assert await connection.fetchval("SELECT count(*) FROM survey_responses") == 1


def ws_codes(message: dict) -> list[str]:
    errors = message["payload"] if message["type"] == "error" else message["payload"].get("errors", [])
    return [e["extensions"]["code"] for e in errors]


async def test_operations_over_the_websocket_count_against_the_token_budgets(
    settings: Settings, connection: asyncpg.Connection, tmp_path: Path
) -> None:
    """Attack: over an open WebSocket, queries and mutations were not limited at all."""
    world = await build_world(connection)
    api, url = start_api(
        settings,
        tmp_path / "api.log",
        PARTNERPULSE_RATE_LIMITS="true",
        PARTNERPULSE_REDIS_NAMESPACE=f"rl-{uuid.uuid4().hex[:8]}",
        PARTNERPULSE_RATE_REQUESTS_PER_MINUTE="20",  # a burst of 5
        PARTNERPULSE_RATE_MUTATIONS_PER_MINUTE="12",  # a burst of 3
    )
    pilot = world.project_id("pilot")
    try:
        socket = await connect_ws(url, world.tokens["admin"])
        mutations = [ws_codes(await run_ws(socket, f"m{i}", exit_plans(pilot, 2))) for i in range(2)]
        reads = [ws_codes(await run_ws(socket, f"q{i}", VIEWER)) for i in range(4)]
        await socket.close()
        # the same budgets as over HTTP: the token's, wherever its operations come from
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            http = await client.post(
                "/graphql", json=VIEWER, headers={"Authorization": f"Bearer {world.tokens['admin']}"}
            )
    finally:
        api.stop()
    # 2 + 2 mutations > 3; 2 + 3 operations = 5, the sixth is refused, and so is the HTTP request after them
    assert mutations == [[], ["RATE_LIMITED"]]
    assert reads == [[], [], [], ["RATE_LIMITED"]]
    assert http.status_code == 429
    assert (
        await connection.fetchval("SELECT exit_plan FROM cooperation_projects WHERE id = $1", world.projects["pilot"])
        == "plan 1"
    )
