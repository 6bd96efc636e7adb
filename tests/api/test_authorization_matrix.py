"""Every role against every query, field and mutation of the contract: allowed or denied.

Roles in the test world: anonymous, admin, an outsider (a member in none of `pilot`'s seats), the plain
partner, the lead partner and the moderator of the confidential project `pilot`, and an organization invited
to `pilot` that has not accepted (it is no partner for anything). The outsider leads the published project
`story`. Denied reads return nothing (null, an empty list or an authentication error); denied mutations
answer with a user error and change no table.
"""

from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import httpx
import pytest
from strawberry.relay import from_base64, to_base64

from db.tokens import create_token
from tests.helpers import graphql
from tests.world import World
from tests.world import build_world as build_base_world

ROLES = {
    "anonymous": None,
    "admin": "admin",
    "outsider": "outsider",
    "partner": "startup",
    "lead": "sme",
    "moderator": "institute",
    "invited": "invitee",
}
EVERYONE = set(ROLES)
MEMBERS = EVERYONE - {"anonymous"}
PILOT = {"admin", "partner", "lead", "moderator"}
# every table a mutation may write: a refusal leaves each exactly as it was
TABLES = [
    "organizations",
    "cooperation_projects",
    "project_partners",
    "project_invitations",
    "project_goals",
    "project_phase_changes",
    "survey_rounds",
    "survey_round_participants",
    "survey_responses",
    "risk_flags",
    "contact_persons",
    "outbox_mails",
    "survey_schedules",
    "sign_in_links",
    "person_sessions",
]


async def build_world(connection: asyncpg.Connection) -> World:
    """The shared test world plus `invitee`, invited to `pilot` as a PARTNER by its lead, not yet answering."""
    world = await build_base_world(connection)
    invitee = await connection.fetchval(
        "INSERT INTO organizations (kind, name, industry, city, country) "
        "VALUES ('CORPORATE', 'Rheinchemie AG', 'Chemicals', 'Köln', 'DE') RETURNING id"
    )
    await connection.execute(
        "INSERT INTO project_invitations (project_id, organization_id, role, invited_by) VALUES ($1, $2, 'PARTNER', $3)",
        world.projects["pilot"],
        invitee,
        world.organizations["sme"],
    )
    world.organizations["invitee"] = invitee
    world.tokens["invitee"] = (await create_token(connection, organization_id=invitee))[1]
    return world


async def tables(connection: asyncpg.Connection) -> dict[str, str]:
    return {
        table: await connection.fetchval(
            f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {table} t"
        )
        for table in TABLES
    }


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
        lambda d, w: len(edges(d, "organizations")) == 5,
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
    "pilot.invitations": (
        "query($id: ID!) { node(id: $id) { ... on CooperationProject { invitations { status } } } }",
        lambda w: {"id": w.project_id("pilot")},
        lambda d, w: bool(node(d) and node(d)["invitations"]),
        PILOT,
    ),
    "viewer.projectInvitations": (
        "{ viewer { projectInvitations { role project { title } } } }",
        lambda w: {},
        lambda d, w: bool(d and d["viewer"]["projectInvitations"]),
        {"invited"},
    ),
    "node(invitation)": (
        "query($id: ID!) { node(id: $id) { ... on ProjectInvitation { status } } }",
        lambda w: {"id": to_base64("ProjectInvitation", f"{w.projects['pilot']}:{w.organizations['invitee']}")},
        lambda d, w: bool(node(d)),
        PILOT | {"invited"},
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
# what a refusal may answer: the role may not (FORBIDDEN), may not even see the object (NOT_FOUND), has no
# token (UNAUTHENTICATED), or the organizations concerned have not agreed (CONSENT_REQUIRED)
REFUSALS = (["FORBIDDEN"], ["NOT_FOUND"], ["UNAUTHENTICATED"], ["CONSENT_REQUIRED"])


def _m(name: str, input_type: str) -> str:
    return f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ userErrors {{ code }} }} }}"


async def _const(value: dict) -> dict:
    return value


