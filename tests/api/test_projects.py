import asyncpg
import httpx

from tests.helpers import gql, graphql
from tests.world import build_world

PROJECT = """
query($id: ID!) {
  node(id: $id) {
    ... on CooperationProject {
      title phase published story exitPlan viewerRole surveySchedule { everyWeeks }
      partners { role organization { __typename name } }
      goals { title status owner { name } }
    }
  }
}
"""
PROJECTS = "{ cooperationProjects(first: 10) { totalCount edges { node { title } } } }"


async def test_partners_see_their_project_in_full(client: httpx.AsyncClient, connection: asyncpg.Connection) -> None:
    world = await build_world(connection)
    for member, role in (("sme", "LEAD"), ("startup", "PARTNER"), ("institute", "MODERATOR")):
        project = (await gql(client, PROJECT, {"id": world.project_id("pilot")}, world.tokens[member]))["node"]
        assert project["viewerRole"] == role
        assert project["exitPlan"] == "IP goes to the lead."
        assert project["goals"] == [
            {"title": "Pilot at two sites", "status": "OPEN", "owner": {"name": "Quantivo GmbH"}}
        ]
        assert [(p["role"], p["organization"]["__typename"]) for p in project["partners"]] == [
            ("LEAD", "Sme"),
            ("PARTNER", "Startup"),
            ("MODERATOR", "ResearchInstitute"),
        ]


async def test_a_project_the_viewer_may_not_see_does_not_exist_for_it(
    client: httpx.AsyncClient, connection: asyncpg.Connection
) -> None:
    world = await build_world(connection)
    response = await graphql(client, PROJECT, {"id": world.project_id("pilot")}, world.tokens["outsider"])
    assert response.json()["data"] == {"node": None}
    listed = await gql(client, PROJECTS, None, world.tokens["outsider"])
    assert listed["cooperationProjects"]["edges"] == [{"node": {"title": "Recycled granulate"}}]


async def test_a_published_story_is_public_but_its_confidential_fields_are_not(
    client: httpx.AsyncClient, connection: asyncpg.Connection
) -> None:
    world = await build_world(connection)
    await connection.execute(
        "INSERT INTO survey_schedules (project_id, every_weeks, answer_window_days) VALUES ($1, 4, 7)",
        world.projects["story"],
    )
    project = (await gql(client, PROJECT, {"id": world.project_id("story")}, world.tokens["startup"]))["node"]
    assert project["story"] == "It worked." and project["published"] is True
    assert project["exitPlan"] is None and project["goals"] == [] and project["viewerRole"] is None
    assert project["surveySchedule"] is None
    admin_view = (await gql(client, PROJECT, {"id": world.project_id("story")}, world.tokens["admin"]))["node"]
    assert admin_view["surveySchedule"] == {"everyWeeks": 4}
    assert [p["organization"]["name"] for p in project["partners"]] == ["Nordwerke AG"]


async def test_marketplace_needs_no_token_and_shows_only_stories(
    client: httpx.AsyncClient, connection: asyncpg.Connection
) -> None:
    await build_world(connection)
    query = "{ marketplace { totalCount edges { node { title story exitPlan partners { organization { name } } } } } }"
    data = await gql(client, query)
    assert data["marketplace"]["totalCount"] == 1
    assert data["marketplace"]["edges"] == [
        {
            "node": {
                "title": "Recycled granulate",
                "story": "It worked.",
                "exitPlan": None,
                "partners": [{"organization": {"name": "Nordwerke AG"}}],
            }
        }
    ]


async def test_filters_of_cooperation_projects(client: httpx.AsyncClient, connection: asyncpg.Connection) -> None:
    world = await build_world(connection)
    token = world.tokens["admin"]
    query = """query($phase: ProjectPhase, $org: ID, $risk: Boolean) {
      cooperationProjects(phase: $phase, organizationId: $org, atRisk: $risk) { totalCount edges { node { title } } } }"""

    async def titles(**variables) -> list[str]:
        data = await gql(client, query, variables, token)
        assert data["cooperationProjects"]["totalCount"] == len(data["cooperationProjects"]["edges"])
        return [e["node"]["title"] for e in data["cooperationProjects"]["edges"]]

    assert await titles() == ["Recycled granulate", "Predictive maintenance pilot"]
    assert await titles(phase="ACTIVE") == ["Predictive maintenance pilot"]
    assert await titles(org=world.org_id("outsider")) == ["Recycled granulate"]
    assert await titles(org="garbage") == []
    await connection.execute(
        "INSERT INTO project_health (project_id, score, risk_level) VALUES ($1, 35, 'HIGH'), ($2, 90, 'NONE')",
        world.projects["pilot"],
        world.projects["story"],
    )
    assert await titles(risk=True) == ["Predictive maintenance pilot"]
    assert await titles(risk=False) == ["Recycled granulate"]


async def test_node_resolves_every_type_and_rejects_ids_of_the_wrong_kind(
    client: httpx.AsyncClient, connection: asyncpg.Connection
) -> None:
    world = await build_world(connection)
    query = "query($id: ID!) { node(id: $id) { __typename id } }"
    token = world.tokens["sme"]
    for global_id, typename in [
        (world.org_id("sme"), "Sme"),
        (world.org_id("startup"), "Startup"),
        (world.org_id("institute"), "ResearchInstitute"),
        (world.org_id("outsider"), "Corporate"),
        (world.project_id("pilot"), "CooperationProject"),
    ]:
        node = (await gql(client, query, {"id": global_id}, token))["node"]
        assert node == {"__typename": typename, "id": global_id}
    from strawberry.relay import to_base64

    # an SME's id presented as a Startup id, garbage and unknown types all resolve to null
    for bad in [
        to_base64("Startup", world.organizations["sme"]),
        "garbage",
        to_base64("Secret", 1),
        to_base64("Sme", "1 OR 1=1"),
    ]:
        assert (await gql(client, query, {"id": bad}, token))["node"] is None
    partner_query = '{ node(id: "%s") { ... on CooperationProject { partners { id } goals { id } } } }'
    project = (await gql(client, partner_query % world.project_id("pilot"), None, token))["node"]
    for ref in project["partners"] + project["goals"]:
        assert (await gql(client, query, {"id": ref["id"]}, token))["node"]["id"] == ref["id"]
        assert (await gql(client, query, {"id": ref["id"]}, world.tokens["outsider"]))["node"] is None


async def test_viewer(client: httpx.AsyncClient, connection: asyncpg.Connection) -> None:
    world = await build_world(connection)
    query = "{ viewer { role organization { name } } }"
    assert (await gql(client, query, None, world.tokens["admin"])) == {
        "viewer": {"role": "ADMIN", "organization": None}
    }
    assert (await gql(client, query, None, world.tokens["startup"])) == {
        "viewer": {"role": "MEMBER", "organization": {"name": "Quantivo GmbH"}}
    }
    anonymous = (await graphql(client, query)).json()
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
