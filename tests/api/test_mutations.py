import asyncpg
import httpx
import pytest
from redis.asyncio import Redis
from strawberry.relay import to_base64

from domain.jobs import recompute_job_id
from partnerpulse.settings import Settings
from tests.helpers import ERRORS, gql
from tests.helpers.mutations import ADVANCE, CREATE_ORG, ORG_INPUT, UPDATE_ORG, codes, refused
from tests.world import World, build_world

CREATE_PROJECT = f"""mutation($input: CreateCooperationProjectInput!) {{
  createCooperationProject(input: $input) {{
    cooperationProject {{ id title phase partners {{ role organization {{ name }} }}
      invitations {{ role status organization {{ name }} }} }} {ERRORS} }} }}"""
ADD_PARTNER = f"""mutation($input: AddProjectPartnerInput!) {{
  addProjectPartner(input: $input) {{ projectPartner {{ role organization {{ name }} }}
    invitation {{ role status organization {{ name }} }} {ERRORS} }} }}"""
ACCEPT = f"""mutation($input: AcceptProjectInvitationInput!) {{
  acceptProjectInvitation(input: $input) {{ projectPartner {{ role organization {{ name }} }} {ERRORS} }} }}"""
DECLINE = f"""mutation($input: DeclineProjectInvitationInput!) {{
  declineProjectInvitation(input: $input) {{ invitation {{ status }} {ERRORS} }} }}"""
APPROVE = f"""mutation($input: ApproveProjectPublicationInput!) {{
  approveProjectPublication(input: $input) {{ projectPartner {{ onMarketplace publicationApprovedAt }} {ERRORS} }} }}"""
ADD_GOAL = f"""mutation($input: AddProjectGoalInput!) {{
  addProjectGoal(input: $input) {{ projectGoal {{ id title status owner {{ name }} }} {ERRORS} }} }}"""
UPDATE_GOAL = f"""mutation($input: UpdateProjectGoalInput!) {{
  updateProjectGoal(input: $input) {{ projectGoal {{ status }} {ERRORS} }} }}"""
EXIT_PLAN = f"""mutation($input: SetExitPlanInput!) {{
  setExitPlan(input: $input) {{ cooperationProject {{ exitPlan }} {ERRORS} }} }}"""
PUBLISH = f"""mutation($input: PublishProjectInput!) {{
  publishProject(input: $input) {{ cooperationProject {{ published story }} {ERRORS} }} }}"""


async def test_create_organization(client: httpx.AsyncClient, connection: asyncpg.Connection) -> None:
    world = await build_world(connection)
    payload = (await gql(client, CREATE_ORG, {"input": ORG_INPUT}, world.tokens["admin"]))["createOrganization"]
    assert payload["userErrors"] == []
    assert payload["organization"]["name"] == "Kessler Präzisionsoptik GmbH"
    assert payload["organization"]["country"] == "DE"
    row = await connection.fetchrow("SELECT competencies, revenue_band::text FROM organizations WHERE city = 'Jena'")
    assert (list(row[0]), row[1]) == (["optical metrology", "laser systems"], "MEDIUM")


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"name": "   "}, [("name", "INVALID")]),
        ({"country": "Germany"}, [("country", "INVALID")]),
        ({"employees": -5, "foundedYear": 3000}, [("employees", "INVALID"), ("foundedYear", "INVALID")]),
        ({"website": "javascript:alert(1)"}, [("website", "INVALID")]),
        ({"fundingStage": "SEED"}, [("fundingStage", "INVALID")]),
        ({"description": "x" * 5001}, [("description", "INVALID")]),
        ({"competencies": ["x" * 101]}, [("competencies", "INVALID")]),
    ],
)
async def test_create_organization_refuses_bad_input(
    client: httpx.AsyncClient, connection: asyncpg.Connection, change: dict, expected: list
) -> None:
    world = await build_world(connection)
    errors = await refused(client, connection, CREATE_ORG, {"input": {**ORG_INPUT, **change}}, world.tokens["admin"])
    assert codes(errors) == expected


async def test_only_admins_create_organizations(client: httpx.AsyncClient, connection: asyncpg.Connection) -> None:
    world = await build_world(connection)
    errors = await refused(client, connection, CREATE_ORG, {"input": ORG_INPUT}, world.tokens["sme"])
    assert codes(errors) == [(None, "FORBIDDEN")]
    errors = await refused(client, connection, CREATE_ORG, {"input": ORG_INPUT}, None)
    assert codes(errors) == [(None, "UNAUTHENTICATED")]


