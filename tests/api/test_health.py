import httpx
import pytest

from api.app import create_app
from partnerpulse.embedded import free_port
from partnerpulse.settings import Settings
from tests.helpers.serving import serve_once


@pytest.mark.smoke
async def test_healthz_and_readyz_when_everything_answers(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "checks": {"postgres": "ok", "redis": "ok"}}


async def test_readyz_fails_when_redis_is_unreachable(settings: Settings) -> None:
    unreachable = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"})
    response = await serve_once(create_app(unreachable), "/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["postgres"] == "ok"
    assert body["checks"]["redis"].startswith("unavailable")
    # the process itself is alive
    assert (await serve_once(create_app(unreachable), "/healthz")).status_code == 200


async def test_readyz_fails_when_migrations_are_pending(settings: Settings, fresh_database: str) -> None:
    unmigrated = settings.model_copy(update={"database_url": fresh_database})
    response = await serve_once(create_app(unmigrated), "/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["postgres"].startswith("pending migrations: 0001")


async def test_every_response_carries_a_request_id(client: httpx.AsyncClient) -> None:
    generated = await client.get("/healthz")
    assert len(generated.headers["x-request-id"]) == 32
    passed_on = await client.get("/healthz", headers={"X-Request-ID": "frontend-42"})
    assert passed_on.headers["x-request-id"] == "frontend-42"
    # a header that could forge log lines is replaced
    forged = await client.get("/healthz", headers={"X-Request-ID": "a\tb c"})
    assert forged.headers["x-request-id"] != "a\tb c"


async def test_graphiql_is_served_to_browsers_and_can_be_switched_off(settings: Settings) -> None:
    html = await serve_once(create_app(settings), "/graphql")
    assert html.status_code == 200 and "graphiql" in html.text.lower()
    off = await serve_once(create_app(settings.model_copy(update={"graphiql": False})), "/graphql")
    assert off.status_code == 404
