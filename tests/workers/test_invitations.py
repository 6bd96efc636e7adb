"""Invitations when a round opens, reminders to non-responders on the configured days, and who sees what."""

import asyncio
import re

import asyncpg
import httpx

from db import invitations
from partnerpulse.settings import Settings
from tests.helpers import gql
from tests.helpers.invitations import add_people, body, open_pilot_round
from tests.helpers.mail import Inbox
from tests.helpers.surveys import SUBMIT, answer
from tests.world import build_world
from workers.mail import remind, send_due

INVITATIONS = """query($r: ID!) { node(id: $r) { ... on SurveyRound {
  invitations { organization { name } sentAt remindedAt answeredAt } } } }"""
PENDING = "{ viewer { pendingSurveyRounds { id sequence project { title } } } }"
LINK = re.compile(r"(https?://\S+)/answer/(pa_[A-Za-z0-9_-]+)")


async def test_opening_a_round_invites_every_contact_person_of_the_answering_partners(
    client: httpx.AsyncClient, connection: asyncpg.Connection, pool: asyncpg.Pool, mail_settings: Settings, inbox: Inbox
) -> None:
    world = await build_world(connection)
    await add_people(connection, world)
    round_id = await open_pilot_round(client, world)
    # the moderator's person is not invited: moderators do not answer
    queued = await connection.fetch("SELECT recipient, kind, sent_at FROM outbox_mails ORDER BY recipient")
    assert [(r["recipient"], r["kind"]) for r in queued] == [
        ("anna@brandt.example", "INVITATION"), ("ben@brandt.example", "INVITATION"), ("cem@quantivo.example", "INVITATION"),
    ]  # fmt: skip
    moderator_view = (await gql(client, INVITATIONS, {"r": round_id}, world.tokens["institute"]))["node"]["invitations"]
    assert [i["sentAt"] for i in moderator_view] == [None, None]
    assert await send_due(pool, mail_settings) == (3, 0)
    by_recipient = {m["To"]: m for m in inbox.messages}
    assert set(by_recipient) == {"anna@brandt.example", "ben@brandt.example", "cem@quantivo.example"}
    german, english = by_recipient["anna@brandt.example"], by_recipient["ben@brandt.example"]
    assert "Pulsbefragung Nr. 1" in body(german) and "Guten Tag Anna Brandt" in body(german)
    assert "pulse survey no. 1" in body(english) and "Predictive maintenance pilot" in english["Subject"]
    link = LINK.search(body(german))
    assert link and link.group(1) == mail_settings.public_url.rstrip("/")
    assert f'href="{link.group(0)}"' in body(german, "text/html")
    # each person has a link of their own; each link is a credential for this round and organization
    tokens = {LINK.search(body(m)).group(2) for m in inbox.messages}
    assert len(tokens) == 3
    scopes = {tuple(await invitations.answer_scope(connection, token)) for token in tokens}
    round_db_id = await connection.fetchval("SELECT id FROM survey_rounds")
    assert scopes == {(round_db_id, world.organizations["sme"]), (round_db_id, world.organizations["startup"])}
    assert await connection.fetchval("SELECT count(*) FROM answer_tokens WHERE token_hash IS NOT NULL") == 3
    assert await connection.fetchval("SELECT count(*) FROM outbox_mails WHERE text_body LIKE '%pa_%'") == 0

    moderator_view = (await gql(client, INVITATIONS, {"r": round_id}, world.tokens["institute"]))["node"]["invitations"]
    assert sorted(i["organization"]["name"] for i in moderator_view) == ["Brandt Maschinenbau GmbH", "Quantivo GmbH"]
    assert all(i["sentAt"] and i["remindedAt"] is None and i["answeredAt"] is None for i in moderator_view)
    # a plain partner does not see who answered
    assert (await gql(client, INVITATIONS, {"r": round_id}, world.tokens["startup"]))["node"]["invitations"] == []

    pending = (await gql(client, PENDING, token=world.tokens["startup"]))["viewer"]["pendingSurveyRounds"]
    assert [(p["id"], p["project"]["title"]) for p in pending] == [(round_id, "Predictive maintenance pilot")]
    assert (await gql(client, PENDING, token=world.tokens["institute"]))["viewer"]["pendingSurveyRounds"] == []
    # a partner recorded as having left the project is no longer asked (nor can it answer)
    left = "UPDATE project_partners SET left_on = {} WHERE organization_id = $1"
    await connection.execute(left.format("current_date"), world.organizations["sme"])
    assert (await gql(client, PENDING, token=world.tokens["sme"]))["viewer"]["pendingSurveyRounds"] == []
    await connection.execute(left.format("NULL"), world.organizations["sme"])
    assert len((await gql(client, PENDING, token=world.tokens["sme"]))["viewer"]["pendingSurveyRounds"]) == 1
    assert (await gql(client, PENDING, token=world.tokens["admin"]))["viewer"]["pendingSurveyRounds"] == []
    assert (await gql(client, SUBMIT, answer(round_id), world.tokens["startup"]))["submitSurveyResponse"][
        "userErrors"
    ] == []
    assert (await gql(client, PENDING, token=world.tokens["startup"]))["viewer"]["pendingSurveyRounds"] == []
    answered = (await gql(client, INVITATIONS, {"r": round_id}, world.tokens["admin"]))["node"]["invitations"]
    by_name = {i["organization"]["name"]: i["answeredAt"] for i in answered}
    assert by_name["Quantivo GmbH"] is not None and by_name["Brandt Maschinenbau GmbH"] is None


