"""Mutation documents and the check that a refused mutation changed nothing."""

import asyncpg
import httpx

from tests.helpers import ERRORS, gql

CREATE_ORG = f"""mutation($input: CreateOrganizationInput!) {{
  createOrganization(input: $input) {{ organization {{ id name kind country ... on Startup {{ fundingStage }} }} {ERRORS} }} }}"""


UPDATE_ORG = f"""mutation($input: UpdateOrganizationInput!) {{
  updateOrganization(input: $input) {{ organization {{ name city website description }} {ERRORS} }} }}"""


ADVANCE = f"""mutation($input: AdvanceProjectPhaseInput!) {{
  advanceProjectPhase(input: $input) {{ cooperationProject {{ phase }} {ERRORS} }} }}"""


SNAPSHOT_TABLES = [
    "organizations",
    "cooperation_projects",
    "project_partners",
    "project_invitations",
    "project_goals",
    "project_phase_changes",
]


async def refused(
    client: httpx.AsyncClient, connection: asyncpg.Connection, mutation: str, variables: dict, token: str | None
) -> list[dict]:
    """Run a mutation that must fail with user errors and change nothing; return the errors."""
    before = await snapshot(connection)
    data = await gql(client, mutation, variables, token)
    [payload] = data.values()
    assert payload["userErrors"], payload
    assert all(value is None for key, value in payload.items() if key != "userErrors")
    assert await snapshot(connection) == before
    return payload["userErrors"]


def codes(errors: list[dict]) -> list[tuple]:
    return [(e["field"], e["code"]) for e in errors]


ORG_INPUT = {
    "name": "  Kessler Präzisionsoptik GmbH ",
    "kind": "SME",
    "industry": "Precision Optics",
    "city": "Jena",
    "country": "de",
    "employees": 140,
    "foundedYear": 1978,
    "competencies": ["optical metrology", "optical metrology", "laser systems"],
    "website": "https://kessler.example",
    "revenueBand": "MEDIUM",
}


async def snapshot(connection: asyncpg.Connection) -> dict[str, list]:
    return {t: [tuple(r) for r in await connection.fetch(f"SELECT * FROM {t} ORDER BY 1, 2")] for t in SNAPSHOT_TABLES}