async def test_update_organization_by_itself_and_admins_only(
    client: httpx.AsyncClient, connection: asyncpg.Connection
) -> None:
    world = await build_world(connection)
    change = {"id": world.org_id("startup"), "city": "Leipzig", "website": None}
    own = (await gql(client, UPDATE_ORG, {"input": change}, world.tokens["startup"]))["updateOrganization"]
    assert own["userErrors"] == [] and own["organization"]["city"] == "Leipzig"
    # omitted fields stay, null clears an optional one
    assert own["organization"]["name"] == "Quantivo GmbH" and own["organization"]["website"] is None
    errors = await refused(client, connection, UPDATE_ORG, {"input": change}, world.tokens["sme"])
    assert codes(errors) == [(None, "FORBIDDEN")]
    errors = await refused(
        client, connection, UPDATE_ORG, {"input": {"id": world.org_id("startup"), "name": None}}, world.tokens["admin"]
    )
    assert codes(errors) == [("name", "INVALID")]
    errors = await refused(client, connection, UPDATE_ORG, {"input": {"id": "bogus"}}, world.tokens["admin"])
    assert codes(errors) == [("id", "NOT_FOUND")]


def project_input(world: World, **change) -> dict:
    return {
        "title": "Cold-chain tracking",
        "kind": "TECHNOLOGY_PILOT",
        "partners": [
            {"organizationId": world.org_id("startup"), "role": "LEAD"},
            {"organizationId": world.org_id("outsider"), "role": "PARTNER"},
        ],
        **change,
    }


async def test_create_cooperation_project(client: httpx.AsyncClient, connection: asyncpg.Connection) -> None:
    world = await build_world(connection)
    payload = await gql(client, CREATE_PROJECT, {"input": project_input(world)}, world.tokens["startup"])
    project = payload["createCooperationProject"]["cooperationProject"]
    assert project["phase"] == "ASSESSMENT"
    # a member's project: its own organization joins, the other one is invited until it accepts
    assert [(p["role"], p["organization"]["name"]) for p in project["partners"]] == [("LEAD", "Quantivo GmbH")]
    assert project["invitations"] == [
        {"role": "PARTNER", "status": "INVITED", "organization": {"name": "Nordwerke AG"}}
    ]
    by_admin = await gql(client, CREATE_PROJECT, {"input": project_input(world)}, world.tokens["admin"])
    project = by_admin["createCooperationProject"]["cooperationProject"]
    assert [(p["role"], p["organization"]["name"]) for p in project["partners"]] == [
        ("LEAD", "Quantivo GmbH"),
        ("PARTNER", "Nordwerke AG"),
    ]
    assert project["invitations"] == []
    history = await connection.fetch(
        "SELECT from_phase, to_phase::text FROM project_phase_changes WHERE project_id > $1", world.projects["story"]
    )
    assert [tuple(r) for r in history] == [(None, "ASSESSMENT"), (None, "ASSESSMENT")]


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"title": ""}, [("title", "INVALID")]),
        ({"plannedEndOn": "2001-01-01"}, [("plannedEndOn", "INVALID")]),
        ({"partners": []}, [("partners", "INVALID")]),
        ("two leads", [("partners", "INVALID")]),
        ("duplicate", [("partners.1.organizationId", "INVALID")]),
        ("unknown", [("partners.1.organizationId", "NOT_FOUND")]),
        ("without me", [(None, "FORBIDDEN")]),
    ],
)
async def test_create_cooperation_project_refuses_bad_input(
    client: httpx.AsyncClient, connection: asyncpg.Connection, change, expected
) -> None:
    world = await build_world(connection)
    lead = {"organizationId": world.org_id("startup"), "role": "LEAD"}
    special = {
        "two leads": {"partners": [lead, {"organizationId": world.org_id("outsider"), "role": "LEAD"}]},
        "duplicate": {"partners": [lead, {**lead, "role": "PARTNER"}]},
        "unknown": {"partners": [lead, {"organizationId": to_base64("Sme", 99999), "role": "PARTNER"}]},
        "without me": {"partners": [{"organizationId": world.org_id("outsider"), "role": "LEAD"}]},
    }
    variables = {"input": project_input(world, **(special[change] if isinstance(change, str) else change))}
    assert codes(await refused(client, connection, CREATE_PROJECT, variables, world.tokens["startup"])) == expected


