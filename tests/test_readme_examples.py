"""The GraphQL examples of the README are what a frontend developer copies first: each must validate
against the schema, and each query must run on the demo network without an error."""

import re
from datetime import date
from pathlib import Path

import asyncpg
import httpx
import pytest
from graphql import OperationDefinitionNode, OperationType, parse, validate

from bench.generator import plan_network
from db.seed import load_network
from db.tokens import create_token
from partnerpulse.settings import Settings
from schema import schema
from tests.helpers import gql
from workers.bulk import recompute_all
from workers.recompute import thresholds

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
# one document per paragraph of a ```graphql block (a block may show several operations)
DOCUMENTS = [
    document.strip()
    for block in re.findall(r"```graphql\n(.*?)```", README, flags=re.S)
    for document in block.split("\n\n")
    if document.strip()
]


def test_the_readme_has_its_examples() -> None:
    assert len(DOCUMENTS) >= 6


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda d: " ".join(d.split())[:40])
def test_every_readme_example_validates(document: str) -> None:
    assert validate(schema._schema, parse(document)) == []


async def test_every_readme_query_runs_on_the_demo_network(
    settings: Settings, connection: asyncpg.Connection, client: httpx.AsyncClient
) -> None:
    await load_network(connection, plan_network(seed=42, scale=1, today=date.today()))
    await recompute_all(connection, thresholds(settings))
    _, admin = await create_token(connection, organization_id=None, label="readme")
    member_of = await connection.fetchval("SELECT organization_id FROM project_partners WHERE role = 'PARTNER' LIMIT 1")
    _, member = await create_token(connection, organization_id=member_of, label="readme")
    project = (await gql(client, "{ cooperationProjects(first: 1) { edges { node { id } } } }", token=admin))[
        "cooperationProjects"
    ]["edges"][0]["node"]["id"]
    ran = 0
    for document in DOCUMENTS:
        [operation] = [d for d in parse(document).definitions if isinstance(d, OperationDefinitionNode)]
        if operation.operation is not OperationType.QUERY:
            continue
        variables = {"id": project, "after": None}
        for token in (admin, member):
            await gql(client, document, variables, token)  # fails on any GraphQL error
        ran += 1
    assert ran >= 4
