"""Survey rounds and answers through the API, and the flags they raise."""

import asyncpg
import httpx

from db.tokens import create_token
from tests.helpers import ERRORS, gql
from tests.world import World

OPEN = f"mutation($p: ID!) {{ openSurveyRound(input: {{projectId: $p}}) {{ surveyRound {{ id sequence status expectedResponses }} {ERRORS} }} }}"


CLOSE = (
    f"mutation($r: ID!) {{ closeSurveyRound(input: {{roundId: $r}}) {{ surveyRound {{ status closedAt }} {ERRORS} }} }}"
)


SUBMIT = f"""mutation($input: SubmitSurveyResponseInput!) {{
  submitSurveyResponse(input: $input) {{ surveyResponse {{ id overall comment organization {{ name }} }} {ERRORS} }} }}"""


def answer(round_id: str, score: int = 4, **change) -> dict:
    return {
        "input": {
            "roundId": round_id,
            "overall": score,
            "expectationsMet": score,
            "mutualBenefit": score,
            "decisionSpeed": score,
            "communicationTrust": score,
            "continueLikelihood": 8,
            **change,
        }
    }


async def add_partners(connection: asyncpg.Connection, world: World, count: int) -> list[str]:
    """`count` more SME partners in `pilot`, with a token each."""
    tokens = []
    for i in range(count):
        org = await connection.fetchval(
            "INSERT INTO organizations (kind, name, industry, city, country) VALUES ('SME', $1, 'Logistics', 'Kiel', 'DE') RETURNING id",
            f"Extra Partner {i}",
        )
        await connection.execute(
            "INSERT INTO project_partners (project_id, organization_id, role) VALUES ($1, $2, 'PARTNER')",
            world.projects["pilot"],
            org,
        )
        tokens.append((await create_token(connection, organization_id=org))[1])
    return tokens


async def open_round(client: httpx.AsyncClient, world: World) -> str:
    payload = (await gql(client, OPEN, {"p": world.project_id("pilot")}, world.tokens["sme"]))["openSurveyRound"]
    assert payload["userErrors"] == []
    return payload["surveyRound"]["id"]


FLAGS = "query($id: ID!) { node(id: $id) { ... on CooperationProject { riskFlags { reason } health { upToDate } } } }"


async def answer_round(client: httpx.AsyncClient, world: World, tokens: list[str], scores: list[int]) -> str:
    round_id = (await gql(client, OPEN, {"p": world.project_id("pilot")}, world.tokens["sme"]))["openSurveyRound"][
        "surveyRound"
    ]["id"]
    for token, score in zip(tokens, scores, strict=True):
        payload = (await gql(client, SUBMIT, answer(round_id, score), token))["submitSurveyResponse"]
        assert payload["userErrors"] == []
    await gql(client, CLOSE, {"r": round_id}, world.tokens["sme"])
    return round_id


async def open_flags(client: httpx.AsyncClient, world: World) -> set[str]:
    data = await gql(client, FLAGS, {"id": world.project_id("pilot")}, world.tokens["sme"])
    return {f["reason"] for f in data["node"]["riskFlags"]}
