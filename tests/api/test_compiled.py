"""Compiled execution (schema/compiled.py) answers exactly as graphql-core does.

Two real apps on the same database, one with compiled execution and one without, get the same requests: every
query document of the registry (api/documents.json, whatever it holds) and the benchmark's three, as every
role (admin, moderator, partner, outsider, anonymous), with variables generated from the documents' variable
definitions (real ids of every node type, ids that do not exist or are malformed, page sizes out of range, bad
and real cursors, every enum value), on generated networks with their statistics, flags and suppressed cells.
The response bodies must be equal byte for byte, and the registry's query documents must run compiled.
"""

import gc
import json
import random
from collections.abc import AsyncIterator, Iterator
from datetime import date
from typing import Any

import asyncpg
import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLSchema,
    ListTypeNode,
    NonNullTypeNode,
    OperationDefinitionNode,
    OperationType,
    TypeNode,
    parse,
)
from starlette.applications import Starlette
from strawberry.relay import from_base64, to_base64

from api.app import create_app
from api.documents import TrustedDocuments
from bench.queries import DASHBOARD, DIRECTORY, PROJECT
from db.demo import plan_network
from db.seed import load_network
from db.tokens import create_token
from partnerpulse.settings import Settings
from schema import compiled
from schema.batching import Loader
from schema.context import Context
from schema.ids import organization_global_id
from schema.loaders import Loaders
from schema.pagination import encode_cursor
from workers.bulk import recompute_all
from workers.recompute import thresholds

CASES_PER_DOCUMENT_AND_ROLE = 6
BENCH_DOCUMENTS = [DASHBOARD, PROJECT, DIRECTORY]


def query_documents() -> Iterator[tuple[str, str | None, OperationDefinitionNode]]:
    """(text, operation name, operation) of every query in the registry and the benchmark."""
    texts = [*TrustedDocuments.load().documents.values(), *BENCH_DOCUMENTS]
    for text in dict.fromkeys(texts):
        operations = [d for d in parse(text).definitions if isinstance(d, OperationDefinitionNode)]
        for operation in operations:
            if operation.operation is OperationType.QUERY:
                yield text, operation.name.value if operation.name else None, operation


@pytest.fixture(scope="module")
async def graphql_core_app(settings: Settings) -> AsyncIterator[Starlette]:
    application = create_app(settings.model_copy(update={"compiled_execution": False}))
    async with application.router.lifespan_context(application):
        yield application


async def client_of(application: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://testserver")


def schema_of(application: Starlette) -> GraphQLSchema:
    [route] = [route for route in application.routes if getattr(route, "path", None) == "/graphql"
               and hasattr(getattr(route, "app", None), "app")]  # fmt: skip
    return route.app.app.schema._schema


class Values:
    """Variable values to draw from: real ids of every node type, ids of nothing, malformed ids, cursors."""

    def __init__(self, ids: list[str], schema: GraphQLSchema) -> None:
        self.ids = ids
        self.schema = schema
        self.cursors: list[str | None] = [None, None, "not a cursor", encode_cursor(1), encode_cursor("x", 1)]

    def draw(self, rng: random.Random, type_node: TypeNode) -> Any:
        nullable = not isinstance(type_node, NonNullTypeNode)
        inner = type_node.type if isinstance(type_node, NonNullTypeNode) else type_node
        if nullable and rng.random() < 0.2:
            return None
        if isinstance(inner, ListTypeNode):
            return [self.draw(rng, inner.type) for _ in range(rng.randint(0, 3))]
        name = inner.name.value
        if name == "ID":
            return rng.choice(self.ids)
        if name == "Int":
            return rng.choice([0, 1, 2, 5, 20, 50, 100, -1, 101])
        if name == "String":
            return rng.choice(self.cursors)
        if name == "Boolean":
            return rng.random() < 0.5
        named = self.schema.get_type(name)
        if isinstance(named, GraphQLEnumType):
            return rng.choice(sorted(named.values))
        raise AssertionError(f"no values for variables of type {name}: add them to tests/api/test_compiled.py")

    def learn(self, body: Any) -> None:
        """Real cursors from answers, for later cases."""
        if isinstance(body, dict):
            for key, value in body.items():
                if key == "endCursor" and isinstance(value, str) and value not in self.cursors:
                    self.cursors.append(value)
                self.learn(value)
        elif isinstance(body, list):
            for value in body:
                self.learn(value)


async def network(connection: asyncpg.Connection, seed: int) -> tuple[dict[str, str | None], list[str]]:
    """A generated network with statistics, flags, health and portfolio; tokens by role and ids to ask for."""
    await load_network(connection, plan_network(seed=seed, today=date(2026, 11, 26)))
    await recompute_all(connection, thresholds(Settings()))
    roles = {
        "moderator": "SELECT organization_id FROM project_partners WHERE role = 'MODERATOR' ORDER BY 1 LIMIT 1",
        "partner": "SELECT organization_id FROM project_partners WHERE role = 'PARTNER' ORDER BY 1 LIMIT 1",
        "outsider": "SELECT id FROM organizations o WHERE NOT EXISTS "
        "(SELECT FROM project_partners p WHERE p.organization_id = o.id) ORDER BY 1 LIMIT 1",
    }
    tokens: dict[str, str | None] = {"admin": (await create_token(connection, organization_id=None))[1]}
    for role, sql in roles.items():
        organization = await connection.fetchval(sql)
        assert organization is not None, role
        tokens[role] = (await create_token(connection, organization_id=organization))[1]
    tokens["anonymous"] = None
    ids = [to_base64("CooperationProject", 10**9), "not an id", to_base64("Nothing", 1), to_base64("SurveyRound", "x")]
    # the busiest projects (at risk, with flags and many rounds) and some of everything else
    for project in await connection.fetch(
        "(SELECT project_id AS id FROM project_health ORDER BY risk_rank DESC LIMIT 4) "
        "UNION (SELECT id FROM cooperation_projects WHERE published_at IS NOT NULL LIMIT 2) "
        "UNION (SELECT id FROM cooperation_projects ORDER BY id LIMIT 3)"
    ):
        ids.append(to_base64("CooperationProject", project["id"]))
    for row in await connection.fetch("SELECT DISTINCT ON (kind) id, kind::text FROM organizations ORDER BY kind, id"):
        ids.append(organization_global_id(row["kind"], row["id"]))
    for type_name, table in [("SurveyRound", "survey_rounds"), ("RiskFlag", "risk_flags"),
                             ("ProjectGoal", "project_goals"), ("SurveyResponse", "survey_responses")]:  # fmt: skip
        for row in await connection.fetch(f"SELECT id FROM {table} ORDER BY id LIMIT 2"):
            ids.append(to_base64(type_name, row["id"]))
    return tokens, ids


async def post(client: httpx.AsyncClient, body: dict[str, Any], token: str | None) -> httpx.Response:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return await client.post("/graphql", json=body, headers=headers)


@pytest.mark.parametrize("seed", [3, 17])
async def test_compiled_answers_are_graphql_cores_byte_for_byte(
    app: Starlette, graphql_core_app: Starlette, connection: asyncpg.Connection, seed: int
) -> None:
    tokens, ids = await network(connection, seed)
    values = Values(ids, schema_of(app))
    rng = random.Random(seed)
    compared, with_errors, with_nulls = 0, 0, 0
    async with await client_of(app) as compiled_client, await client_of(graphql_core_app) as core_client:
        for text, operation_name, operation in query_documents():
            for role, token in tokens.items():
                for _ in range(CASES_PER_DOCUMENT_AND_ROLE):
                    variables = {
                        definition.variable.name.value: values.draw(rng, definition.type)
                        for definition in operation.variable_definitions or ()
                    }
                    body = {"query": text, "operationName": operation_name, "variables": variables}
                    expected = await post(core_client, body, token)
                    answer = await post(compiled_client, body, token)
                    assert answer.status_code == expected.status_code
                    assert answer.content == expected.content, (role, variables, text)
                    decoded = json.loads(answer.content)
                    values.learn(decoded)
                    compared += 1
                    with_errors += "errors" in decoded
                    with_nulls += b":null" in answer.content
    # the generated cases did reach errors and nulls (and the documents were not all refused)
    assert with_errors > compared // 20 and with_nulls > compared // 4 and with_errors < compared, (
        compared, with_errors, with_nulls,
    )  # fmt: skip