async def test_partner_phase_goal_exit_plan_and_publication_lifecycle(
    client: httpx.AsyncClient, connection: asyncpg.Connection, redis: Redis, settings: Settings
) -> None:
    world = await build_world(connection)
    pilot, lead, moderator, partner = (
        world.project_id("pilot"),
        world.tokens["sme"],
        world.tokens["institute"],
        world.tokens["startup"],
    )
    version = await connection.fetchval(
        "SELECT data_version FROM cooperation_projects WHERE id = $1", world.projects["pilot"]
    )

    added = await gql(
        client,
        ADD_PARTNER,
        {"input": {"projectId": pilot, "organizationId": world.org_id("outsider"), "role": "PARTNER"}},
        moderator,
    )
    assert added["addProjectPartner"]["projectPartner"] is None
    assert added["addProjectPartner"]["invitation"] == {
        "role": "PARTNER",
        "status": "INVITED",
        "organization": {"name": "Nordwerke AG"},
    }
    accepted = await gql(client, ACCEPT, {"input": {"projectId": pilot}}, world.tokens["outsider"])
    assert accepted["acceptProjectInvitation"]["projectPartner"] == {
        "role": "PARTNER",
        "organization": {"name": "Nordwerke AG"},
    }
    # the change is marked for recomputation and a job is queued after the commit
    assert (
        await connection.fetchval(
            "SELECT data_version FROM cooperation_projects WHERE id = $1", world.projects["pilot"]
        )
        > version
    )
    job_id = recompute_job_id(settings.redis_namespace, world.projects["pilot"])
    assert await redis.exists(f"arq:job:{job_id}")
    assert await redis.zscore(settings.queue_name, job_id)

    goal = await gql(
        client,
        ADD_GOAL,
        {
            "input": {
                "projectId": pilot,
                "title": "Certified",
                "ownerOrganizationId": world.org_id("startup"),
                "dueOn": "2027-03-01",
            }
        },
        partner,
    )
    goal_id = goal["addProjectGoal"]["projectGoal"]["id"]
    assert goal["addProjectGoal"]["projectGoal"]["owner"] == {"name": "Quantivo GmbH"}
    done = await gql(client, UPDATE_GOAL, {"input": {"id": goal_id, "status": "ACHIEVED"}}, partner)
    assert done["updateProjectGoal"] == {"projectGoal": {"status": "ACHIEVED"}, "userErrors": []}

    plan = await gql(client, EXIT_PLAN, {"input": {"projectId": pilot, "exitPlan": " Three months' notice. "}}, lead)
    assert plan["setExitPlan"]["cooperationProject"]["exitPlan"] == "Three months' notice."

    # every partner approves first; the outsider does not want to be named
    errors = await refused(client, connection, PUBLISH, {"input": {"projectId": pilot, "story": "Too soon"}}, lead)
    assert codes(errors) == [("projectId", "CONSENT_REQUIRED")]
    for who in ("sme", "startup", "institute", "outsider"):
        approval = {"projectId": pilot, "appearOnMarketplace": who != "outsider"}
        approved = (await gql(client, APPROVE, {"input": approval}, world.tokens[who]))["approveProjectPublication"]
        assert approved["userErrors"] == [] and approved["projectPartner"]["onMarketplace"] is (who != "outsider")
    story = await gql(client, PUBLISH, {"input": {"projectId": pilot, "story": "A pilot that became a product."}}, lead)
    assert story["publishProject"]["cooperationProject"] == {
        "published": True,
        "story": "A pilot that became a product.",
    }

    completed = await gql(client, ADVANCE, {"input": {"projectId": pilot, "to": "COMPLETED"}}, lead)
    assert completed["advanceProjectPhase"]["cooperationProject"]["phase"] == "COMPLETED"
    # final: nothing changes any more
    errors = await refused(client, connection, ADVANCE, {"input": {"projectId": pilot, "to": "TERMINATED"}}, lead)
    assert codes(errors) == [("to", "INVALID_TRANSITION")]
    errors = await refused(client, connection, EXIT_PLAN, {"input": {"projectId": pilot, "exitPlan": "x"}}, lead)
    assert codes(errors) == [(None, "INVALID_TRANSITION")]


async def test_phase_moves_one_step_forward_or_to_terminated(
    client: httpx.AsyncClient, connection: asyncpg.Connection
) -> None:
    world = await build_world(connection)
    created = await gql(client, CREATE_PROJECT, {"input": project_input(world)}, world.tokens["admin"])
    project = created["createCooperationProject"]["cooperationProject"]["id"]
    lead = world.tokens["startup"]
    errors = await refused(client, connection, ADVANCE, {"input": {"projectId": project, "to": "ACTIVE"}}, lead)
    assert codes(errors) == [("to", "INVALID_TRANSITION")]
    assert "GOAL_SETTING or TERMINATED" in errors[0]["message"]
    for phase in ("GOAL_SETTING", "PARTNER_SEARCH", "INITIATION", "ACTIVE"):
        moved = await gql(client, ADVANCE, {"input": {"projectId": project, "to": phase}}, lead)
        assert moved["advanceProjectPhase"]["cooperationProject"]["phase"] == phase
    errors = await refused(client, connection, ADVANCE, {"input": {"projectId": project, "to": "INITIATION"}}, lead)
    assert codes(errors) == [("to", "INVALID_TRANSITION")]
    moved = await gql(client, ADVANCE, {"input": {"projectId": project, "to": "TERMINATED"}}, lead)
    assert moved["advanceProjectPhase"]["cooperationProject"]["phase"] == "TERMINATED"
    phases = await connection.fetch(
        "SELECT to_phase::text FROM project_phase_changes WHERE project_id = (SELECT max(id) FROM cooperation_projects) ORDER BY id"
    )
    assert [r[0] for r in phases] == [
        "ASSESSMENT",
        "GOAL_SETTING",
        "PARTNER_SEARCH",
        "INITIATION",
        "ACTIVE",
        "TERMINATED",
    ]


