"""End to end with real processes: the API, arq workers, PostgreSQL and Redis, and their failures."""

import asyncio
import json
from pathlib import Path

import asyncpg
import httpx
import pytest
import websockets
from arq.connections import create_pool as create_arq_pool

from api.app import create_app
from bench.processes import start_api, start_worker
from db import recompute as recompute_sql
from domain.events import FlagEvent
from domain.jobs import enqueue_recompute, recompute_job_id
from partnerpulse.embedded import RedisServer
from partnerpulse.settings import Settings
from tests.helpers import gql
from tests.helpers.subscriptions import connect_ws, next_event, run_ws, subscribe
from tests.helpers.surveys import FLAGS, OPEN, SUBMIT, add_partners, answer, answer_round, open_flags
from tests.helpers.waiting import eventually
from tests.world import build_world
from workers.settings import redis_settings


@pytest.fixture
def worker_log(tmp_path: Path) -> Path:
    return tmp_path / "worker.log"


async def test_flags_appear_with_a_real_worker_and_resolve_when_satisfaction_recovers(
    settings: Settings, connection: asyncpg.Connection, redis, tmp_path: Path
) -> None:
    world = await build_world(connection)
    partners = [world.tokens["startup"], world.tokens["sme"], *(await add_partners(connection, world, 1))]
    api, url = start_api(settings, tmp_path / "api.log")
    worker = start_worker(settings, tmp_path / "worker.log")
    try:
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            await answer_round(
                client, world, partners, [1, 2, 1]
            )  # 1.3 from three answers: 99 % likely at or below 2.5
            reasons = await eventually(lambda: open_flags(client, world), what="flags to be raised")
            assert "LOW_SATISFACTION" in reasons
            await answer_round(client, world, partners, [5, 4, 5])

            async def recovered() -> bool:
                return "LOW_SATISFACTION" not in await open_flags(client, world)

            await eventually(recovered, what="the flag to resolve")

            async def up_to_date() -> bool:
                data = await gql(client, FLAGS, {"id": world.project_id("pilot")}, world.tokens["sme"])
                return data["node"]["health"]["upToDate"]

            await eventually(up_to_date, what="the statistics to include the closing of the round")
    except AssertionError as error:  # seen once in a full run: keep what the worker did for the next look
        raise AssertionError(f"{error}\n--- worker log (end) ---\n{worker.output()[-4000:]}") from None
    finally:
        worker.stop()
        api.stop()
    assert await connection.fetchval("SELECT count(*) FROM risk_flags WHERE resolved_at IS NOT NULL") >= 1


async def test_an_answer_accepted_while_redis_is_down_reaches_the_statistics_once_redis_is_back(
    settings: Settings, connection: asyncpg.Connection, tmp_path: Path
) -> None:
    world = await build_world(connection)
    redis_server = RedisServer(tmp_path)
    redis_url = redis_server.start()
    own = settings.model_copy(update={"redis_url": redis_url})
    app = create_app(own)
    worker = None
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                round_id = (await gql(client, OPEN, {"p": world.project_id("pilot")}, world.tokens["sme"]))[
                    "openSurveyRound"
                ]["surveyRound"]["id"]
                redis_server.stop()  # Redis goes away
                payload = (await gql(client, SUBMIT, answer(round_id, 2), world.tokens["startup"]))[
                    "submitSurveyResponse"
                ]
                # the user saw a normal, successful submission
                assert payload["userErrors"] == [] and payload["surveyResponse"]["overall"] == 2
        assert await connection.fetchval("SELECT count(*) FROM survey_responses") == 1
        assert world.projects["pilot"] in await recompute_sql.stale_projects(connection)

        redis_server.start()  # same port, empty queue: the enqueue was lost
        worker = start_worker(own, tmp_path / "worker.log")

        async def counted() -> bool:
            return (
                await connection.fetchval(
                    "SELECT response_count FROM round_statistics WHERE project_id = $1", world.projects["pilot"]
                )
                == 1
                # the reconciler found every stale project, not only this one
                and await recompute_sql.stale_projects(connection) == []
            )

        await eventually(counted, what="the reconciler to recompute the project")
    finally:
        if worker:
            worker.stop()
        redis_server.stop()