async def _pilot(w: World, c: asyncpg.Connection, **extra: Any) -> dict:
    return {"projectId": w.project_id("pilot"), **extra}


async def _goal_input(w: World, c: asyncpg.Connection) -> dict:
    return {"id": await goal_id(c, w, "pilot"), "status": "ACHIEVED"}


async def _open_round(w: World, c: asyncpg.Connection) -> int:
    round_id = await c.fetchval(
        "INSERT INTO survey_rounds (project_id, sequence) VALUES ($1, 1) RETURNING id", w.projects["pilot"]
    )
    await c.executemany(
        "INSERT INTO survey_round_participants (round_id, organization_id) VALUES ($1, $2)",
        [(round_id, w.organizations["sme"]), (round_id, w.organizations["startup"])],
    )
    return round_id


async def _close_input(w: World, c: asyncpg.Connection) -> dict:
    return {"roundId": to_base64("SurveyRound", await _open_round(w, c))}


async def _answer_input(w: World, c: asyncpg.Connection) -> dict:
    scores = {"overall": 4, "expectationsMet": 4, "mutualBenefit": 3, "decisionSpeed": 2, "communicationTrust": 5}
    return {"roundId": to_base64("SurveyRound", await _open_round(w, c)), **scores, "continueLikelihood": 8}


async def _flag_input(w: World, c: asyncpg.Connection, audience: str = "PARTNERS") -> dict:
    flag = await c.fetchval(
        "INSERT INTO risk_flags (project_id, reason, severity, explanations, audience) "
        "VALUES ($1, 'NO_EXIT_PLAN', 'LOW', jsonb_build_object('en', 'No exit plan.'), $2) RETURNING id",
        w.projects["pilot"],
        audience,
    )
    return {"id": to_base64("RiskFlag", flag)}


async def _full_flag_input(w: World, c: asyncpg.Connection) -> dict:
    return await _flag_input(w, c, "FULL")


async def _approved_pilot(w: World, c: asyncpg.Connection) -> dict:
    await c.execute(
        "UPDATE project_partners SET publication_approved_at = now() WHERE project_id = $1", w.projects["pilot"]
    )
    return {"projectId": w.project_id("pilot"), "story": "It worked for us."}


async def _pending_project(w: World, c: asyncpg.Connection) -> dict:
    """An ACTIVE project its lead (sme) created with the startup invited, not yet accepted."""
    project = await c.fetchval(
        "INSERT INTO cooperation_projects (title, kind, phase) VALUES ('Pending', 'MARKETING', 'ACTIVE') RETURNING id"
    )
    await c.execute(
        "INSERT INTO project_partners (project_id, organization_id, role) VALUES ($1, $2, 'LEAD')",
        project,
        w.organizations["sme"],
    )
    await c.execute(
        "INSERT INTO project_invitations (project_id, organization_id, role, invited_by) VALUES ($1, $2, 'PARTNER', $3)",
        project,
        w.organizations["startup"],
        w.organizations["sme"],
    )
    return {"projectId": to_base64("CooperationProject", project)}


async def _startup_person(w: World, c: asyncpg.Connection, **extra: Any) -> dict:
    person = await c.fetchval(
        "INSERT INTO contact_persons (organization_id, name, email) VALUES ($1, 'Cem', 'cem@quantivo.example') "
        "RETURNING id",
        w.organizations["startup"],
    )
    return {"id": to_base64("ContactPerson", person), **extra}


async def _scheduled_pilot(w: World, c: asyncpg.Connection) -> dict:
    await c.execute(
        "INSERT INTO survey_schedules (project_id, every_weeks, answer_window_days) VALUES ($1, 2, 5)",
        w.projects["pilot"],
    )
    return {"projectId": w.project_id("pilot")}


async def _startup_session(w: World, c: asyncpg.Connection) -> dict:
    person = (await _startup_person(w, c))["id"]
    session = await c.fetchval(
        "INSERT INTO person_sessions (token_hash, contact_person_id, expires_at) "
        "VALUES (sha256('s'), $1, now() + interval '1 day') RETURNING id",
        int(from_base64(person)[1]),
    )
    return {"id": to_base64("PersonSession", session)}


