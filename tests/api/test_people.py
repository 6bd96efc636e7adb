"""Contact persons: who may add and remove them, bad input, and what removing deletes."""

import asyncpg
import httpx

from tests.helpers import gql
from tests.world import build_world

ERRORS = "userErrors { field code message }"
ADD = f"""mutation($input: AddContactPersonInput!) {{ addContactPerson(input: $input) {{
  contactPerson {{ id name email language receivesReminders organization {{ name }} }} {ERRORS} }} }}"""
REMOVE = f"mutation($id: ID!) {{ removeContactPerson(input: {{id: $id}}) {{ removedId {ERRORS} }} }}"
OPT_OUT = f"""mutation($id: ID!) {{ setContactPersonReminders(input: {{id: $id, receivesReminders: false}}) {{
  contactPerson {{ receivesReminders }} {ERRORS} }} }}"""
PEOPLE = "query($id: ID!) { node(id: $id) { ... on Organization { contactPersons { name email } } } }"


def person(organization_id: str, email: str = "anna.brandt@brandt.example", **change) -> dict:
    return {
        "input": {"organizationId": organization_id, "name": "Anna Brandt", "email": email, "language": "EN", **change}
    }


async def test_the_organization_and_admins_add_people_others_may_not(
    client: httpx.AsyncClient, connection: asyncpg.Connection
) -> None:
    world = await build_world(connection)
    sme = world.org_id("sme")
    own = (await gql(client, ADD, person(sme, " anna.brandt@brandt.example "), world.tokens["sme"]))["addContactPerson"]
    assert own["userErrors"] == []
    assert own["contactPerson"]["email"] == "anna.brandt@brandt.example"
    assert own["contactPerson"]["language"] == "EN" and own["contactPerson"]["receivesReminders"] is True
    assert own["contactPerson"]["organization"]["name"] == "Brandt Maschinenbau GmbH"
    by_admin = (await gql(client, ADD, person(sme, "it@brandt.example"), world.tokens["admin"]))["addContactPerson"]
    assert by_admin["userErrors"] == []
    foreign = (await gql(client, ADD, person(sme, "x@quantivo.example"), world.tokens["startup"]))["addContactPerson"]
    assert [e["code"] for e in foreign["userErrors"]] == ["FORBIDDEN"] and foreign["contactPerson"] is None
    anonymous = (await gql(client, ADD, person(sme, "y@brandt.example")))["addContactPerson"]
    assert [e["code"] for e in anonymous["userErrors"]] == ["UNAUTHENTICATED"]
    # the people are seen by the organization itself and admins only
    own_view = (await gql(client, PEOPLE, {"id": sme}, world.tokens["sme"]))["node"]["contactPersons"]
    assert [p["email"] for p in own_view] == ["anna.brandt@brandt.example", "it@brandt.example"]
    assert len((await gql(client, PEOPLE, {"id": sme}, world.tokens["admin"]))["node"]["contactPersons"]) == 2
    assert (await gql(client, PEOPLE, {"id": sme}, world.tokens["startup"]))["node"]["contactPersons"] == []
    node = await gql(
        client, "query($id: ID!) { node(id: $id) { id } }", {"id": own["contactPerson"]["id"]}, world.tokens["startup"]
    )
    assert node["node"] is None
    assert await connection.fetchval("SELECT count(*) FROM contact_persons") == 2


async def test_invalid_and_duplicate_addresses_are_refused_and_change_nothing(
    client: httpx.AsyncClient, connection: asyncpg.Connection
) -> None:
    world = await build_world(connection)
    sme, token = world.org_id("sme"), world.tokens["sme"]
    assert (await gql(client, ADD, person(sme), token))["addContactPerson"]["userErrors"] == []
    for bad in ("no-at-sign", "a@b", "two words@x.example", "", "a" * 250 + "@x.de"):
        payload = (await gql(client, ADD, person(sme, bad), token))["addContactPerson"]
        assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [("email", "INVALID")], bad
    blank = (await gql(client, ADD, person(sme, "ok@brandt.example", name="  "), token))["addContactPerson"]
    assert [(e["field"], e["code"]) for e in blank["userErrors"]] == [("name", "INVALID")]
    # the same address again, in other case, even for another organization
    again = await gql(
        client, ADD, person(world.org_id("startup"), "Anna.Brandt@BRANDT.example"), world.tokens["startup"]
    )
    assert [(e["field"], e["code"]) for e in again["addContactPerson"]["userErrors"]] == [("email", "ALREADY_EXISTS")]
    missing = (await gql(client, ADD, person("T3JnOjk5OQ=="), token))["addContactPerson"]
    assert [e["code"] for e in missing["userErrors"]] == ["NOT_FOUND"]
    assert await connection.fetchval("SELECT count(*) FROM contact_persons") == 1


async def test_removing_a_person_deletes_their_data_and_keeps_the_answers(
    client: httpx.AsyncClient, connection: asyncpg.Connection
) -> None:
    world = await build_world(connection)
    added = await gql(client, ADD, person(world.org_id("startup"), "ceo@quantivo.example"), world.tokens["startup"])
    person_id = added["addContactPerson"]["contactPerson"]["id"]
    database_id = await connection.fetchval("SELECT id FROM contact_persons")
    round_id = await connection.fetchval(
        "INSERT INTO survey_rounds (project_id, sequence) VALUES ($1, 1) RETURNING id", world.projects["pilot"]
    )
    await connection.execute(
        "INSERT INTO survey_responses (round_id, organization_id, overall, expectations_met, mutual_benefit, "
        "decision_speed, communication_trust, continue_likelihood) VALUES ($1, $2, 4, 4, 4, 4, 4, 8)",
        round_id,
        world.organizations["startup"],
    )
    await connection.execute(
        "INSERT INTO outbox_mails (kind, round_id, contact_person_id, recipient, subject, text_body, html_body) "
        "VALUES ('INVITATION', $1, $2, 'ceo@quantivo.example', 's', 't', 'h')",
        round_id,
        database_id,
    )
    opted = (await gql(client, OPT_OUT, {"id": person_id}, world.tokens["startup"]))["setContactPersonReminders"]
    assert opted == {"contactPerson": {"receivesReminders": False}, "userErrors": []}
    foreign = (await gql(client, REMOVE, {"id": person_id}, world.tokens["sme"]))["removeContactPerson"]
    assert [e["code"] for e in foreign["userErrors"]] == ["NOT_FOUND"]
    removed = (await gql(client, REMOVE, {"id": person_id}, world.tokens["startup"]))["removeContactPerson"]
    assert removed == {"removedId": person_id, "userErrors": []}
    assert await connection.fetchval("SELECT count(*) FROM contact_persons") == 0
    assert await connection.fetchval("SELECT count(*) FROM outbox_mails WHERE recipient LIKE '%quantivo%'") == 0
    assert await connection.fetchval("SELECT count(*) FROM survey_responses") == 1
    twice = (await gql(client, REMOVE, {"id": person_id}, world.tokens["startup"]))["removeContactPerson"]
    assert [e["code"] for e in twice["userErrors"]] == ["NOT_FOUND"]