async def test_a_job_of_a_killed_worker_is_redone(
    settings: Settings, connection: asyncpg.Connection, pool: asyncpg.Pool, redis, tmp_path: Path
) -> None:
    world = await build_world(connection)
    project = world.projects["pilot"]
    await connection.execute("INSERT INTO survey_rounds (project_id, sequence) VALUES ($1, 1)", project)
    fast_timeout = {"PARTNERPULSE_WORKER_JOB_TIMEOUT": "3"}
    async with pool.acquire() as blocker:
        # hold the project's recomputation lock: the job starts, then waits in the middle
        await recompute_sql.lock_project_recomputation(blocker, project)
        first = start_worker(settings, tmp_path / "first.log", **fast_timeout)
        arq = await create_arq_pool(redis_settings(settings.redis_url or ""), default_queue_name=settings.queue_name)
        try:
            await enqueue_recompute(
                arq, settings.redis_namespace, project
            )  # the startup reconcile may have done it already
            await eventually(
                lambda: redis.exists(f"arq:in-progress:{recompute_job_id(settings.redis_namespace, project)}"),
                what="the job to start",
            )
            first.kill()  # SIGKILL in the middle of the job
        finally:
            await recompute_sql.unlock_project_recomputation(blocker, project)
            await arq.aclose()
    assert project in await recompute_sql.stale_projects(connection)
    second = start_worker(settings, tmp_path / "second.log", **fast_timeout)
    try:

        async def done() -> bool:
            return project not in await recompute_sql.stale_projects(connection)

        # arq hands the job to another worker once the dead one's "in progress" mark expires (timeout + 10 s)
        await eventually(done, within=40, what="the killed job to be redone")
    finally:
        second.stop()