async def test_the_query_documents_run_compiled(app: Starlette, connection: asyncpg.Connection) -> None:
    """A schema or planner change must not send the frontends' documents back to graphql-core unnoticed."""
    _, token = await create_token(connection, organization_id=None)
    schema = schema_of(app)
    async with await client_of(app) as client:
        for text, operation_name, operation in query_documents():
            variables = {d.variable.name.value: Values([to_base64("Nothing", 1)], schema).draw(random.Random(1), d.type)
                         for d in operation.variable_definitions or ()}  # fmt: skip
            await post(client, {"query": text, "operationName": operation_name, "variables": variables}, token)
            assert compiled.status(schema, text, operation_name) == "compiled", text
    # @skip and @include are planned per value of their variables; what plans do not cover runs on graphql-core
    cases = [("{ __typename viewer { role } }", {}, "graphql-core"), ("{ __schema { queryType { name } } }", {}, "graphql-core"),
             ("query($s: Boolean!) { viewer { role @skip(if: $s) } }", {"s": False}, "compiled")]  # fmt: skip
    for document, variables, engine in cases:
        async with await client_of(app) as client:
            response = await post(client, {"query": document, "variables": variables}, token)
        assert response.status_code == 200 and "errors" not in response.json()
        assert compiled.status(schema, document) == engine


async def test_a_compiled_request_leaves_no_cyclic_garbage(app: Starlette, connection: asyncpg.Connection) -> None:
    """Once answered, a request's objects (executor, context, loaders, rows) are freed by reference counting:
    a reference cycle among them left them all to the cyclic collector, a tenth of a page's CPU."""
    tokens, ids = await network(connection, 5)
    project = next(i for i in ids[4:] if from_base64(i)[0] == "CooperationProject")  # ids[:4]: of nothing
    bodies = [{"query": DASHBOARD}, {"query": DIRECTORY}, {"query": PROJECT, "variables": {"id": project}}]

    def alive() -> int:
        return sum(isinstance(o, compiled.CompiledExecutor | Context | Loaders | Loader) for o in gc.get_objects())

    async with await client_of(app) as client:
        for body in bodies:  # plans made, caches warm
            assert "errors" not in (await post(client, body, tokens["admin"])).json()
        gc.collect()
        before = alive()
        gc.disable()
        try:
            for role in ("admin", "moderator", "partner"):  # an error's traceback is a cycle: not these
                for body in bodies:
                    assert "errors" not in (await post(client, body, tokens[role])).json()
            left = alive() - before
        finally:
            gc.enable()
    assert left == 0, f"{left} executors, contexts or loaders of finished requests wait for the cyclic collector"
