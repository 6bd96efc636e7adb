"""Consent, attacked over HTTP with plain member tokens (issue 13): nobody joins a project without accepting,
no member appoints a moderator, no answer exists before partners have joined, the marketplace shows only
what partners agreed to publish, and no organization takes another's name."""

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path

import asyncpg
import httpx
from strawberry.relay import to_base64

from db.migrate import MIGRATIONS_DIR, migrate
from tests.helpers import gql, graphql
from tests.helpers.mutations import ADVANCE, CREATE_ORG, ORG_INPUT, UPDATE_ORG, codes, refused
from tests.helpers.paths import ROOT
from tests.world import World, build_world

ERRORS = "userErrors { field code message }"
CREATE = f"""mutation($input: CreateCooperationProjectInput!) {{
  createCooperationProject(input: $input) {{ cooperationProject {{ id partners {{ role organization {{ name }} }}
    invitations {{ role status organization {{ name }} }} }} {ERRORS} }} }}"""
INVITE = f"""mutation($input: AddProjectPartnerInput!) {{
  addProjectPartner(input: $input) {{ projectPartner {{ role }} invitation {{ id status role }} {ERRORS} }} }}"""
ACCEPT = f"""mutation($p: ID!) {{ acceptProjectInvitation(input: {{projectId: $p}}) {{
  projectPartner {{ role organization {{ name }} }} {ERRORS} }} }}"""
DECLINE = f"""mutation($p: ID!) {{ declineProjectInvitation(input: {{projectId: $p}}) {{
  invitation {{ status answeredAt }} {ERRORS} }} }}"""
OPEN = f"""mutation($p: ID!) {{ openSurveyRound(input: {{projectId: $p}}) {{
  surveyRound {{ id expectedResponses }} {ERRORS} }} }}"""
ANSWER = f"""mutation($r: ID!) {{ submitSurveyResponse(input: {{roundId: $r, overall: 2, expectationsMet: 1,
  mutualBenefit: 2, decisionSpeed: 3, communicationTrust: 1, continueLikelihood: 2, comment: "secret"}}) {{
  surveyResponse {{ id }} {ERRORS} }} }}"""
RESPONSES = """query($p: ID!) { node(id: $p) { ... on CooperationProject {
  surveyRounds { edges { node { responseCount responses { overall comment } } } } } } }"""
APPROVE = f"""mutation($p: ID!, $appear: Boolean!) {{
  approveProjectPublication(input: {{projectId: $p, appearOnMarketplace: $appear}}) {{
  projectPartner {{ onMarketplace }} {ERRORS} }} }}"""
PUBLISH = f"""mutation($p: ID!) {{ publishProject(input: {{projectId: $p, story: "It worked."}}) {{
  cooperationProject {{ published }} {ERRORS} }} }}"""
INVITATIONS = """{ viewer { projectInvitations { id role status invitedBy { name }
  project { title exitPlan goals { title } viewerRole partners { role organization { name } }
    surveyRounds { edges { node { id } } } latestStatistics { responseCount } riskFlags { reason } } } } }"""
MARKETPLACE = """{ marketplace { edges { node { title partners { id role onMarketplace organization {
  name kind industry city country website employees foundedYear competencies description projectCount
  ... on Startup { fundingStage } ... on Sme { revenueBand } } } } } } }"""


def payload(data: dict) -> dict:
    [value] = data.values()
    return value


async def activate(client: httpx.AsyncClient, project: str, token: str) -> None:
    for phase in ("GOAL_SETTING", "PARTNER_SEARCH", "INITIATION", "ACTIVE"):
        moved = payload(await gql(client, ADVANCE, {"input": {"projectId": project, "to": phase}}, token))
        assert moved["userErrors"] == [], moved


