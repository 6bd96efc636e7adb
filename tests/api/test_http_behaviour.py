import logging

import asyncpg
import httpx

from api.app import create_app
from db.tokens import create_token
from partnerpulse.settings import Settings
from tests.helpers import graphql
from tests.world import build_world


async def test_an_invalid_token_is_refused_with_401(client: httpx.AsyncClient) -> None:
    for header in ("Bearer pp_forged", "Bearer ", "Basic dXNlcjpwYXNz"):
        response = await client.post(
            "/graphql", json={"query": "{ marketplace { totalCount } }"}, headers={"Authorization": header}
        )
        assert response.status_code == 401, header
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert response.headers["www-authenticate"].startswith("Bearer")


async def test_queries_may_come_as_get_mutations_only_as_post(
    client: httpx.AsyncClient, connection: asyncpg.Connection
) -> None:
    world = await build_world(connection)
    headers = {"Authorization": f"Bearer {world.tokens['admin']}"}
    get = await client.get("/graphql", params={"query": "{ viewer { role } }"}, headers=headers)
    assert get.json()["data"] == {"viewer": {"role": "ADMIN"}}
    project_id = world.project_id("pilot")
    mutation = f'mutation {{ setExitPlan(input: {{projectId: "{project_id}", exitPlan: "via GET"}}) {{ userErrors {{ code }} }} }}'
    refused = await client.get("/graphql", params={"query": mutation}, headers=headers)
    # GraphQL over HTTP: 405 Method Not Allowed, and the mutation does not run
    assert refused.status_code == 405 and refused.headers["allow"] == "POST"
    assert await connection.fetchval("SELECT count(*) FROM cooperation_projects WHERE exit_plan = 'via GET'") == 0
    other_method = await client.put("/graphql", json={"query": "{ viewer { role } }"}, headers=headers)
    assert other_method.status_code == 405 and {"GET", "POST"} <= set(other_method.headers["allow"].split(", "))


async def test_internal_errors_are_masked_and_logged_with_the_request_id(
    client: httpx.AsyncClient, connection: asyncpg.Connection, caplog
) -> None:
    world = await build_world(connection)
    # break the database under the API: the directory query now fails inside PostgreSQL
    await connection.execute("ALTER TABLE organizations RENAME COLUMN city TO city_moved")
    try:
        with caplog.at_level(logging.INFO):
            response = await client.post(
                "/graphql",
                json={"query": "{ organizations { edges { node { name } } } }"},
                headers={"Authorization": f"Bearer {world.tokens['admin']}", "X-Request-ID": "trace-me-42"},
            )
    finally:
        await connection.execute("ALTER TABLE organizations RENAME COLUMN city_moved TO city")
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["message"] == "Unexpected error."
    assert "city" not in response.text and "SELECT" not in response.text and "Traceback" not in response.text
    failures = [r for r in caplog.records if r.getMessage() == "resolver failed"]
    assert failures and failures[0].exc_info is not None
    assert "city" in str(failures[0].exc_info[1])
    assert response.headers["x-request-id"] == "trace-me-42"


async def test_token_use_is_recorded_in_batches_not_per_request(
    app, client: httpx.AsyncClient, connection: asyncpg.Connection, pool: asyncpg.Pool
) -> None:
    await app.state.token_usage.flush(pool)  # start from an empty batch (ids restart with every test)
    token_id, token = await create_token(connection, organization_id=None)
    for _ in range(5):
        assert (await graphql(client, "{ viewer { role } }", token=token)).status_code == 200
    assert await connection.fetchval("SELECT last_used_at FROM api_tokens WHERE id = $1", token_id) is None
    assert await app.state.token_usage.flush(pool) == 1
    assert await connection.fetchval("SELECT last_used_at FROM api_tokens WHERE id = $1", token_id) is not None


async def test_the_operation_name_appears_in_the_request_log(client: httpx.AsyncClient, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="partnerpulse.request"):
        await client.post("/graphql", json={"query": "query StoriesPage { marketplace { totalCount } }"})
    [record] = [r for r in caplog.records if r.getMessage() == "request"]
    assert record.operation == "StoriesPage"