async def test_200_concurrent_submissions_are_each_counted_exactly_once(
    settings: Settings, connection: asyncpg.Connection, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    world = await build_world(connection)
    tokens = await add_partners(connection, world, 198)
    tokens += [world.tokens["startup"], world.tokens["sme"]]
    round_id = (await gql(client, OPEN, {"p": world.project_id("pilot")}, world.tokens["sme"]))["openSurveyRound"][
        "surveyRound"
    ]["id"]

    async def submit(token: str, key: str, score: int) -> dict:
        """Like a well-behaved client: when the service is busy (the pool has 10 connections for 250
        requests at once), try again with the same idempotency key. That includes a partial result: the
        answer may be stored while a field of the payload (its organization) could not be read."""
        for _ in range(50):
            response = await client.post(
                "/graphql",
                json={"query": SUBMIT, "variables": answer(round_id, score, idempotencyKey=key)},
                headers={"Authorization": f"Bearer {token}"},
            )
            body = response.json()
            codes = {e.get("extensions", {}).get("code") for e in body.get("errors", [])}
            if not codes and body.get("data") and body["data"]["submitSurveyResponse"]:
                return body["data"]["submitSurveyResponse"]
            assert codes and codes <= {"SERVICE_BUSY", "SERVICE_UNAVAILABLE"}, body
            await asyncio.sleep(0.1)
        raise AssertionError("the service stayed busy")

    firsts = [submit(token, f"first-{i}", 1 + i % 5) for i, token in enumerate(tokens)]
    retries = [submit(token, f"first-{i}", 5) for i, token in enumerate(tokens[:50])]  # a client retrying at once
    results = await asyncio.gather(*firsts, *retries)
    assert all(r["userErrors"] == [] for r in results)
    ids = [r["surveyResponse"]["id"] for r in results]
    assert len(set(ids)) == 200 and ids[200:] == ids[:50]  # a retry returns the first response
    # a second, different answer of the same organization is refused
    seconds = await asyncio.gather(*(submit(token, f"second-{i}", 3) for i, token in enumerate(tokens[:50])))
    assert all([e["code"] for e in r["userErrors"]] == ["ALREADY_ANSWERED"] for r in seconds)
    assert await connection.fetchval("SELECT count(*) FROM survey_responses") == 200

    worker = start_worker(settings, tmp_path / "worker.log")
    try:

        async def counted() -> bool:
            return await connection.fetchval(
                "SELECT response_count FROM round_statistics WHERE project_id = $1", world.projects["pilot"]
            ) == 200 and not await recompute_sql.stale_projects(connection)

        await eventually(counted, what="all 200 answers in the statistics")
    finally:
        worker.stop()
    mean = await connection.fetchval(
        "SELECT mean_overall FROM round_statistics WHERE project_id = $1", world.projects["pilot"]
    )
    assert mean == pytest.approx(await connection.fetchval("SELECT avg(overall)::float8 FROM survey_responses"))


async def test_subscribers_receive_flag_changes_of_projects_they_may_see_only(
    settings: Settings, connection: asyncpg.Connection, redis, tmp_path: Path
) -> None:
    world = await build_world(connection)
    partners = [world.tokens["startup"], world.tokens["sme"], *(await add_partners(connection, world, 1))]
    api, url = start_api(settings, tmp_path / "api.log")
    worker = start_worker(settings, tmp_path / "worker.log")
    try:
        partner = await subscribe(url, world.tokens["startup"], world.project_id("pilot"))
        outsider = await subscribe(url, world.tokens["outsider"])
        await asyncio.sleep(0.3)  # both subscriptions listen on Redis
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            await answer_round(client, world, partners, [1, 2, 1])
        event = await next_event(partner, within=20)
        assert event["type"] == "next"
        flag = event["payload"]["data"]["riskFlagChanged"]
        assert flag["project"]["title"] == "Predictive maintenance pilot"
        # the startup's 1 against the others' 1.5 is a gap of 0.5, below the threshold (1.0): the low answers
        # raise LOW_SATISFACTION, the gap raises nothing, in neither audience
        pilot = world.projects["pilot"]

        async def computed() -> bool:
            return pilot not in await recompute_sql.stale_projects(connection)

        await eventually(computed, what="the pilot's recomputation")
        open_reasons = await connection.fetch(
            "SELECT DISTINCT reason::text FROM risk_flags WHERE project_id = $1 AND resolved_at IS NULL", pilot
        )
        reasons = {row["reason"] for row in open_reasons}
        assert "LOW_SATISFACTION" in reasons and "SATISFACTION_GAP" not in reasons, reasons
        with pytest.raises(TimeoutError):
            await next_event(outsider, within=1.5)
        await partner.close()
        await outsider.close()

        # a forged token is refused at connection_init; no token at all may connect but not subscribe
        forged = await websockets.connect(url.replace("http", "ws") + "/graphql", subprotocols=["graphql-transport-ws"])
        await forged.send(json.dumps({"type": "connection_init", "payload": {"Authorization": "Bearer pp_forged"}}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(forged.recv(), 5)
        assert closed.value.rcvd.code == 4403
        anonymous = await subscribe(url, None)
        message = await next_event(anonymous, within=5)
        errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
        assert [e["extensions"]["code"] for e in errors] == ["UNAUTHENTICATED"]
        await anonymous.close()
    finally:
        worker.stop()
        api.stop()


async def test_live_subscriptions_share_one_redis_subscription_and_are_capped_per_token(
    settings: Settings, connection: asyncpg.Connection, redis, tmp_path: Path
) -> None:
    world = await build_world(connection)
    [(_, listening_before)] = await redis.pubsub_numsub(settings.events_channel)  # in-process apps of other fixtures
    api, url = start_api(settings, tmp_path / "api.log", PARTNERPULSE_MAX_SUBSCRIPTIONS_PER_TOKEN="3")
    try:
        sockets = [await subscribe(url, world.tokens["sme"]) for _ in range(3)]
        sockets.append(await subscribe(url, world.tokens["admin"]))
        # the fourth of one token is refused, cleanly; other tokens are not affected
        refused = await subscribe(url, world.tokens["sme"])
        message = await next_event(refused, within=5)
        errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
        assert [e["extensions"]["code"] for e in errors] == ["TOO_MANY_SUBSCRIPTIONS"]
        await refused.close()
        # four live subscriptions, one Redis connection listening for the API process
        [(_, listening)] = await redis.pubsub_numsub(settings.events_channel)
        assert listening == listening_before + 1
        # and every one of them receives an event
        await redis.publish(settings.events_channel, FlagEvent(0, world.projects["pilot"], "RAISED").encode())
        # each subscriber receives its view's version of the flag: the partners', then the admin's
        for audience in ("PARTNERS", "FULL"):
            flag_id = await connection.fetchval(
                "INSERT INTO risk_flags (project_id, reason, severity, explanations, evidence, audience) "
                "VALUES ($1, 'NO_EXIT_PLAN', 'LOW', jsonb_build_object('en', $2::text), '{}', $2::text::flag_audience) RETURNING id",
                world.projects["pilot"],
                audience,
            )
            await redis.publish(settings.events_channel, FlagEvent(flag_id, world.projects["pilot"], "RAISED").encode())
        for socket, audience in zip(sockets, ["PARTNERS"] * 3 + ["FULL"], strict=True):
            event = (await next_event(socket, within=5))["payload"]["data"]["riskFlagChanged"]
            assert (event["reason"], event["explanation"]) == ("NO_EXIT_PLAN", audience)
        # a closed subscription frees its place
        await sockets[0].close()
        await asyncio.sleep(0.3)
        again = await subscribe(url, world.tokens["sme"])
        with pytest.raises(TimeoutError):
            await next_event(again, within=1)  # listening, not refused
        await again.close()
        for socket in sockets[1:]:
            await socket.close()
    finally:
        api.stop()


async def test_a_token_revoked_while_subscribed_receives_no_further_event(
    settings: Settings, connection: asyncpg.Connection, redis, tmp_path: Path
) -> None:
    world = await build_world(connection)
    api, url = start_api(settings, tmp_path / "api.log", PARTNERPULSE_TOKEN_CACHE_SECONDS="0")
    try:
        partner = await subscribe(url, world.tokens["sme"])
        await asyncio.sleep(0.3)
        flag_id = await connection.fetchval(
            "INSERT INTO risk_flags (project_id, reason, severity, explanations, evidence, audience) "
            "VALUES ($1, 'NO_EXIT_PLAN', 'LOW', jsonb_build_object('en', 'x'), '{}', 'PARTNERS') RETURNING id",
            world.projects["pilot"],
        )
        event = FlagEvent(flag_id, world.projects["pilot"], "RAISED").encode()
        await redis.publish(settings.events_channel, event)
        assert (await next_event(partner, within=5))["payload"]["data"]["riskFlagChanged"]["reason"] == "NO_EXIT_PLAN"
        await connection.execute(
            "UPDATE api_tokens SET revoked_at = now() WHERE organization_id = $1", world.organizations["sme"]
        )
        await redis.publish(settings.events_channel, event)
        message = await next_event(partner, within=5)
        errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
        assert [e["extensions"]["code"] for e in errors] == ["UNAUTHENTICATED"]
        assert message["payload"].get("data") is None
        await partner.close()
    finally:
        api.stop()


MALFORMED_MESSAGES = [
    "[1, 2]",
    '{"id": "1", "type": "subscribe", "payload": "x"}',
    '{"id": "1", "type": "subscribe", "payload": {"query": 5}}',
    '{"id": "1", "type": "subscribe", "payload": {"query": "subscription { riskFlagChanged { id } }", "variables": "x"}}',
    '{"id": 1, "type": "subscribe", "payload": {"query": "subscription { riskFlagChanged { id } }"}}',
    '{"type": 7}',
]


async def test_a_malformed_websocket_message_closes_with_4400(
    settings: Settings, connection: asyncpg.Connection, tmp_path: Path
) -> None:
    """graphql-transport-ws: a malformed message closes the socket with 4400, not with an unhandled error."""
    world = await build_world(connection)
    api, url = start_api(settings, tmp_path / "api.log")
    try:
        for message in MALFORMED_MESSAGES:
            socket = await websockets.connect(
                url.replace("http", "ws") + "/graphql", subprotocols=["graphql-transport-ws"]
            )
            await socket.send(
                json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {world.tokens['admin']}"}})
            )
            assert json.loads(await asyncio.wait_for(socket.recv(), 5))["type"] == "connection_ack"
            await socket.send(message)
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(socket.recv(), 5)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4400, message
    finally:
        api.stop()
    assert "Exception in ASGI application" not in api.output()
    assert "Traceback" not in api.output()


async def test_a_websocket_that_never_authenticates_is_closed(settings: Settings, tmp_path: Path) -> None:
    api, url = start_api(settings, tmp_path / "api.log", PARTNERPULSE_WEBSOCKET_INIT_SECONDS="0.5")
    try:
        socket = await websockets.connect(url.replace("http", "ws") + "/graphql", subprotocols=["graphql-transport-ws"])
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), 5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4408
    finally:
        api.stop()


async def test_a_token_revoked_while_its_websocket_is_open_is_refused_and_the_connection_closed(
    settings: Settings, connection: asyncpg.Connection, tmp_path: Path
) -> None:
    """Attack: a WebSocket opened before the revocation kept serving queries and mutations."""
    world = await build_world(connection)
    # the token cache of the API, as over HTTP: a revoked token works at most this much longer
    api, url = start_api(settings, tmp_path / "api.log", PARTNERPULSE_TOKEN_CACHE_SECONDS="0.5")
    viewer = {"query": "{ viewer { role } }"}
    mutation = {
        "query": 'mutation($p: ID!) { setExitPlan(input: {projectId: $p, exitPlan: "after revocation"}) '
        "{ userErrors { code } } }",
        "variables": {"p": world.project_id("pilot")},
    }
    try:
        socket = await connect_ws(url, world.tokens["sme"])
        before = await run_ws(socket, "1", viewer)
        assert before["payload"]["data"] == {"viewer": {"role": "MEMBER"}}
        await connection.execute(
            "UPDATE api_tokens SET revoked_at = now() WHERE organization_id = $1", world.organizations["sme"]
        )
        await asyncio.sleep(0.6)
        await socket.send(json.dumps({"id": "2", "type": "subscribe", "payload": mutation}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:
                message = json.loads(await asyncio.wait_for(socket.recv(), 5))
                assert message["type"] not in ("next", "error"), message
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
    finally:
        api.stop()
    assert (
        await connection.fetchval("SELECT count(*) FROM cooperation_projects WHERE exit_plan = 'after revocation'") == 0
    )
    assert "Traceback" not in api.output()
