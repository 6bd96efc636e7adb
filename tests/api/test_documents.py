"""Trusted documents (api/documents.py) over HTTP and WebSocket: `documentId` by POST and GET, GET's private
caching (ETag, 304, Vary), unknown ids, and the trusted-documents-only mode."""

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
import websockets
from starlette.applications import Starlette

from api.app import create_app
from api.documents import REGISTRY, TrustedDocuments, collect, document_id, render, string_literals
from bench.processes import start_api
from partnerpulse.settings import Settings
from tests.world import World, build_world

VIEWER = "{ viewer { role organization { id name } } }"  # the dashboard's first request
ARBITRARY = "{ viewer { role } }"  # in no frontend
GRAPHQL_RESPONSE = "application/graphql-response+json"


@pytest.fixture
async def world(connection: asyncpg.Connection) -> World:
    return await build_world(connection)


@pytest.fixture(scope="module")
async def trusted_only_app(settings: Settings) -> AsyncIterator[Starlette]:
    application = create_app(settings.model_copy(update={"trusted_documents_only": True}))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def trusted_only(trusted_only_app: Starlette, pool: asyncpg.Pool) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=trusted_only_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_the_committed_registry_is_current() -> None:
    """api/documents.json must hold exactly the documents of the dashboard and the API guide (docs/api.md): after changing
    either, run `partnerpulse documents --write`."""
    assert REGISTRY.read_text() == render(collect()), "run `partnerpulse documents --write`"


def test_the_registry_holds_every_dashboard_document() -> None:
    registry = collect()
    dashboard = [entry["document"] for entry in registry.values() if entry["source"] == "dashboard"]
    script = (Path(REGISTRY).parent / "dashboard" / "app.js").read_text()
    for name in ("query Portfolio(", "query AtRisk(", "query Project(", "query Organization(", "subscription {"):
        assert any(document.startswith(name) for document in dashboard), name
        assert name in script
    assert VIEWER in dashboard
    assert sum(entry["source"] == "docs/api.md" for entry in registry.values()) >= 6
    assert all(key == document_id(entry["document"]) for key, entry in registry.items())


def test_string_literals_are_not_confused_by_backticks_in_quotes() -> None:
    script = "const a = \"run `x`\"; // `not this`\nconst B = `query Q { a }`; f(`${b}`, 'it\\'s');"
    assert string_literals(script) == ["run `x`", "query Q { a }", "it's"]


async def test_post_with_a_document_id_runs_the_registered_document(client: httpx.AsyncClient, world: World) -> None:
    by_text = await client.post("/graphql", json={"query": VIEWER}, headers=bearer(world.tokens["sme"]))
    by_id = await client.post("/graphql", json={"documentId": document_id(VIEWER)}, headers=bearer(world.tokens["sme"]))
    assert by_id.status_code == 200
    assert by_id.json() == by_text.json()
    assert by_id.json()["data"]["viewer"]["organization"]["name"]
    batch = await client.post(
        "/graphql", json=[{"documentId": document_id(VIEWER)}, {"query": VIEWER}], headers=bearer(world.tokens["sme"])
    )
    assert batch.json() == [by_text.json(), by_text.json()]


