import asyncpg
import httpx
import pytest

from tests.helpers import gql, graphql
from tests.world import build_world

PAGE = """
query Page($first: Int, $after: String, $kind: OrganizationKind, $industry: String, $search: String) {
  organizations(first: $first, after: $after, kind: $kind, industry: $industry, search: $search) {
    totalCount
    edges { cursor node { id name kind city ... on Startup { fundingStage } ... on Sme { revenueBand } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


async def insert_organizations(connection: asyncpg.Connection, names: list[str], kind: str = "SME") -> None:
    await connection.executemany(
        "INSERT INTO organizations (kind, name, industry, city, country) VALUES ($1, $2, 'Logistics', 'Kiel', 'DE')",
        [(kind, name) for name in names],
    )


async def all_pages(client: httpx.AsyncClient, token: str, first: int, **filters) -> list[str]:
    names, after = [], None
    while True:
        data = await gql(client, PAGE, {"first": first, "after": after, **filters}, token)
        page = data["organizations"]
        names += [edge["node"]["name"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return names
        after = page["pageInfo"]["endCursor"]


async def test_paging_through_the_directory_returns_everyone_once_in_name_order(
    client: httpx.AsyncClient, connection: asyncpg.Connection
) -> None:
    world = await build_world(connection)
    await insert_organizations(connection, [f"Firma {i:03d}" for i in range(45)])
    expected = [r["name"] for r in await connection.fetch("SELECT name FROM organizations ORDER BY name, id")]
    assert await all_pages(client, world.tokens["startup"], first=10) == expected
    data = await gql(client, PAGE, {"first": 5}, world.tokens["startup"])
    assert data["organizations"]["totalCount"] == 49


async def test_keyset_pages_stay_correct_when_rows_are_inserted_between_pages(
    client: httpx.AsyncClient, connection: asyncpg.Connection
) -> None:
    world = await build_world(connection)
    await insert_organizations(connection, [f"Firma {i:03d}" for i in range(0, 40, 2)])
    token = world.tokens["admin"]
    first = await gql(client, PAGE, {"first": 10, "search": "Firma"}, token)
    seen = [e["node"]["name"] for e in first["organizations"]["edges"]]
    # new organizations sort before and after the cursor
    await insert_organizations(connection, ["Firma 001", "Firma 039", "Firma 000a"])
    rest = await all_pages_after(client, token, first["organizations"]["pageInfo"]["endCursor"])
    assert len(seen + rest) == len(set(seen + rest)), "a row was served twice"
    assert "Firma 039" in rest and "Firma 001" not in rest
    assert seen + rest == sorted(seen + rest)


async def all_pages_after(client: httpx.AsyncClient, token: str, after: str) -> list[str]:
    names = []
    while after:
        data = await gql(client, PAGE, {"first": 7, "after": after, "search": "Firma"}, token)
        names += [e["node"]["name"] for e in data["organizations"]["edges"]]
        page_info = data["organizations"]["pageInfo"]
        after = page_info["endCursor"] if page_info["hasNextPage"] else None
    return names


async def test_filters_by_kind_industry_and_name(client: httpx.AsyncClient, connection: asyncpg.Connection) -> None:
    world = await build_world(connection)
    token = world.tokens["sme"]
    kinds = await gql(client, PAGE, {"kind": "STARTUP"}, token)
    assert [e["node"]["name"] for e in kinds["organizations"]["edges"]] == ["Quantivo GmbH"]
    industry = await gql(client, PAGE, {"industry": "Chemicals"}, token)
    assert [e["node"]["name"] for e in industry["organizations"]["edges"]] == ["Nordwerke AG"]
    search = await gql(client, PAGE, {"search": "maschinen"}, token)
    assert [e["node"]["name"] for e in search["organizations"]["edges"]] == ["Brandt Maschinenbau GmbH"]
    # LIKE wildcards are taken literally
    assert (await gql(client, PAGE, {"search": "%"}, token))["organizations"]["totalCount"] == 0
    startups = await gql(
        client, "{ startups { edges { node { name fundingStage } } } smes { totalCount } }", None, token
    )
    assert startups["startups"]["edges"] == [{"node": {"name": "Quantivo GmbH", "fundingStage": None}}]
    assert startups["smes"]["totalCount"] == 1


@pytest.mark.parametrize(
    "variables, message",
    [
        ({"first": 101}, "`first` must be between 0 and 100."),
        ({"first": -1}, "`first` must be between 0 and 100."),
        ({"after": "bm90LWEtY3Vyc29y"}, "`after` is not a cursor of this list."),
        ({"after": "!!!"}, "`after` is not a cursor of this list."),
    ],
)
async def test_bad_page_arguments_are_client_errors(
    client: httpx.AsyncClient, connection: asyncpg.Connection, variables: dict, message: str
) -> None:
    world = await build_world(connection)
    body = (await graphql(client, PAGE, variables, world.tokens["sme"])).json()
    assert body["data"] is None
    assert body["errors"][0]["message"] == message
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_organization_projects_show_only_what_the_viewer_may_see(
    client: httpx.AsyncClient, connection: asyncpg.Connection
) -> None:
    world = await build_world(connection)
    await connection.execute(
        "INSERT INTO project_partners (project_id, organization_id, role) VALUES ($1, $2, 'PARTNER')",
        world.projects["story"],
        world.organizations["sme"],
    )
    query = """query($id: ID!) { node(id: $id) { ... on Organization { name projectCount
               projects(first: 10) { totalCount edges { node { title } } } } } }"""
    variables = {"id": world.org_id("sme")}
    as_admin = (await gql(client, query, variables, world.tokens["admin"]))["node"]
    assert as_admin["projectCount"] == 2
    assert {e["node"]["title"] for e in as_admin["projects"]["edges"]} == {
        "Predictive maintenance pilot",
        "Recycled granulate",
    }
    # the outsider sees the sme's published project, not the confidential pilot
    as_outsider = (await gql(client, query, variables, world.tokens["outsider"]))["node"]
    assert [e["node"]["title"] for e in as_outsider["projects"]["edges"]] == ["Recycled granulate"]
    assert as_outsider["projectCount"] == as_outsider["projects"]["totalCount"] == 1