async def test_project_mutation_refusals(client: httpx.AsyncClient, connection: asyncpg.Connection) -> None:
    world = await build_world(connection)
    pilot = world.project_id("pilot")
    cases = [
        # a plain partner does not manage the project
        (
            ADD_PARTNER,
            {"projectId": pilot, "organizationId": world.org_id("outsider"), "role": "PARTNER"},
            "startup",
            [(None, "FORBIDDEN")],
        ),
        # an outsider does not even learn that the project exists
        (ADVANCE, {"projectId": pilot, "to": "COMPLETED"}, "outsider", [("projectId", "NOT_FOUND")]),
        (
            ADD_PARTNER,
            {"projectId": pilot, "organizationId": world.org_id("startup"), "role": "PARTNER"},
            "sme",
            [("organizationId", "ALREADY_EXISTS")],
        ),
        (
            ADD_PARTNER,
            {"projectId": pilot, "organizationId": world.org_id("outsider"), "role": "LEAD"},
            "sme",
            [("role", "INVALID")],
        ),
        (
            ADD_PARTNER,
            {"projectId": pilot, "organizationId": "nope", "role": "PARTNER"},
            "sme",
            [("organizationId", "NOT_FOUND")],
        ),
        (
            ADD_GOAL,
            {"projectId": pilot, "title": "x", "ownerOrganizationId": world.org_id("sme")},
            "startup",
            [(None, "FORBIDDEN")],
        ),
        (
            ADD_GOAL,
            {"projectId": pilot, "title": "x", "ownerOrganizationId": world.org_id("outsider")},
            "sme",
            [("ownerOrganizationId", "INVALID")],
        ),
        (
            ADD_GOAL,
            {"projectId": pilot, "title": " ", "ownerOrganizationId": world.org_id("sme")},
            "sme",
            [("title", "INVALID")],
        ),
        (EXIT_PLAN, {"projectId": pilot, "exitPlan": "x" * 10001}, "sme", [("exitPlan", "INVALID")]),
        (EXIT_PLAN, {"projectId": pilot, "exitPlan": "x"}, "startup", [(None, "FORBIDDEN")]),
        (PUBLISH, {"projectId": pilot, "story": "x"}, "institute", [(None, "FORBIDDEN")]),
        (PUBLISH, {"projectId": pilot, "story": ""}, "sme", [("story", "INVALID")]),
        (PUBLISH, {"projectId": world.project_id("story"), "story": "mine now"}, "sme", [(None, "FORBIDDEN")]),
    ]
    for mutation, variables, who, expected in cases:
        assert (
            codes(await refused(client, connection, mutation, {"input": variables}, world.tokens[who])) == expected
        ), (variables, who)
    goal_id = await connection.fetchval("SELECT id FROM project_goals WHERE project_id = $1", world.projects["pilot"])
    goal = to_base64("ProjectGoal", goal_id)
    for who, expected in [("outsider", [("id", "NOT_FOUND")]), ("admin", None), ("sme", None)]:
        variables = {"input": {"id": goal, "status": "MISSED"}}
        if expected:
            assert codes(await refused(client, connection, UPDATE_GOAL, variables, world.tokens[who])) == expected
        else:
            assert (await gql(client, UPDATE_GOAL, variables, world.tokens[who]))["updateProjectGoal"][
                "userErrors"
            ] == []


async def test_publishing_needs_an_active_or_completed_project(
    client: httpx.AsyncClient, connection: asyncpg.Connection
) -> None:
    world = await build_world(connection)
    created = await gql(client, CREATE_PROJECT, {"input": project_input(world)}, world.tokens["startup"])
    project = created["createCooperationProject"]["cooperationProject"]["id"]
    errors = await refused(
        client, connection, PUBLISH, {"input": {"projectId": project, "story": "Too early"}}, world.tokens["startup"]
    )
    assert codes(errors) == [("projectId", "INVALID_TRANSITION")]