async def test_reminders_go_to_non_responders_on_the_configured_days_and_never_twice(
    client: httpx.AsyncClient, connection: asyncpg.Connection, pool: asyncpg.Pool, mail_settings: Settings, inbox: Inbox
) -> None:
    world = await build_world(connection)
    people = await add_people(connection, world)
    await connection.execute("UPDATE contact_persons SET reminders = false WHERE id = $1", people["ben"])
    round_id = await open_pilot_round(client, world)
    assert await send_due(pool, mail_settings) == (3, 0)
    inbox.messages.clear()
    ctx = {"pool": pool, "settings": mail_settings.model_copy(update={"survey_reminder_days": "3,5"})}

    async def days_pass(days: float) -> None:
        await connection.execute(
            "UPDATE survey_rounds SET opened_at = opened_at - make_interval(secs => $1)", days * 86400
        )

    assert await remind(ctx) == 0  # day 0: nothing due
    await days_pass(2.9)
    assert await remind(ctx) == 0
    # the startup answers; on day 3 only the SME is reminded, and only Anna (Ben opted out)
    assert (await gql(client, SUBMIT, answer(round_id), world.tokens["startup"]))["submitSurveyResponse"][
        "userErrors"
    ] == []
    await days_pass(0.2)
    results = await asyncio.gather(remind(ctx), remind(ctx))  # two workers' cron runs at once
    assert sorted(results) == [0, 1]
    assert [m["To"] for m in inbox.messages] == ["anna@brandt.example"]
    assert "Erinnerung" in inbox.messages[0]["Subject"] and LINK.search(body(inbox.messages[0]))
    assert await remind(ctx) == 0  # the day-3 reminder went out already
    await days_pass(2.0)  # day 5.1
    assert await remind(ctx) == 1
    assert await remind(ctx) == 0  # no third reminder is configured
    assert [m["To"] for m in inbox.messages] == ["anna@brandt.example"] * 2
    admin_view = (await gql(client, INVITATIONS, {"r": round_id}, world.tokens["admin"]))["node"]["invitations"]
    reminded = {i["organization"]["name"]: i["remindedAt"] for i in admin_view}
    assert reminded["Brandt Maschinenbau GmbH"] is not None and reminded["Quantivo GmbH"] is None


async def test_fractional_days_and_no_reminder_after_the_round_closed(
    client: httpx.AsyncClient, connection: asyncpg.Connection, pool: asyncpg.Pool, mail_settings: Settings, inbox: Inbox
) -> None:
    world = await build_world(connection)
    await add_people(connection, world)
    await open_pilot_round(client, world)
    ctx = {"pool": pool, "settings": mail_settings.model_copy(update={"survey_reminder_days": "0.00001"})}  # 0.86 s
    assert await remind(ctx) == 0
    await asyncio.sleep(1.0)
    assert await remind(ctx) == 3  # both answering organizations' people
    # the next round closes before its reminder falls due: nobody is reminded, and its links stop working
    await connection.execute("UPDATE survey_rounds SET status = 'CLOSED', closed_at = now()")
    await open_pilot_round(client, world)
    second = await connection.fetchval("SELECT id FROM survey_rounds WHERE status = 'OPEN'")
    await connection.execute("UPDATE survey_rounds SET status = 'CLOSED', closed_at = now() WHERE id = $1", second)
    await asyncio.sleep(1.0)
    assert await remind(ctx) == 0
    assert await connection.fetchval("SELECT count(*) FROM outbox_mails WHERE round_id = $1", second) == 3
    assert await connection.fetchval("SELECT count(*) FROM outbox_mails WHERE kind = 'REMINDER'") == 3