async def test_a_member_cannot_appoint_itself_moderator_of_its_competitors_and_read_their_answers(
    client: httpx.AsyncClient, connection: asyncpg.Connection
) -> None:
    """The attack of issue 13: the outsider creates a project naming itself MODERATOR and two competitors as
    partners, runs a round and reads their answers. Every step that would get it there is refused."""
    world = await build_world(connection)
    attacker = world.tokens["outsider"]
    partners = [
        {"organizationId": world.org_id("outsider"), "role": "MODERATOR"},
        {"organizationId": world.org_id("sme"), "role": "LEAD"},
        {"organizationId": world.org_id("startup"), "role": "PARTNER"},
    ]
    variables = {"input": {"title": "Benchmarking", "kind": "MARKETING", "partners": partners}}
    assert codes(await refused(client, connection, CREATE, variables, attacker)) == [("partners.0.role", "FORBIDDEN")]
    # as lead instead: the competitors are only invited, and without them no round opens
    partners[0]["role"], partners[1]["role"] = "LEAD", "PARTNER"
    created = payload(await gql(client, CREATE, variables, attacker))
    project = created["cooperationProject"]
    assert [p["organization"]["name"] for p in project["partners"]] == ["Nordwerke AG"]
    assert {(i["organization"]["name"], i["status"]) for i in project["invitations"]} == {
        ("Brandt Maschinenbau GmbH", "INVITED"),
        ("Quantivo GmbH", "INVITED"),
    }
    # a lead cannot make anyone (itself included) a moderator afterwards either
    appoint = {"projectId": project["id"], "organizationId": world.org_id("institute"), "role": "MODERATOR"}
    assert codes(await refused(client, connection, INVITE, {"input": appoint}, attacker)) == [("role", "FORBIDDEN")]
    await activate(client, project["id"], attacker)
    errors = await refused(client, connection, OPEN, {"p": project["id"]}, attacker)
    assert codes(errors) == [("projectId", "CONSENT_REQUIRED")]
    # the invited competitors do not see the project as theirs and have nothing to answer
    for victim in ("sme", "startup"):
        assert (await graphql(client, RESPONSES, {"p": project["id"]}, world.tokens[victim])).json()["data"] == {
            "node": None
        }
    # once both accepted, knowing the outsider leads, answers exist; the lead still reads none of them
    for victim in ("sme", "startup"):
        accepted = payload(await gql(client, ACCEPT, {"p": project["id"]}, world.tokens[victim]))
        assert accepted["userErrors"] == [] and accepted["projectPartner"]["role"] == "PARTNER"
    opened = payload(await gql(client, OPEN, {"p": project["id"]}, attacker))
    assert opened["surveyRound"]["expectedResponses"] == 3
    for victim in ("sme", "startup"):
        answered = payload(await gql(client, ANSWER, {"r": opened["surveyRound"]["id"]}, world.tokens[victim]))
        assert answered["userErrors"] == []
    rounds = (await gql(client, RESPONSES, {"p": project["id"]}, attacker))["node"]["surveyRounds"]["edges"]
    assert [(r["node"]["responseCount"], r["node"]["responses"]) for r in rounds] == [(2, [])]