def _new_project(*partners: tuple[str, str]) -> Callable[[World, asyncpg.Connection], Awaitable[dict]]:
    async def make(w: World, c: asyncpg.Connection) -> dict:
        members = [{"organizationId": w.org_id(name), "role": role} for name, role in partners]
        return {"title": "Next", "kind": "MARKETING", "partners": members}

    return make


MUTATIONS: dict[str, MutationCase] = {
    "createOrganization": (
        _m("createOrganization", "CreateOrganizationInput"),
        lambda w, c: _const(
            {"name": "Neu GmbH", "kind": "SME", "industry": "Logistics", "city": "Ulm", "country": "DE"}
        ),
        {"admin"},
    ),
    "updateOrganization": (
        _m("updateOrganization", "UpdateOrganizationInput"),
        lambda w, c: _const({"id": w.org_id("startup"), "city": "Jena"}),
        {"admin", "partner"},
    ),
    "createCooperationProject": (
        _m("createCooperationProject", "CreateCooperationProjectInput"),
        _new_project(("startup", "LEAD"), ("sme", "PARTNER")),
        {"admin", "partner", "lead"},
    ),
    # consent: a member appoints no moderator, not even itself
    "createCooperationProject with a moderator": (
        _m("createCooperationProject", "CreateCooperationProjectInput"),
        _new_project(("startup", "LEAD"), ("sme", "PARTNER"), ("institute", "MODERATOR")),
        {"admin"},
    ),
    "addProjectPartner": (
        _m("addProjectPartner", "AddProjectPartnerInput"),
        lambda w, c: _pilot(w, c, organizationId=w.org_id("outsider"), role="PARTNER"),
        {"admin", "lead", "moderator"},
    ),
    "addProjectPartner as MODERATOR": (
        _m("addProjectPartner", "AddProjectPartnerInput"),
        lambda w, c: _pilot(w, c, organizationId=w.org_id("outsider"), role="MODERATOR"),
        {"admin"},
    ),
    "advanceProjectPhase": (
        _m("advanceProjectPhase", "AdvanceProjectPhaseInput"),
        lambda w, c: _pilot(w, c, to="COMPLETED"),
        {"admin", "lead", "moderator"},
    ),
    "addProjectGoal": (
        _m("addProjectGoal", "AddProjectGoalInput"),
        lambda w, c: _pilot(w, c, title="Second site", ownerOrganizationId=w.org_id("startup")),
        {"admin", "lead", "moderator", "partner"},
    ),
    "updateProjectGoal": (_m("updateProjectGoal", "UpdateProjectGoalInput"), _goal_input, PILOT),
    "setExitPlan": (
        _m("setExitPlan", "SetExitPlanInput"),
        lambda w, c: _pilot(w, c, exitPlan="Three months' notice."),
        {"admin", "lead", "moderator"},
    ),
    "openSurveyRound": (_m("openSurveyRound", "OpenSurveyRoundInput"), _pilot, {"admin", "lead", "moderator"}),
    # consent: no round (so no answer) before two answering partners have accepted, not even for admins
    "openSurveyRound before the partners accepted": (
        _m("openSurveyRound", "OpenSurveyRoundInput"),
        _pending_project,
        set(),
    ),
    "closeSurveyRound": (_m("closeSurveyRound", "CloseSurveyRoundInput"), _close_input, {"admin", "lead", "moderator"}),
    "submitSurveyResponse": (
        _m("submitSurveyResponse", "SubmitSurveyResponseInput"),
        _answer_input,
        {"partner", "lead"},
    ),
    "acknowledgeRiskFlag": (
        _m("acknowledgeRiskFlag", "AcknowledgeRiskFlagInput"),
        _flag_input,
        {"admin", "lead", "moderator"},
    ),
    # a flag computed from every answer exists for moderators and admins only (the lead gets NOT_FOUND)
    "acknowledgeRiskFlag of a full flag": (
        _m("acknowledgeRiskFlag", "AcknowledgeRiskFlagInput"),
        _full_flag_input,
        {"admin", "moderator"},
    ),
    # consent: the lead publishes only what every partner approved (admins may publish without)
    "publishProject": (
        _m("publishProject", "PublishProjectInput"),
        lambda w, c: _pilot(w, c, story="It worked for us."),
        {"admin"},
    ),
    "publishProject approved by every partner": (
        _m("publishProject", "PublishProjectInput"),
        _approved_pilot,
        {"admin", "lead"},
    ),
    "acceptProjectInvitation": (_m("acceptProjectInvitation", "AcceptProjectInvitationInput"), _pilot, {"invited"}),
    "declineProjectInvitation": (_m("declineProjectInvitation", "DeclineProjectInvitationInput"), _pilot, {"invited"}),
    "approveProjectPublication": (
        _m("approveProjectPublication", "ApproveProjectPublicationInput"),
        _pilot,
        {"partner", "lead", "moderator"},
    ),
    "setSurveySchedule": (
        _m("setSurveySchedule", "SetSurveyScheduleInput"),
        lambda w, c: _pilot(w, c, everyWeeks=2, answerWindowDays=5),
        {"admin", "lead", "moderator"},
    ),
    # contact persons: admins and the organization itself (here the startup, the plain partner)
    "addContactPerson": (
        _m("addContactPerson", "AddContactPersonInput"),
        lambda w, c: _const({"organizationId": w.org_id("startup"), "name": "Cem", "email": "cem@quantivo.example"}),
        {"admin", "partner"},
    ),
    "removeContactPerson": (
        _m("removeContactPerson", "RemoveContactPersonInput"),
        _startup_person,
        {"admin", "partner"},
    ),
    "setContactPersonReminders": (
        _m("setContactPersonReminders", "SetContactPersonRemindersInput"),
        lambda w, c: _startup_person(w, c, receivesReminders=False),
        {"admin", "partner"},
    ),
    "removeSurveySchedule": (
        _m("removeSurveySchedule", "RemoveSurveyScheduleInput"),
        _scheduled_pilot,
        {"admin", "lead", "moderator"},
    ),
    # sign-in: anyone may ask for a link (the answer is the same for every address); a token has no session
    # to sign out of; only admins revoke a person's session
    "requestSignInLink": (
        _m("requestSignInLink", "RequestSignInLinkInput"),
        lambda w, c: _const({"email": "someone@quantivo.example"}),
        EVERYONE,
    ),
    "signOut": ("mutation { signOut { userErrors { code } } }", lambda w, c: _const({}), set()),
    "revokeSession": (_m("revokeSession", "RevokeSessionInput"), _startup_session, {"admin"}),
}


