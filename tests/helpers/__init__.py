"""Small helpers shared by the tests."""

from typing import Any

import httpx

ERRORS = "userErrors { field code message }"  # the selection every mutation payload offers


async def graphql(
    client: httpx.AsyncClient, query: str, variables: dict | None = None, token: str | None = None
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)


async def gql(client: httpx.AsyncClient, query: str, variables: dict | None = None, token: str | None = None) -> Any:
    """The `data` of a request that must succeed without GraphQL errors."""
    response = await graphql(client, query, variables, token)
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, body
    return body["data"]