async def test_get_with_a_document_id_is_privately_cacheable(client: httpx.AsyncClient, world: World) -> None:
    params = {"documentId": document_id(VIEWER)}
    first = await client.get("/graphql", params=params, headers=bearer(world.tokens["sme"]))
    assert first.status_code == 200
    assert first.json()["data"]["viewer"]["role"] == "MEMBER"
    assert first.headers["cache-control"] == "private, no-cache"
    assert "Authorization" in first.headers["vary"]
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')

    again = await client.get("/graphql", params=params, headers={**bearer(world.tokens["sme"]), "If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag and again.headers["cache-control"] == "private, no-cache"

    # another token gets its own answer: the first one's ETag does not match it
    other = await client.get(
        "/graphql", params=params, headers={**bearer(world.tokens["admin"]), "If-None-Match": etag}
    )
    assert other.status_code == 200
    assert other.json()["data"]["viewer"]["role"] == "ADMIN"
    assert other.headers["etag"] != etag

    # variables by GET, as JSON in the query string
    project = await client.get(
        "/graphql",
        params={"documentId": document_id(collect_document("query Organization(")),
                "variables": json.dumps({"id": world.org_id("sme")})},
        headers=bearer(world.tokens["sme"]),
    )  # fmt: skip
    assert project.status_code == 200 and "errors" not in project.json(), project.json()
    assert project.json()["data"]["node"]["name"]


def collect_document(prefix: str) -> str:
    [document] = [e["document"] for e in collect().values() if e["document"].startswith(prefix)]
    return document


async def test_post_answers_carry_no_validators(client: httpx.AsyncClient, world: World) -> None:
    response = await client.post(
        "/graphql", json={"documentId": document_id(VIEWER)}, headers=bearer(world.tokens["sme"])
    )
    assert "etag" not in response.headers


@pytest.mark.parametrize("method", ["POST", "GET"])
async def test_an_unknown_document_id_is_a_request_error(
    client: httpx.AsyncClient, world: World, method: str, connection: asyncpg.Connection
) -> None:
    unknown = document_id(ARBITRARY + " ")
    for accept in ("application/json", GRAPHQL_RESPONSE):
        headers = {**bearer(world.tokens["sme"]), "Accept": accept}
        if method == "POST":
            response = await client.post("/graphql", json={"documentId": unknown}, headers=headers)
        else:
            response = await client.get("/graphql", params={"documentId": unknown}, headers=headers)
        assert response.status_code == 400
        body = response.json()
        assert "data" not in body
        assert [e["extensions"]["code"] for e in body["errors"]] == ["PERSISTED_DOCUMENT_NOT_FOUND"]
        assert unknown in body["errors"][0]["message"]


async def test_query_and_document_id_together_are_refused(client: httpx.AsyncClient, world: World) -> None:
    response = await client.post(
        "/graphql", json={"query": VIEWER, "documentId": document_id(VIEWER)}, headers=bearer(world.tokens["sme"])
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    malformed = await client.post("/graphql", json={"documentId": 7}, headers=bearer(world.tokens["sme"]))
    assert malformed.status_code == 400


async def test_arbitrary_documents_run_by_default(client: httpx.AsyncClient, world: World) -> None:
    response = await client.post("/graphql", json={"query": ARBITRARY}, headers=bearer(world.tokens["sme"]))
    assert response.status_code == 200 and response.json()["data"] == {"viewer": {"role": "MEMBER"}}


async def test_trusted_documents_only_refuses_other_documents(
    trusted_only: httpx.AsyncClient, world: World, connection: asyncpg.Connection
) -> None:
    headers = bearer(world.tokens["sme"])
    for response in (
        await trusted_only.post("/graphql", json={"query": ARBITRARY}, headers=headers),
        await trusted_only.get("/graphql", params={"query": ARBITRARY}, headers=headers),
        await trusted_only.post("/graphql", json=[{"query": VIEWER}, {"query": ARBITRARY}], headers=headers),
        # a mutation outside the registry is refused before anything runs
        await trusted_only.post(
            "/graphql",
            json={"query": 'mutation { setExitPlan(input: {projectId: "x", exitPlan: "y"}) { userErrors { code } } }'},
            headers=headers,
        ),
    ):
        assert response.status_code == 400, response.text
        body = response.json()
        assert "data" not in body
        assert body["errors"][0]["extensions"]["code"] == "TRUSTED_DOCUMENT_REQUIRED"
        assert "trusted documents only" in body["errors"][0]["message"]

    # the registered documents run: by id (POST and GET), and as exactly their text (the dashboard sends that)
    by_id = await trusted_only.post("/graphql", json={"documentId": document_id(VIEWER)}, headers=headers)
    by_get = await trusted_only.get("/graphql", params={"documentId": document_id(VIEWER)}, headers=headers)
    by_text = await trusted_only.post("/graphql", json={"query": VIEWER}, headers=headers)
    for response in (by_id, by_get, by_text):
        assert response.status_code == 200 and response.json()["data"]["viewer"]["role"] == "MEMBER"


def test_trusted_documents_only_accepts_each_registered_text() -> None:
    registry = collect()
    documents = TrustedDocuments({key: entry["document"] for key, entry in registry.items()}, only=True)
    for entry in registry.values():
        assert documents.resolve({"query": entry["document"]}) == {"query": entry["document"]}


async def test_websocket_subscriptions_by_document_id_and_trusted_only(
    settings: Settings, connection: asyncpg.Connection, tmp_path: Path
) -> None:
    """graphql-transport-ws: a subscribe may name its document by `documentId`; with trusted documents only,
    another document is answered with an `error` message for that subscription (the socket stays open)."""
    world = await build_world(connection)
    [subscription] = [
        e["document"]
        for e in collect().values()
        if e["source"] == "dashboard" and e["document"].startswith("subscription")
    ]
    api, url = start_api(settings, tmp_path / "api.log", PARTNERPULSE_TRUSTED_DOCUMENTS_ONLY="true")
    try:
        socket = await websockets.connect(url.replace("http", "ws") + "/graphql", subprotocols=["graphql-transport-ws"])
        await socket.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {world.tokens['admin']}"}})
        )
        assert json.loads(await asyncio.wait_for(socket.recv(), 5))["type"] == "connection_ack"
        await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": ARBITRARY}}))
        refused = json.loads(await asyncio.wait_for(socket.recv(), 5))
        assert refused["id"] == "1" and refused["type"] == "error"
        assert refused["payload"][0]["extensions"]["code"] == "TRUSTED_DOCUMENT_REQUIRED"
        await socket.send(json.dumps({"id": "2", "type": "subscribe", "payload": {"documentId": "sha256:00"}}))
        unknown = json.loads(await asyncio.wait_for(socket.recv(), 5))
        assert unknown["id"] == "2" and unknown["payload"][0]["extensions"]["code"] == "PERSISTED_DOCUMENT_NOT_FOUND"
        # the registered subscription is accepted by id: it stays open, silently, until completed
        await socket.send(
            json.dumps({"id": "3", "type": "subscribe", "payload": {"documentId": document_id(subscription)}})
        )
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(socket.recv(), 1)
        await socket.send(json.dumps({"type": "ping"}))
        assert json.loads(await asyncio.wait_for(socket.recv(), 5))["type"] == "pong"
        await socket.close()
    finally:
        api.stop()
    assert "Traceback" not in api.output()
