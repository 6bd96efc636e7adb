"""Contact persons and an opened round of the pilot, and the text of the mails they get."""

import asyncpg
import httpx

from tests.helpers import gql
from tests.helpers.surveys import OPEN
from tests.world import World


async def add_people(connection: asyncpg.Connection, world: World) -> dict[str, int]:
    people = {}
    for key, organization, name, email, language in [
        ("anna", "sme", "Anna Brandt", "anna@brandt.example", "de"),
        ("ben", "sme", "Ben Brandt", "ben@brandt.example", "en"),
        ("cem", "startup", "Cem Quantivo", "cem@quantivo.example", "en"),
        ("dora", "institute", "Dora Institut", "dora@ipt.example", "de"),
    ]:
        people[key] = await connection.fetchval(
            "INSERT INTO contact_persons (organization_id, name, email, language) VALUES ($1, $2, $3, $4) RETURNING id",
            world.organizations[organization],
            name,
            email,
            language,
        )
    return people


def body(message, content_type: str = "text/plain") -> str:
    for part in message.walk():
        if part.get_content_type() == content_type:
            return part.get_payload(decode=True).decode()
    raise AssertionError(f"no {content_type} part")


async def open_pilot_round(client: httpx.AsyncClient, world: World) -> str:
    payload = (await gql(client, OPEN, {"p": world.project_id("pilot")}, world.tokens["sme"]))["openSurveyRound"]
    assert payload["userErrors"] == []
    return payload["surveyRound"]["id"]
