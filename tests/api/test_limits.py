"""Abuse limits: each answers with a clear error before any resolver runs, and changes nothing."""

import asyncio

import asyncpg
import httpx
import pytest
from starlette.applications import Starlette

from api.app import create_app
from partnerpulse.settings import Settings
from tests.helpers import graphql
from tests.world import build_world


async def post(app: Starlette, body: object, token: str | None = None, **kwargs) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.post("/graphql", json=body, headers=headers, **kwargs)


def codes(response: httpx.Response) -> list[str]:
    return [e.get("extensions", {}).get("code", e["message"]) for e in response.json()["errors"]]


async def test_deep_nesting_is_refused(client: httpx.AsyncClient, connection: asyncpg.Connection) -> None:
    world = await build_world(connection)
    nested = "projects { edges { node { partners { organization { " * 4 + "name" + " } } } } }" * 4
    for _ in range(2):  # the second time from the validation cache: refused all the same
        response = await graphql(client, "{ viewer { organization { " + nested + " } } }", token=world.tokens["sme"])
        body = response.json()
        assert "data" not in body and "exceeds maximum operation depth" in body["errors"][0]["message"]


async def test_alias_floods_and_token_floods_are_refused(
    client: httpx.AsyncClient, connection: asyncpg.Connection
) -> None:
    world = await build_world(connection)
    aliases = " ".join(f"a{i}: viewer {{ role }}" for i in range(31))
    body = (await graphql(client, "{ " + aliases + " }", token=world.tokens["sme"])).json()
    assert "data" not in body and "aliases" in body["errors"][0]["message"]
    tokens = "{ viewer { " + "role " * 3001 + "} }"
    body = (await graphql(client, tokens, token=world.tokens["sme"])).json()
    assert "data" not in body and "token" in body["errors"][0]["message"].lower()


async def test_query_cost_is_reported_and_a_query_over_budget_is_refused(
    client: httpx.AsyncClient, connection: asyncpg.Connection
) -> None:
    world = await build_world(connection)
    fine = "{ organizations(first: 100) { edges { node { projects(first: 50) { edges { node { title } } } } } } }"
    body = (await graphql(client, fine, token=world.tokens["admin"])).json()
    assert body["extensions"]["cost"] == {"requestedNodes": 5100, "budget": 10000}
    assert len(body["data"]["organizations"]["edges"]) == 4
    costly = """query($n: Int) { organizations(first: 100) { edges { node {
        projects(first: $n) { edges { node { partners { organization { projects(first: 100) { totalCount } } } } } } } } } }"""
    before = await connection.fetchval("SELECT count(*) FROM api_tokens WHERE last_used_at IS NOT NULL")
    response = await graphql(client, costly, {"n": 100}, token=world.tokens["admin"])
    assert "data" not in response.json() and codes(response) == ["QUERY_TOO_COSTLY"]
    assert "1010100 objects" in response.json()["errors"][0]["message"]
    assert await connection.fetchval("SELECT count(*) FROM api_tokens WHERE last_used_at IS NOT NULL") == before


async def test_a_huge_page_is_refused(client: httpx.AsyncClient, connection: asyncpg.Connection) -> None:
    world = await build_world(connection)
    response = await graphql(client, "{ organizations(first: 1000000) { totalCount } }", token=world.tokens["sme"])
    assert codes(response) == ["BAD_USER_INPUT"]


async def test_body_size_limit(settings: Settings, connection: asyncpg.Connection) -> None:
    app = create_app(settings.model_copy(update={"max_body_bytes": 1000}))
    response = await post(app, {"query": "{ marketplace { totalCount } }", "variables": {"pad": "x" * 2000}})
    assert response.status_code == 413 and codes(response) == ["TOO_LARGE"]
    fine = await post(app, {"query": "{ marketplace { totalCount } }"})
    assert fine.status_code == 200


async def test_batches_are_limited_in_count(settings: Settings, connection: asyncpg.Connection) -> None:
    app = create_app(settings.model_copy(update={"max_batch_operations": 3}))
    three = await post(app, [{"query": "{ marketplace { totalCount } }"}] * 3)
    assert three.status_code == 200 and len(three.json()) == 3
    four = await post(app, [{"query": "{ marketplace { totalCount } }"}] * 4)
    assert four.status_code == 400 and "Too many operations" in four.text


async def test_introspection_can_be_switched_off(settings: Settings) -> None:
    query = {"query": "{ __schema { queryType { name } } }"}
    on = await post(create_app(settings), query)
    assert on.json()["data"]["__schema"]["queryType"]["name"] == "Query"
    off = await post(create_app(settings.model_copy(update={"introspection": False})), query)
    assert off.json().get("data") is None and "introspection" in off.json()["errors"][0]["message"].lower()


