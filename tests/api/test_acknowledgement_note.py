"""acknowledgeRiskFlag with a note: kept with the flag, read by whoever sees the flag, replaced by a later
note, refused (changing nothing) when too long."""

import asyncpg
import httpx
from strawberry.relay import to_base64

from tests.helpers import gql
from tests.world import build_world

ACKNOWLEDGE = """mutation($id: ID!, $note: String) { acknowledgeRiskFlag(input: {id: $id, note: $note}) {
  riskFlag { acknowledgedAt acknowledgementNote } userErrors { field code } } }"""
FLAGS = "query($p: ID!) { node(id: $p) { ... on CooperationProject { riskFlags { acknowledgementNote } } } }"


async def test_a_note_is_kept_replaced_and_checked(client: httpx.AsyncClient, connection: asyncpg.Connection) -> None:
    world = await build_world(connection)
    flag = await connection.fetchval(
        "INSERT INTO risk_flags (project_id, reason, severity, explanations, audience) "
        "VALUES ($1, 'NO_EXIT_PLAN', 'LOW', jsonb_build_object('en', 'No exit plan.'), 'PARTNERS') RETURNING id",
        world.projects["pilot"],
    )
    flag_id = to_base64("RiskFlag", flag)
    too_long = await gql(client, ACKNOWLEDGE, {"id": flag_id, "note": "x" * 2001}, world.tokens["sme"])
    assert too_long["acknowledgeRiskFlag"] == {"riskFlag": None, "userErrors": [{"field": "note", "code": "INVALID"}]}
    assert await connection.fetchval("SELECT acknowledged_at FROM risk_flags") is None
    first = await gql(client, ACKNOWLEDGE, {"id": flag_id, "note": "Exit plan drafted."}, world.tokens["sme"])
    assert first["acknowledgeRiskFlag"]["riskFlag"]["acknowledgementNote"] == "Exit plan drafted."
    acknowledged_at = first["acknowledgeRiskFlag"]["riskFlag"]["acknowledgedAt"]
    # the partner reads the note with the flag; a later note replaces it, the first acknowledgement's time stays
    seen = await gql(client, FLAGS, {"p": world.project_id("pilot")}, world.tokens["startup"])
    assert seen["node"]["riskFlags"] == [{"acknowledgementNote": "Exit plan drafted."}]
    later = await gql(client, ACKNOWLEDGE, {"id": flag_id, "note": "Signed on Friday."}, world.tokens["institute"])
    assert later["acknowledgeRiskFlag"]["riskFlag"] == {
        "acknowledgedAt": acknowledged_at,
        "acknowledgementNote": "Signed on Friday.",
    }
    # without a note the note stays
    plain = await gql(client, ACKNOWLEDGE, {"id": flag_id}, world.tokens["sme"])
    assert plain["acknowledgeRiskFlag"]["riskFlag"]["acknowledgementNote"] == "Signed on Friday."