async def test_graphql_response_json_status_codes(client: httpx.AsyncClient) -> None:
    """GraphQL over HTTP: with application/graphql-response+json a document that does not parse or
    validate is a 400 without `data`; with application/json it stays 200."""
    modern = {"Accept": "application/graphql-response+json"}
    broken = await client.post("/graphql", json={"query": "{ marketplace { "}, headers=modern)
    assert broken.status_code == 400 and "data" not in broken.json()
    invalid = await client.post("/graphql", json={"query": "{ noSuchField }"}, headers=modern)
    assert invalid.status_code == 400 and "data" not in invalid.json()
    assert invalid.headers["content-type"].startswith("application/graphql-response+json")
    fine = await client.post("/graphql", json={"query": "{ marketplace { totalCount } }"}, headers=modern)
    assert fine.status_code == 200 and fine.json()["data"]["marketplace"]["totalCount"] == 0
    legacy = await client.post("/graphql", json={"query": "{ noSuchField }"}, headers={"Accept": "application/json"})
    # a request error never reached execution: no `data` entry in either media type (GraphQL spec 7.1.2)
    assert legacy.status_code == 200 and legacy.json()["errors"] and "data" not in legacy.json()


async def test_a_document_with_several_operations_needs_an_operation_name(client: httpx.AsyncClient) -> None:
    """The GraphQL spec's GetOperation: without operationName, several operations are a request error
    (strawberry on its own would run the first)."""
    document = "query Stories { marketplace { totalCount } } query Kind { __typename }"
    modern = {"Accept": "application/graphql-response+json"}
    ambiguous = await client.post("/graphql", json={"query": document}, headers=modern)
    assert ambiguous.status_code == 400 and "data" not in ambiguous.json()
    assert "operationName" in ambiguous.json()["errors"][0]["message"]
    chosen = await client.post("/graphql", json={"query": document, "operationName": "Kind"}, headers=modern)
    assert chosen.status_code == 200 and chosen.json()["data"] == {"__typename": "Query"}


async def test_cors_lets_the_configured_origins_in_and_no_others(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"cors_origins": ["https://dashboard.example"]}))
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            allowed = await client.options("/graphql", headers={"Origin": "https://dashboard.example", **preflight})
            other = await client.options("/graphql", headers={"Origin": "https://evil.example", **preflight})
            answer = await client.post(
                "/graphql", json={"query": "{ __typename }"}, headers={"Origin": "https://dashboard.example"}
            )
            too_large = await client.post(
                "/graphql",
                content=b'{"query": "' + b" " * (settings.max_body_bytes + 10) + b'{ __typename }"}',
                headers={"Origin": "https://dashboard.example", "Content-Type": "application/json"},
            )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://dashboard.example"
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-origin" not in other.headers
    assert answer.headers["access-control-allow-origin"] == "https://dashboard.example"
    # a browser frontend may read Retry-After (429) and the request id (to report a problem)
    assert {"retry-after", "x-request-id"} <= set(answer.headers["access-control-expose-headers"].lower().split(", "))
    # the body limit's answer reaches the frontend as a 413, not as an opaque CORS failure
    assert too_large.status_code == 413
    assert too_large.headers["access-control-allow-origin"] == "https://dashboard.example"


async def test_malformed_bodies_are_400_never_500(client: httpx.AsyncClient) -> None:
    for body in (
        '"text"',
        "null",
        "42",
        "[]",
        "[1]",
        '[{"query": 5}]',
        '[{"query": "{ __typename }", "variables": "x"}]',
        '{"query": "{ __typename }", "operationName": 7}',
    ):
        response = await client.post("/graphql", content=body, headers={"Content-Type": "application/json"})
        assert response.status_code == 400, (body, response.status_code, response.text)
        assert "len()" not in response.text and "Traceback" not in response.text
    # well-formed batches still work
    batch = await client.post(
        "/graphql", json=[{"query": "{ __typename }"}, {"query": "{ marketplace { totalCount } }"}]
    )
    assert batch.status_code == 200 and [r["data"] for r in batch.json()] == [
        {"__typename": "Query"},
        {"marketplace": {"totalCount": 0}},
    ]


async def test_a_subscription_over_http_is_a_client_error_naming_the_websocket_protocol(
    client: httpx.AsyncClient, connection: asyncpg.Connection, caplog
) -> None:
    world = await build_world(connection)
    headers = {"Authorization": f"Bearer {world.tokens['admin']}"}
    subscription = "subscription { riskFlagChanged { reason } }"
    with caplog.at_level(logging.INFO):
        post = await client.post("/graphql", json={"query": subscription}, headers=headers)
        get = await client.get("/graphql", params={"query": subscription}, headers=headers)
        strict = await client.post(
            "/graphql",
            json={"query": subscription},
            headers={**headers, "Accept": "application/graphql-response+json"},
        )
    for response in (post, get, strict):
        [error] = response.json()["errors"]
        assert error["extensions"]["code"] == "BAD_REQUEST"
        assert "graphql-transport-ws" in error["message"] and "WebSocket" in error["message"]
        assert "data" not in response.json()  # a request error: nothing was executed
    assert strict.status_code == 400
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
