"""Fuzzing against the running API (real PostgreSQL and Redis): schemathesis generates queries and
mutations of every root field, hypothesis arbitrary request bodies; neither may produce a 5xx or an
unmasked error."""

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.processes import start_api
from partnerpulse.settings import Settings

pytestmark = pytest.mark.fuzz
# bounded so that the whole suite stays fast; FUZZ_EXAMPLES in the environment raises it
EXAMPLES = int(__import__("os").environ.get("FUZZ_EXAMPLES", "25"))
INTERNALS = ("Traceback", "asyncpg", "SELECT ", "psycopg", 'File "', "object of type", "has no attribute", "NoneType")


@pytest.fixture(scope="module")
def api_url(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log: Path = tmp_path_factory.mktemp("fuzz") / "api.log"
    api, url = start_api(settings.model_copy(update={"rate_limits": False}), log)
    yield url
    api.stop()


@pytest.fixture(scope="module")
def admin_token(api_url: str, settings: Settings) -> str:
    import asyncio

    import asyncpg

    from db.seed import truncate_all
    from tests.world import build_world

    async def make() -> str:
        connection = await asyncpg.connect(settings.database_url)
        try:
            # from empty tables, like every test: the previous test's organizations would clash by name
            await truncate_all(connection)
            world = await build_world(connection)
            return world.tokens["admin"]
        finally:
            await connection.close()

    return asyncio.run(make())


def test_generated_operations_meet_no_server_error(api_url: str, admin_token: str) -> None:
    """Every root field (queries and mutations), EXAMPLES generated operations each, as an admin (the
    widest view); schemathesis' pytest plugin does not load under pytest 9, so hypothesis drives it here."""
    graphql_schema = schemathesis.graphql.from_url(f"{api_url}/graphql")
    tried = 0
    for result in graphql_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case) -> None:
            nonlocal tried
            tried += 1
            response = case.call(headers={"Authorization": f"Bearer {admin_token}"})
            assert response.status_code < 500, (case.body, response.text[:500])
            assert not any(marker in response.text for marker in INTERNALS), (case.body, response.text[:500])
            body = response.json()
            for error in body.get("errors", []) if isinstance(body, dict) else []:
                assert error.get("message") != "Unexpected error.", (case.body, body)

        check()
    print(f"\nfuzzed {tried} generated operations")
    assert tried >= 10


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
QUERIES = st.sampled_from(
    ["{ __typename }", "{ viewer { role } }", "query A { __typename } query B { __typename }", "{"]
)
OPERATION = st.fixed_dictionaries(
    {}, optional={"query": QUERIES | JSON, "variables": JSON, "operationName": JSON, "extensions": JSON}
)


def test_arbitrary_request_bodies_meet_no_server_error(api_url: str, admin_token: str) -> None:
    """What a careless or hostile client may POST or GET: any JSON, operations with fields of any type,
    batches of them. Always a clean answer below 500."""
    tried = 0
    with httpx.Client(base_url=api_url, headers={"Authorization": f"Bearer {admin_token}"}, timeout=10) as client:

        @given(body=JSON | OPERATION | st.lists(OPERATION, max_size=3), as_get=st.booleans())
        @settings(max_examples=EXAMPLES * 8, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(body: object, as_get: bool) -> None:
            nonlocal tried
            tried += 1
            if as_get and isinstance(body, dict):
                params = {k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()}
                response = client.get("/graphql", params=params, headers={"Accept": "application/json"})
            else:
                response = client.post("/graphql", json=body)
            assert response.status_code < 500, (body, response.text[:500])
            assert not any(marker in response.text for marker in INTERNALS), (body, response.text[:500])

        check()
    print(f"\nsent {tried} generated request bodies")
