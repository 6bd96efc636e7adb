"""Every role against every query, field and mutation of the contract: allowed or denied.

Roles in the test world: anonymous, admin, an outsider (a member in none of `pilot`'s seats), the plain
partner, the lead partner and the moderator of the confidential project `pilot`. The outsider leads the
published project `story`. Denied reads return nothing (null, an empty list or an authentication
error); denied mutations answer with a user error and change nothing.
"""

from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import httpx
import pytest
from strawberry.relay import to_base64

from tests.helpers import graphql
from tests.world import World, build_world

ROLES = {
    "anonymous": None,
    "admin": "admin",
    "outsider": "outsider",
    "partner": "startup",
    "lead": "sme",
    "moderator": "institute",
}
EVERYONE = set(ROLES)
MEMBERS = EVERYONE - {"anonymous"}
PILOT = {"admin", "partner", "lead", "moderator"}

Check = Callable[[dict, World], bool]


async def goal_id(connection: asyncpg.Connection, world: World, project: str) -> str:
    goal = await connection.fetchval("SELECT id FROM project_goals WHERE project_id = $1", world.projects[project])
    return to_base64("ProjectGoal", goal)


def edges(data: dict | None, root: str) -> list[dict]:
    return (data or {}).get(root, {}).get("edges", []) if data and data.get(root) else []


def node(data: dict | None) -> dict | None:
    return data.get("node") if data else None


READS: dict[str, tuple[str, Callable[[World], dict], Check, set[str]]] = {
    "viewer": ("{ viewer { role } }", lambda w: {}, lambda d, w: bool(d and d["viewer"]), MEMBERS),
    "organizations": (
        "{ organizations { edges { node { name } } } }",
        lambda w: {},
        lambda d, w: len(edges(d, "organizations")) == 4,
        MEMBERS,
    ),
    "startups": (
        "{ startups { edges { node { name } } } }",
        lambda w: {},
        lambda d, w: len(edges(d, "startups")) == 1,
        MEMBERS,
    ),
    "smes": ("{ smes { edges { node { name } } } }", lambda w: {}, lambda d, w: len(edges(d, "smes")) == 1, MEMBERS),
    "cooperationProjects lists pilot": (
        "{ cooperationProjects { edges { node { title } } } }",
        lambda w: {},
        lambda d, w: any(e["node"]["title"] == "Predictive maintenance pilot" for e in edges(d, "cooperationProjects")),
        PILOT,
    ),
    "marketplace": (
        "{ marketplace { edges { node { title story } } } }",
        lambda w: {},
        lambda d, w: [e["node"]["story"] for e in edges(d, "marketplace")] == ["It worked."],
        EVERYONE,
    ),
    "node(organization)": (
        "query($id: ID!) { node(id: $id) { id } }",
        lambda w: {"id": w.org_id("sme")},
        lambda d, w: node(d) is not None,
        MEMBERS,
    ),
    "node(pilot)": (
        "query($id: ID!) { node(id: $id) { id } }",
        lambda w: {"id": w.project_id("pilot")},
        lambda d, w: node(d) is not None,
        PILOT,
    ),
    "node(story)": (
        "query($id: ID!) { node(id: $id) { id } }",
        lambda w: {"id": w.project_id("story")},
        lambda d, w: node(d) is not None,
        MEMBERS,
    ),
    "pilot.exitPlan": (
        "query($id: ID!) { node(id: $id) { ... on CooperationProject { exitPlan } } }",
        lambda w: {"id": w.project_id("pilot")},
        lambda d, w: bool(node(d) and node(d)["exitPlan"]),
        PILOT,
    ),
    "pilot.goals": (
        "query($id: ID!) { node(id: $id) { ... on CooperationProject { goals { title } } } }",
        lambda w: {"id": w.project_id("pilot")},
        lambda d, w: bool(node(d) and node(d)["goals"]),
        PILOT,
    ),
    "story.exitPlan": (
        "query($id: ID!) { node(id: $id) { ... on CooperationProject { exitPlan } } }",
        lambda w: {"id": w.project_id("story")},
        lambda d, w: bool(node(d) and node(d)["exitPlan"]),
        {"admin", "outsider"},
    ),
    "story.goals": (
        "query($id: ID!) { node(id: $id) { ... on CooperationProject { goals { title } } } }",
        lambda w: {"id": w.project_id("story")},
        lambda d, w: bool(node(d) and node(d)["goals"]),
        {"admin", "outsider"},
    ),
    "story.partners": (
        "query($id: ID!) { node(id: $id) { ... on CooperationProject { partners { organization { name } } } } }",
        lambda w: {"id": w.project_id("story")},
        lambda d, w: bool(node(d) and node(d)["partners"]),
        MEMBERS,
    ),
    "organization.projects shows pilot": (
        "query($id: ID!) { node(id: $id) { ... on Organization { projects { edges { node { title } } } } } }",
        lambda w: {"id": w.org_id("startup")},
        lambda d, w: bool(node(d) and node(d)["projects"]["edges"]),
        PILOT,
    ),
}


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("operation", list(READS))
async def test_read(client: httpx.AsyncClient, connection: asyncpg.Connection, operation: str, role: str) -> None:
    world = await build_world(connection)
    query, variables, allowed, roles = READS[operation]
    token = world.tokens[ROLES[role]] if ROLES[role] else None
    response = await graphql(client, query, variables(world), token)
    body = response.json()
    assert response.status_code == 200
    granted = allowed(body.get("data"), world)
    assert granted == (role in roles), f"{operation} as {role}: {body}"
    if not granted and body.get("errors"):
        assert {e["extensions"]["code"] for e in body["errors"]} <= {"UNAUTHENTICATED"}