ANSWER_LINK = """{ answerLink { roundId sequence status projectTitle organizationName partnerNames
  myResponse { overall comment } } }"""


async def test_an_answer_link_reads_its_round_answers_it_and_nothing_else(
    client: httpx.AsyncClient, connection: asyncpg.Connection, pool: asyncpg.Pool, mail_settings: Settings, inbox: Inbox
) -> None:
    from tests.helpers import graphql

    world = await build_world(connection)
    await add_people(connection, world)
    round_id = await open_pilot_round(client, world)
    await send_due(pool, mail_settings)
    link = {m["To"]: LINK.search(body(m)).group(2) for m in inbox.messages}["cem@quantivo.example"]
    page = (await gql(client, ANSWER_LINK, token=link))["answerLink"]
    assert page == {
        "roundId": round_id, "sequence": 1, "status": "OPEN", "projectTitle": "Predictive maintenance pilot",
        "organizationName": "Quantivo GmbH",
        "partnerNames": ["Brandt Maschinenbau GmbH", "Institut für Produktionstechnik Aachen", "Quantivo GmbH"],
        "myResponse": None,
    }  # fmt: skip
    # nothing else: not the viewer, not a node, not another mutation, not through a fragment
    for document in (
        "{ viewer { role } }",
        "{ cooperationProjects { totalCount } }",
        f'{{ node(id: "{round_id}") {{ id }} }}',
        "{ ... on Query { viewer { role } } }",
        f'mutation {{ closeSurveyRound(input: {{roundId: "{round_id}"}}) {{ userErrors {{ code }} }} }}',
    ):
        refused = (await graphql(client, document, token=link)).json()
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN" and refused.get("data") is None, document
    # another round is not this link's: a second project's round
    other = await connection.fetchval(
        "INSERT INTO survey_rounds (project_id, sequence) VALUES ($1, 1) RETURNING id", world.projects["story"]
    )
    from strawberry.relay import to_base64

    foreign = (await gql(client, SUBMIT, answer(to_base64("SurveyRound", other)), link))["submitSurveyResponse"]
    assert [e["code"] for e in foreign["userErrors"]] == ["NOT_FOUND"]
    stored = await gql(client, SUBMIT, answer(round_id, 2, comment="Slow decisions", idempotencyKey="k1"), link)
    assert stored["submitSurveyResponse"]["userErrors"] == []
    assert stored["submitSurveyResponse"]["surveyResponse"]["organization"]["name"] == "Quantivo GmbH"
    # the same key again is a safe retry; a new answer is refused
    replay = (await gql(client, SUBMIT, answer(round_id, 2, idempotencyKey="k1"), link))["submitSurveyResponse"]
    assert (
        replay["userErrors"] == []
        and replay["surveyResponse"]["id"] == stored["submitSurveyResponse"]["surveyResponse"]["id"]
    )
    again = (await gql(client, SUBMIT, answer(round_id, 5, idempotencyKey="k2"), link))["submitSurveyResponse"]
    assert [e["code"] for e in again["userErrors"]] == ["ALREADY_ANSWERED"]
    page = (await gql(client, ANSWER_LINK, token=link))["answerLink"]
    assert page["myResponse"] == {"overall": 2, "comment": "Slow decisions"}
    assert await connection.fetchval("SELECT count(*) FROM survey_responses") == 1
    # the round closes: the link stops working at once
    close = await gql(
        client,
        "mutation($r: ID!) { closeSurveyRound(input: {roundId: $r}) { userErrors { code } } }",
        {"r": round_id},
        world.tokens["sme"],
    )
    assert close["closeSurveyRound"]["userErrors"] == []
    expired = await graphql(client, ANSWER_LINK, token=link)
    assert expired.status_code == 401
    unknown = await graphql(client, ANSWER_LINK, token="pa_" + "x" * 43)
    assert unknown.status_code == 401
    # a member token reads no answer link
    assert (await gql(client, ANSWER_LINK, token=world.tokens["startup"]))["answerLink"] is None