async def test_a_slow_statement_is_stopped_and_answered_as_busy(
    settings: Settings, connection: asyncpg.Connection
) -> None:
    """A statement that runs past the statement timeout ends with a clean error; the server goes on."""
    world = await build_world(connection)
    app = create_app(settings.model_copy(update={"db_statement_timeout_ms": 50}))
    # make the directory query slow inside PostgreSQL: a lock held by this test's transaction
    async with connection.transaction():
        await connection.execute("LOCK TABLE organizations IN ACCESS EXCLUSIVE MODE")
        response = await post(app, {"query": "{ organizations { totalCount } }"}, token=world.tokens["admin"])
    assert response.status_code == 200
    assert codes(response) == ["SERVICE_BUSY"]
    assert "cancel" not in response.text.lower() and "statement" not in response.text.lower()


async def test_the_request_deadline_answers_504(settings: Settings, connection: asyncpg.Connection) -> None:
    world = await build_world(connection)
    app = create_app(
        settings.model_copy(update={"request_timeout": 0.2, "db_statement_timeout_ms": 0, "db_command_timeout": 30.0})
    )
    async with connection.transaction():
        await connection.execute("LOCK TABLE organizations IN ACCESS EXCLUSIVE MODE")
        response = await post(app, {"query": "{ organizations { totalCount } }"}, token=world.tokens["admin"])
    assert response.status_code == 504 and codes(response) == ["TIMEOUT"]


@pytest.mark.parametrize("first", [-1, 101])
async def test_page_size_bounds_on_nested_connections(
    client: httpx.AsyncClient, connection: asyncpg.Connection, first: int
) -> None:
    world = await build_world(connection)
    query = "query($f: Int) { viewer { organization { projects(first: $f) { totalCount } } } }"
    assert codes(await graphql(client, query, {"f": first}, token=world.tokens["sme"])) == ["BAD_USER_INPUT"]


async def test_a_busy_pool_answers_503_quickly_instead_of_hanging(
    settings: Settings, connection: asyncpg.Connection
) -> None:
    world = await build_world(connection)
    app = create_app(
        settings.model_copy(update={"db_pool_min_size": 1, "db_pool_max_size": 1, "db_acquire_timeout": 0.3})
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            async with app.state.pool.acquire():  # someone holds the only connection
                started = asyncio.get_running_loop().time()
                busy = await client.post(
                    "/graphql",
                    json={"query": "{ viewer { role } }"},
                    headers={"Authorization": f"Bearer {world.tokens['sme']}"},
                )
                waited = asyncio.get_running_loop().time() - started
            free = await client.post(
                "/graphql",
                json={"query": "{ viewer { role } }"},
                headers={"Authorization": f"Bearer {world.tokens['sme']}"},
            )
    assert busy.status_code == 503 and codes(busy) == ["SERVICE_UNAVAILABLE"] and busy.headers["retry-after"] == "1"
    assert waited < 2
    assert free.status_code == 200


async def test_nul_characters_are_a_clear_error_everywhere(
    client: httpx.AsyncClient, connection: asyncpg.Connection
) -> None:
    """Found by the fuzzer: PostgreSQL cannot store U+0000; it used to surface as an internal error."""
    import base64
    import json

    world = await build_world(connection)
    before = await connection.fetchval("SELECT count(*) FROM organizations")
    cases = [
        ("query($s: String) { organizations(search: $s) { totalCount } }", {"s": "a\u0000b"}),
        ('{ organizations(industry: "a\\u0000b") { totalCount } }', {}),
        (
            "mutation($i: CreateOrganizationInput!) { createOrganization(input: $i) { userErrors { code } } }",
            {"i": {"name": "x\u0000", "kind": "SME", "industry": "a", "city": "b", "country": "DE"}},
        ),
    ]
    for query, variables in cases:
        assert codes(await graphql(client, query, variables, token=world.tokens["admin"])) == ["BAD_USER_INPUT"]
    forged_cursor = base64.urlsafe_b64encode(json.dumps(["a\u0000", 1]).encode()).decode()
    response = await graphql(
        client,
        "query($a: String) { organizations(after: $a) { totalCount } }",
        {"a": forged_cursor},
        token=world.tokens["admin"],
    )
    assert codes(response) == ["BAD_USER_INPUT"]
    assert await connection.fetchval("SELECT count(*) FROM organizations") == before