MutationCase = tuple[str, Callable[[World, asyncpg.Connection], Awaitable[dict]], set[str]]


async def _pilot(w: World, c: asyncpg.Connection, **extra: Any) -> dict:
    return {"projectId": w.project_id("pilot"), **extra}


MUTATIONS: dict[str, MutationCase] = {
    "createOrganization": (
        "mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { userErrors { code } } }",
        lambda w, c: _const(
            {"name": "Neu GmbH", "kind": "SME", "industry": "Logistics", "city": "Ulm", "country": "DE"}
        ),
        {"admin"},
    ),
    "updateOrganization": (
        "mutation($input: UpdateOrganizationInput!) { updateOrganization(input: $input) { userErrors { code } } }",
        lambda w, c: _const({"id": w.org_id("startup"), "city": "Jena"}),
        {"admin", "partner"},
    ),
    "createCooperationProject": (
        "mutation($input: CreateCooperationProjectInput!) { createCooperationProject(input: $input) { userErrors { code } } }",
        lambda w, c: _const(
            {
                "title": "Next",
                "kind": "MARKETING",
                "partners": [
                    {"organizationId": w.org_id("startup"), "role": "LEAD"},
                    {"organizationId": w.org_id("sme"), "role": "PARTNER"},
                ],
            }
        ),
        {"admin", "partner", "lead"},
    ),
    "addProjectPartner": (
        "mutation($input: AddProjectPartnerInput!) { addProjectPartner(input: $input) { userErrors { code } } }",
        lambda w, c: _pilot(w, c, organizationId=w.org_id("outsider"), role="PARTNER"),
        {"admin", "lead", "moderator"},
    ),
    "advanceProjectPhase": (
        "mutation($input: AdvanceProjectPhaseInput!) { advanceProjectPhase(input: $input) { userErrors { code } } }",
        lambda w, c: _pilot(w, c, to="COMPLETED"),
        {"admin", "lead", "moderator"},
    ),
    "addProjectGoal": (
        "mutation($input: AddProjectGoalInput!) { addProjectGoal(input: $input) { userErrors { code } } }",
        lambda w, c: _pilot(w, c, title="Second site", ownerOrganizationId=w.org_id("startup")),
        {"admin", "lead", "moderator", "partner"},
    ),
    "updateProjectGoal": (
        "mutation($input: UpdateProjectGoalInput!) { updateProjectGoal(input: $input) { userErrors { code } } }",
        lambda w, c: _goal_input(w, c),
        {"admin", "lead", "moderator", "partner"},
    ),
    "setExitPlan": (
        "mutation($input: SetExitPlanInput!) { setExitPlan(input: $input) { userErrors { code } } }",
        lambda w, c: _pilot(w, c, exitPlan="Three months' notice."),
        {"admin", "lead", "moderator"},
    ),
    "publishProject": (
        "mutation($input: PublishProjectInput!) { publishProject(input: $input) { userErrors { code } } }",
        lambda w, c: _pilot(w, c, story="It worked for us."),
        {"admin", "lead"},
    ),
}


async def _const(value: dict) -> dict:
    return value


async def _goal_input(w: World, c: asyncpg.Connection) -> dict:
    return {"id": await goal_id(c, w, "pilot"), "status": "ACHIEVED"}


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("operation", list(MUTATIONS))
async def test_mutation(client: httpx.AsyncClient, connection: asyncpg.Connection, operation: str, role: str) -> None:
    world = await build_world(connection)
    mutation, make_input, roles = MUTATIONS[operation]
    token = world.tokens[ROLES[role]] if ROLES[role] else None
    before = await connection.fetchval("SELECT sum(data_version) + count(*) FROM cooperation_projects")
    organizations = await connection.fetchval("SELECT md5(string_agg(o::text, ',' ORDER BY id)) FROM organizations o")
    body = (await graphql(client, mutation, {"input": await make_input(world, connection)}, token)).json()
    errors = body["data"][operation]["userErrors"]
    if role in roles:
        assert errors == [], f"{operation} as {role}: {errors}"
    else:
        assert [e["code"] for e in errors] in (["FORBIDDEN"], ["NOT_FOUND"], ["UNAUTHENTICATED"]), (
            f"{operation} as {role}"
        )
        assert await connection.fetchval("SELECT sum(data_version) + count(*) FROM cooperation_projects") == before
        assert (
            await connection.fetchval("SELECT md5(string_agg(o::text, ',' ORDER BY id)) FROM organizations o")
            == organizations
        )