def test_the_matrix_covers_every_mutation_of_the_contract() -> None:
    """A mutation added to the schema without a row here fails this test (and a row whose mutation is gone)."""
    from schema import schema as contract

    names = set(contract._schema.mutation_type.fields)  # type: ignore[union-attr]
    covered = {case.split(" ")[0] for case in MUTATIONS}
    assert names - covered == set(), "mutations without a row in MUTATIONS"
    assert covered - names == set(), "rows in MUTATIONS for mutations the schema does not have"


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("operation", list(MUTATIONS))
async def test_mutation(client: httpx.AsyncClient, connection: asyncpg.Connection, operation: str, role: str) -> None:
    world = await build_world(connection)
    mutation, make_input, roles = MUTATIONS[operation]
    token = world.tokens[ROLES[role]] if ROLES[role] else None
    variables = {"input": await make_input(world, connection)}
    before = await tables(connection)
    body = (await graphql(client, mutation, variables, token)).json()
    [payload] = body["data"].values()
    errors = payload["userErrors"]
    if role in roles:
        assert errors == [], f"{operation} as {role}: {errors}"
    else:
        assert [e["code"] for e in errors] in REFUSALS, f"{operation} as {role}: {errors}"
        assert await tables(connection) == before, f"{operation} as {role} changed something"