async def test_an_invited_organization_sees_nothing_confidential_and_cannot_answer_until_it_accepts(
    client: httpx.AsyncClient, connection: asyncpg.Connection
) -> None:
    world = await build_world(connection)
    pilot = world.project_id("pilot")
    invited = payload(
        await gql(
            client,
            INVITE,
            {"input": {"projectId": pilot, "organizationId": world.org_id("outsider"), "role": "PARTNER"}},
            world.tokens["sme"],
        )
    )
    assert invited["projectPartner"] is None and invited["invitation"]["status"] == "INVITED"
    opened = payload(await gql(client, OPEN, {"p": pilot}, world.tokens["sme"]))
    # not expected to answer: the round expects the two partners that accepted
    assert opened["surveyRound"]["expectedResponses"] == 2
    answered = payload(await gql(client, ANSWER, {"r": opened["surveyRound"]["id"]}, world.tokens["startup"]))
    assert answered["userErrors"] == []
    outsider = world.tokens["outsider"]
    # it sees what it is asked to join (title, partners, moderator included) and nothing confidential
    [invitation] = (await gql(client, INVITATIONS, None, outsider))["viewer"]["projectInvitations"]
    assert invitation["role"] == "PARTNER" and invitation["invitedBy"] == {"name": "Brandt Maschinenbau GmbH"}
    project = invitation["project"]
    assert project["title"] == "Predictive maintenance pilot"
    assert [p["role"] for p in project["partners"]] == ["LEAD", "PARTNER", "MODERATOR"]
    assert (project["exitPlan"], project["goals"], project["viewerRole"]) == (None, [], None)
    assert (project["surveyRounds"]["edges"], project["latestStatistics"], project["riskFlags"]) == ([], None, [])
    assert (await graphql(client, RESPONSES, {"p": pilot}, outsider)).json()["data"] == {"node": None}
    # it cannot answer, not even the open round it has seen the id of nowhere
    errors = await refused(client, connection, ANSWER, {"r": opened["surveyRound"]["id"]}, outsider)
    assert codes(errors) == [("roundId", "NOT_FOUND")]
    # it is not counted: the round's participants and the project's partners are unchanged
    participants = await connection.fetchval(
        "SELECT count(*) FROM survey_round_participants WHERE organization_id = $1", world.organizations["outsider"]
    )
    assert participants == 0
    accepted = payload(await gql(client, ACCEPT, {"p": pilot}, outsider))
    assert accepted["projectPartner"] == {"role": "PARTNER", "organization": {"name": "Nordwerke AG"}}
    assert (await gql(client, INVITATIONS, None, outsider))["viewer"]["projectInvitations"] == []
    exit_plan = "query($p: ID!) { node(id: $p) { ... on CooperationProject { exitPlan viewerRole } } }"
    assert (await gql(client, exit_plan, {"p": pilot}, outsider))["node"] == {
        "exitPlan": "IP goes to the lead.",
        "viewerRole": "PARTNER",
    }
    # accepting twice, or an answer that was never asked for, finds no invitation
    assert codes(await refused(client, connection, ACCEPT, {"p": pilot}, outsider)) == [("projectId", "NOT_FOUND")]
    story = world.project_id("story")
    errors = await refused(client, connection, ACCEPT, {"p": story}, world.tokens["startup"])
    assert codes(errors) == [("projectId", "NOT_FOUND")]


async def test_a_declined_invitation_leaves_the_organization_out_and_may_be_renewed(
    client: httpx.AsyncClient, connection: asyncpg.Connection
) -> None:
    world = await build_world(connection)
    pilot = world.project_id("pilot")
    invite = {"input": {"projectId": pilot, "organizationId": world.org_id("outsider"), "role": "PARTNER"}}
    assert payload(await gql(client, INVITE, invite, world.tokens["institute"]))["userErrors"] == []
    again = await refused(client, connection, INVITE, invite, world.tokens["sme"])
    assert codes(again) == [("organizationId", "ALREADY_EXISTS")]
    declined = payload(await gql(client, DECLINE, {"p": pilot}, world.tokens["outsider"]))
    assert declined["invitation"]["status"] == "DECLINED" and declined["invitation"]["answeredAt"]
    assert codes(await refused(client, connection, ACCEPT, {"p": pilot}, world.tokens["outsider"])) == [
        ("projectId", "NOT_FOUND")
    ]
    partners = await connection.fetchval(
        "SELECT count(*) FROM project_partners WHERE project_id = $1", world.projects["pilot"]
    )
    assert partners == 3
    renewed = payload(await gql(client, INVITE, invite, world.tokens["sme"]))
    assert renewed["invitation"]["status"] == "INVITED"
    # an admin adds directly: the pending invitation is replaced by the partnership
    added = payload(await gql(client, INVITE, invite, world.tokens["admin"]))
    assert added["projectPartner"] == {"role": "PARTNER"} and added["invitation"] is None
    assert await connection.fetchval("SELECT count(*) FROM project_invitations") == 0


async def publish_story_with_a_partner_that_stays_anonymous(connection: asyncpg.Connection, world: World) -> None:
    """`story` gets the startup as a second partner, which approved the publication but did not agree to appear."""
    await connection.execute(
        "INSERT INTO project_partners (project_id, organization_id, role, publication_approved_at, on_marketplace) "
        "VALUES ($1, $2, 'PARTNER', now(), false)",
        world.projects["story"],
        world.organizations["startup"],
    )


async def test_the_marketplace_shows_only_partners_that_agreed_and_only_their_public_profile(
    client: httpx.AsyncClient, connection: asyncpg.Connection
) -> None:
    world = await build_world(connection)
    await publish_story_with_a_partner_that_stays_anonymous(connection, world)
    [story] = (await gql(client, MARKETPLACE))["marketplace"]["edges"]
    [partner] = story["node"]["partners"]
    assert partner["role"] == "LEAD" and partner["onMarketplace"] is True
    assert partner["organization"] == {
        "name": "Nordwerke AG",
        "kind": "CORPORATE",
        "industry": "Chemicals",
        "city": "Aachen",
        "country": "DE",
        "website": None,
        "employees": None,
        "foundedYear": None,
        "competencies": [],
        "description": None,
        "projectCount": 1,
    }
    # a member who is no partner of the story: the unlisted partner is absent, its id resolves to nothing,
    # and the story is not among that organization's projects
    sme = world.tokens["sme"]
    [story] = (await gql(client, MARKETPLACE, None, sme))["marketplace"]["edges"]
    assert [p["organization"]["name"] for p in story["node"]["partners"]] == ["Nordwerke AG"]
    hidden = to_base64("ProjectPartner", f"{world.projects['story']}:{world.organizations['startup']}")
    node = "query($id: ID!) { node(id: $id) { id } }"
    assert (await gql(client, node, {"id": hidden}, sme))["node"] is None
    projects = "query($id: ID!) { node(id: $id) { ... on Organization { projectCount projects { edges { node { title } } } } } }"
    seen = (await gql(client, projects, {"id": world.org_id("startup")}, sme))["node"]
    assert seen["projectCount"] == 1 and [e["node"]["title"] for e in seen["projects"]["edges"]] == [
        "Predictive maintenance pilot"
    ]
    # an organization invited to the published project sees, through its invitation, every partner it is
    # asked to join (the project's own page still lists only the consenting ones)
    await connection.execute(
        "INSERT INTO project_invitations (project_id, organization_id, role, invited_by) VALUES ($1, $2, 'PARTNER', $3)",
        world.projects["story"],
        world.organizations["sme"],
        world.organizations["outsider"],
    )
    [invitation] = (await gql(client, INVITATIONS, None, sme))["viewer"]["projectInvitations"]
    assert {p["organization"]["name"] for p in invitation["project"]["partners"]} == {"Nordwerke AG", "Quantivo GmbH"}
    story_partners = "query($id: ID!) { node(id: $id) { ... on CooperationProject { partners { role } } } }"
    assert (await gql(client, story_partners, {"id": world.project_id("story")}, sme))["node"] == {
        "partners": [{"role": "LEAD"}]
    }
    # the story's partners and admins see everything, as before
    for insider in ("startup", "outsider", "admin"):
        [story] = (await gql(client, MARKETPLACE, None, world.tokens[insider]))["marketplace"]["edges"]
        assert len(story["node"]["partners"]) == 2, insider
        assert (await gql(client, node, {"id": hidden}, world.tokens[insider]))["node"] == {"id": hidden}


async def test_publication_needs_every_partners_approval_and_lists_only_those_that_agreed_to_appear(
    client: httpx.AsyncClient, connection: asyncpg.Connection
) -> None:
    world = await build_world(connection)
    pilot, lead = world.project_id("pilot"), world.tokens["sme"]
    assert codes(await refused(client, connection, PUBLISH, {"p": pilot}, lead)) == [("projectId", "CONSENT_REQUIRED")]
    for who, appear in (("sme", True), ("institute", True)):
        assert (
            payload(await gql(client, APPROVE, {"p": pilot, "appear": appear}, world.tokens[who]))["userErrors"] == []
        )
    # one partner missing is enough to refuse
    assert codes(await refused(client, connection, PUBLISH, {"p": pilot}, lead)) == [("projectId", "CONSENT_REQUIRED")]
    approved = payload(await gql(client, APPROVE, {"p": pilot, "appear": False}, world.tokens["startup"]))
    assert approved["projectPartner"] == {"onMarketplace": False}
    assert payload(await gql(client, PUBLISH, {"p": pilot}, lead))["cooperationProject"] == {"published": True}
    listed = "{ marketplace { edges { node { title partners { role organization { name } } } } } }"

    async def marketplace_partners() -> list[str]:
        edges = (await gql(client, listed))["marketplace"]["edges"]
        [pilot_story] = [e["node"] for e in edges if e["node"]["title"] == "Predictive maintenance pilot"]
        return [p["role"] for p in pilot_story["partners"]]

    assert await marketplace_partners() == ["LEAD", "MODERATOR"]
    # a partner may withdraw from the listing after publication
    withdrawn = payload(await gql(client, APPROVE, {"p": pilot, "appear": False}, world.tokens["institute"]))
    assert withdrawn["projectPartner"] == {"onMarketplace": False}
    assert await marketplace_partners() == ["LEAD"]


async def test_organization_names_are_unique_ignoring_case_and_spaces(
    client: httpx.AsyncClient, connection: asyncpg.Connection
) -> None:
    world = await build_world(connection)
    admin = world.tokens["admin"]
    for taken in ("brandt   MASCHINENBAU gmbh", " BrandtMaschinenbau GmbH", "Brandt\tMaschinenbau\u00a0GmbH"):
        errors = await refused(client, connection, CREATE_ORG, {"input": {**ORG_INPUT, "name": taken}}, admin)
        assert codes(errors) == [("name", "ALREADY_EXISTS")], taken
    # the attack: a member renames itself to a competitor's name
    for taken in ("Quantivo GmbH", "QUANTIVO gmbh", "Quantivo  GmbH"):
        change = {"input": {"id": world.org_id("outsider"), "name": taken}}
        errors = await refused(client, connection, UPDATE_ORG, change, world.tokens["outsider"])
        assert codes(errors) == [("name", "ALREADY_EXISTS")], taken
    # its own name in another spelling is no clash
    own = {"input": {"id": world.org_id("outsider"), "name": "NORDWERKE AG"}}
    assert payload(await gql(client, UPDATE_ORG, own, world.tokens["outsider"]))["userErrors"] == []


async def test_the_names_migration_refuses_existing_duplicates_and_says_which(
    fresh_database: str, tmp_path: Path
) -> None:
    before = tmp_path / "before"
    shutil.copytree(MIGRATIONS_DIR, before)
    for path in before.glob("0011_*.sql"):
        path.unlink()
    await migrate(fresh_database, before)
    connection = await asyncpg.connect(fresh_database)
    try:
        await connection.execute(
            "INSERT INTO organizations (kind, name, industry, city, country) VALUES "
            "('SME', 'Acme GmbH', 'x', 'x', 'DE'), ('SME', 'ACME  gmbh', 'x', 'x', 'DE'), "
            "('SME', 'Other AG', 'x', 'x', 'DE')"
        )
    finally:
        await connection.close()
    environment = {**os.environ, "PARTNERPULSE_DATABASE_URL": fresh_database, "DATABASE_URL": fresh_database}
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "partnerpulse", "migrate"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=environment,
        timeout=120,
    )
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr + result.stdout
    [line] = [line for line in result.stderr.splitlines() if "migration failed" in line]
    assert "Acme GmbH (id 1) = ACME  gmbh (id 2)" in line and "Other AG" not in line
    # nothing of 0011 was applied; after a rename it goes through
    connection = await asyncpg.connect(fresh_database)
    try:
        assert await connection.fetchval("SELECT to_regclass('project_invitations')") is None
        await connection.execute("UPDATE organizations SET name = 'Acme Logistik GmbH' WHERE id = 2")
    finally:
        await connection.close()
    assert await migrate(fresh_database) == ["0011"]
