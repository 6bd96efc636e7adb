"""Sign-in for people: a link by e-mail (through the outbox, the worker's sender and a real SMTP server), used
once, expiring, the session cookie and its flags, CSRF refusals, sign-out, revocation by admins, the end of a
removed person's session, and the rate limits of `requestSignInLink`."""

import asyncio
import contextlib
import hashlib
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
import websockets
from redis.asyncio import Redis
from starlette.applications import Starlette

from api.app import create_app
from bench.processes import start_api
from partnerpulse.settings import Settings
from tests.helpers import gql
from tests.helpers.invitations import add_people, body
from tests.helpers.mail import Inbox
from tests.world import World, build_world
from workers.mail import send_due

REQUEST = "mutation($e: String!) { requestSignInLink(input: {email: $e}) { requested userErrors { field code } } }"
VIEWER = "query { viewer { role organization { name } } }"
SESSIONS = "{ sessions { id personName email organization { name } contactPerson { name } userAgent expiresAt } }"
REVOKE = "mutation($id: ID!) { revokeSession(input: {id: $id}) { revokedId userErrors { code } } }"
SIGN_OUT = "mutation { signOut { signedOut userErrors { code } } }"
LINK = re.compile(r"(https?://[^\s/]+)/sign-in/(ps_[A-Za-z0-9_-]+)")
ORIGIN = {"origin": "http://testserver"}


async def ask(client: httpx.AsyncClient, email: str) -> httpx.Response:
    return await client.post("/graphql", json={"query": REQUEST, "variables": {"e": email}})


async def mailed_link(pool: asyncpg.Pool, settings: Settings, inbox: Inbox, recipient: str) -> str:
    """The sign-in token of the last mail the worker's sender delivered to `recipient`."""
    await send_due(pool, settings)
    [message] = [m for m in inbox.messages if m["To"] == recipient][-1:]
    match = LINK.search(body(message))
    assert match, body(message)
    return match.group(2)


async def signed_in(client: httpx.AsyncClient, token: str) -> httpx.Response:
    response = await client.post(f"/sign-in/{token}", headers=ORIGIN)
    return response


async def cookie_query(client: httpx.AsyncClient, query: str, variables: dict | None = None) -> httpx.Response:
    return await client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=ORIGIN)


@contextlib.asynccontextmanager
async def app_client(settings: Settings, base_url: str = "http://testserver") -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield client


async def test_a_mailed_link_starts_one_session_with_the_organizations_rights(
    client: httpx.AsyncClient,
    connection: asyncpg.Connection,
    pool: asyncpg.Pool,
    mail_settings: Settings,
    inbox: Inbox,
) -> None:
    world = await build_world(connection)
    await add_people(connection, world)
    answer = await ask(client, "CEM@quantivo.example ")  # case and spaces do not matter
    assert answer.json()["data"]["requestSignInLink"] == {"requested": True, "userErrors": []}
    token = await mailed_link(pool, mail_settings, inbox, "cem@quantivo.example")
    mail = inbox.messages[-1]
    assert mail["Subject"] == "Your sign-in link for PartnerPulse"  # Cem reads English
    assert f"/sign-in/{token}" in body(mail, "text/html")
    assert LINK.search(body(mail)).group(1) == mail_settings.public_url
    # only a hash is kept, the link works 15 minutes, and the sent mail's body (it held the link) is gone
    link = await connection.fetchrow("SELECT token_hash, expires_at - created_at AS lifetime FROM sign_in_links")
    assert bytes(link["token_hash"]) == hashlib.sha256(token.encode()).digest()
    assert link["lifetime"].total_seconds() == 15 * 60
    assert await connection.fetchval("SELECT text_body FROM outbox_mails WHERE kind = 'SIGN_IN'") is None

    # opening the link uses nothing up (a mail scanner may fetch it); its button does
    page = await client.get(f"/sign-in/{token}")
    assert page.status_code == 200 and 'content="valid"' in page.text and 'method="post"' in page.text
    assert page.headers["cache-control"] == "no-store" and page.headers["referrer-policy"] == "no-referrer"
    started = await signed_in(client, token)
    assert started.status_code == 303 and started.headers["location"] == "/"
    cookie = started.headers["set-cookie"]
    assert cookie.startswith("pp_session=pss_") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # the public URL is http here
    session_token = cookie.split(";")[0].split("=", 1)[1]
    stored = await connection.fetchval("SELECT token_hash FROM person_sessions")
    assert bytes(stored) == hashlib.sha256(session_token.encode()).digest()

    viewer = (await cookie_query(client, VIEWER)).json()["data"]["viewer"]
    assert viewer == {"role": "MEMBER", "organization": {"name": "Quantivo GmbH"}}
    # the rights of the organization: its own project, not the admin's list of sessions
    projects = (await cookie_query(client, "{ cooperationProjects { totalCount } }")).json()["data"]
    assert projects["cooperationProjects"]["totalCount"] == 1
    assert (await cookie_query(client, SESSIONS)).json()["data"]["sessions"] == []

    # single use: the button again, from another browser, is refused and says so
    client.cookies.clear()
    again = await signed_in(client, token)
    assert again.status_code == 410 and 'content="used"' in again.text and "set-cookie" not in again.headers
    assert await connection.fetchval("SELECT count(*) FROM person_sessions") == 1
    # a link that never existed reads like an expired one
    unknown = await client.get(f"/sign-in/ps_{'x' * 43}")
    assert unknown.status_code == 410 and 'content="expired"' in unknown.text


async def test_an_unknown_address_gets_the_same_answer_and_no_mail(
    client: httpx.AsyncClient,
    connection: asyncpg.Connection,
    pool: asyncpg.Pool,
    mail_settings: Settings,
    inbox: Inbox,
) -> None:
    world = await build_world(connection)
    await add_people(connection, world)
    known, unknown = await ask(client, "anna@brandt.example"), await ask(client, "nobody@brandt.example")
    assert known.status_code == unknown.status_code == 200
    assert known.json() == unknown.json()
    assert known.json()["data"] == {"requestSignInLink": {"requested": True, "userErrors": []}}
    assert await send_due(pool, mail_settings) == (1, 0)
    assert [m["To"] for m in inbox.messages] == ["anna@brandt.example"]
    assert inbox.messages[0]["Subject"] == "Ihr Anmeldelink für PartnerPulse"  # Anna reads German
    assert await connection.fetchval("SELECT count(*) FROM sign_in_links") == 1
    # not an address: a clear error, nothing written
    bad = (await ask(client, "anna at brandt")).json()["data"]["requestSignInLink"]
    assert bad == {"requested": False, "userErrors": [{"field": "email", "code": "INVALID"}]}
    assert await connection.fetchval("SELECT count(*) FROM outbox_mails") == 1


async def test_a_link_expires(
    connection: asyncpg.Connection,
    pool: asyncpg.Pool,
    mail_settings: Settings,
    inbox: Inbox,
) -> None:
    world = await build_world(connection)
    await add_people(connection, world)
    short = mail_settings.model_copy(update={"sign_in_link_minutes": 0.02})  # 1.2 s
    async with app_client(short) as client:
        await ask(client, "ben@brandt.example")
        token = await mailed_link(pool, short, inbox, "ben@brandt.example")
        assert (await client.get(f"/sign-in/{token}")).status_code == 200
        await asyncio.sleep(1.5)
        expired = await signed_in(client, token)
        assert expired.status_code == 410 and 'content="expired"' in expired.text
        assert "set-cookie" not in expired.headers
        assert await connection.fetchval("SELECT count(*) FROM person_sessions") == 0


async def session_client(
    client: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings, inbox: Inbox, email: str
) -> None:
    await ask(client, email)
    token = await mailed_link(pool, settings, inbox, email)
    assert (await signed_in(client, token)).status_code == 303


async def test_cookie_requests_from_other_sites_or_forms_are_refused(
    client: httpx.AsyncClient,
    connection: asyncpg.Connection,
    pool: asyncpg.Pool,
    mail_settings: Settings,
    inbox: Inbox,
) -> None:
    world = await build_world(connection)
    await add_people(connection, world)
    await session_client(client, pool, mail_settings, inbox, "anna@brandt.example")
    organization = world.org_id("sme")
    add = (
        f'mutation {{ addContactPerson(input: {{organizationId: "{organization}", name: "Eve", '
        'email: "eve@evil.example"}) { userErrors { code } } }'
    )
    attempts = [
        # a form another site posts: no JSON, and the wrong Origin
        client.post("/graphql", data={"query": add}, headers={"origin": "https://evil.example"}),
        # a form from our own origin still is not JSON
        client.post("/graphql", data={"query": add}, headers=ORIGIN),
        client.post("/graphql", content=add, headers={**ORIGIN, "content-type": "application/graphql"}),
        client.post("/graphql", content=add, headers={**ORIGIN, "content-type": "text/plain"}),
        # JSON with a foreign Origin, and JSON without one
        client.post("/graphql", json={"query": add}, headers={"origin": "https://evil.example"}),
        client.post("/graphql", json={"query": add}),
        # a browser hiding the origin (Origin: null), from another site as its Sec-Fetch-Site says
        client.post("/graphql", json={"query": add}, headers={"origin": "null", "sec-fetch-site": "cross-site"}),
        client.post("/graphql", json={"query": add}, headers={"origin": "null"}),
        # a query by GET from another site
        client.get("/graphql", params={"query": VIEWER}, headers={"origin": "https://evil.example"}),
    ]
    for response in [await attempt for attempt in attempts]:
        assert response.status_code == 403, response.text
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "FORBIDDEN" and (
            "Origin" in error["message"] or "JSON" in error["message"]
        )
    assert await connection.fetchval("SELECT count(*) FROM contact_persons WHERE name = 'Eve'") == 0
    # the same mutation as JSON from our own pages goes through; a GET query from them too
    assert (await client.post("/graphql", json={"query": add}, headers=ORIGIN)).json()["data"]["addContactPerson"][
        "userErrors"
    ] == []
    # our own pages send no referrer, so Chromium says `Origin: null` and `Sec-Fetch-Site: same-origin`
    own_page = {"origin": "null", "sec-fetch-site": "same-origin"}
    assert (await client.post("/graphql", json={"query": VIEWER}, headers=own_page)).status_code == 200
    read = await client.get("/graphql", params={"query": VIEWER}, headers={"accept": "application/json"})
    assert read.status_code == 200 and read.json()["data"]["viewer"]["organization"]["name"].startswith("Brandt")
    # a machine with a token is judged by the token alone: no Origin needed, cookie or not
    with_token = await client.post(
        "/graphql", json={"query": VIEWER}, headers={"authorization": f"Bearer {world.tokens['admin']}"}
    )
    assert with_token.status_code == 200 and with_token.json()["data"]["viewer"]["role"] == "ADMIN"


async def test_sign_out_revocation_and_removal_end_a_session(
    app: Starlette,
    connection: asyncpg.Connection,
    pool: asyncpg.Pool,
    mail_settings: Settings,
    inbox: Inbox,
) -> None:
    world = await build_world(connection)
    people = await add_people(connection, world)
    clients = [httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") for _ in "abc"]
    anna, ben, cem = clients
    try:
        await session_client(anna, pool, mail_settings, inbox, "anna@brandt.example")
        await session_client(ben, pool, mail_settings, inbox, "ben@brandt.example")
        await session_client(cem, pool, mail_settings, inbox, "cem@quantivo.example")
        listed = (await gql(anna, SESSIONS, token=world.tokens["admin"]))["sessions"]
        assert [s["email"] for s in listed] == ["cem@quantivo.example", "ben@brandt.example", "anna@brandt.example"]
        assert (
            listed[0]["organization"]["name"] == "Quantivo GmbH"
            and listed[0]["contactPerson"]["name"] == "Cem Quantivo"
        )
        # members neither list nor revoke sessions
        assert (await gql(anna, SESSIONS, token=world.tokens["sme"]))["sessions"] == []
        refused = await gql(anna, REVOKE, {"id": listed[0]["id"]}, world.tokens["sme"])
        assert refused["revokeSession"] == {"revokedId": None, "userErrors": [{"code": "FORBIDDEN"}]}
        assert (await cookie_query(cem, VIEWER)).status_code == 200

        # the admin revokes Cem's session: his next request is a 401 that clears the cookie
        revoked = await gql(anna, REVOKE, {"id": listed[0]["id"]}, world.tokens["admin"])
        assert revoked["revokeSession"] == {"revokedId": listed[0]["id"], "userErrors": []}
        ended = await cookie_query(cem, VIEWER)
        assert ended.status_code == 401 and ended.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert 'pp_session=""' in ended.headers["set-cookie"] and "Max-Age=0" in ended.headers["set-cookie"]
        again = await gql(anna, REVOKE, {"id": listed[0]["id"]}, world.tokens["admin"])
        assert again["revokeSession"]["userErrors"] == [{"code": "NOT_FOUND"}]

        # Anna signs out herself
        out = await cookie_query(anna, SIGN_OUT)
        assert out.json()["data"]["signOut"] == {"signedOut": True, "userErrors": []}
        assert "pp_session=" in out.headers["set-cookie"] and "Max-Age=0" in out.headers["set-cookie"]
        assert "pp_session" not in anna.cookies
        # a token is not a session to sign out of
        assert (await gql(anna, SIGN_OUT, token=world.tokens["sme"]))["signOut"]["userErrors"] == [
            {"code": "FORBIDDEN"}
        ]

        # Ben is removed as a contact person: his session ends with him
        assert (await cookie_query(ben, VIEWER)).status_code == 200
        await connection.execute("DELETE FROM contact_persons WHERE id = $1", people["ben"])
        assert (await cookie_query(ben, VIEWER)).status_code == 401
        assert await connection.fetchval("SELECT count(*) FROM person_sessions WHERE revoked_at IS NULL") == 0
    finally:
        for each in clients:
            await each.aclose()


async def test_the_cookie_is_secure_when_the_public_url_is_https(
    connection: asyncpg.Connection,
    pool: asyncpg.Pool,
    mail_settings: Settings,
    inbox: Inbox,
) -> None:
    world = await build_world(connection)
    await add_people(connection, world)
    public = mail_settings.model_copy(update={"public_url": "https://pulse.example"})
    async with app_client(public, base_url="https://pulse.example") as client:
        await ask(client, "anna@brandt.example")
        token = await mailed_link(pool, public, inbox, "anna@brandt.example")
        assert LINK.search(body(inbox.messages[-1])).group(1) == "https://pulse.example"
        started = await client.post(f"/sign-in/{token}", headers={"origin": "https://pulse.example"})
        assert started.status_code == 303 and "Secure" in started.headers["set-cookie"]
        response = await client.post("/graphql", json={"query": VIEWER}, headers={"origin": "https://pulse.example"})
        assert response.json()["data"]["viewer"]["organization"]["name"] == "Brandt Maschinenbau GmbH"
    # another site cannot sign a visitor in with a link of its own (login CSRF)
    async with app_client(public, base_url="https://pulse.example") as client:
        await ask(client, "ben@brandt.example")
        token = await mailed_link(pool, public, inbox, "ben@brandt.example")
        foreign = await client.post(f"/sign-in/{token}", headers={"origin": "https://evil.example"})
        assert foreign.status_code == 403 and "set-cookie" not in foreign.headers


async def test_sign_in_links_are_rate_limited_per_address_and_per_client(
    connection: asyncpg.Connection, redis: Redis, settings: Settings
) -> None:
    world: World = await build_world(connection)
    await add_people(connection, world)
    limited = settings.model_copy(update={"rate_limits": True})
    async with app_client(limited) as client:
        # one address: three at once (the burst), then refused, known or not
        answers = [await ask(client, "anna@brandt.example") for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert answers[3].json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        assert int(answers[3].headers["retry-after"]) > 60
        assert await connection.fetchval("SELECT count(*) FROM outbox_mails") == 3
        # one client, many addresses: five at once in all (four were asked for above), then refused
        others = [await ask(client, f"guess{n}@brandt.example") for n in range(3)]
        assert [a.status_code for a in others] == [200, 429, 429]
    assert await connection.fetchval("SELECT count(*) FROM outbox_mails") == 3


async def test_the_websocket_takes_the_cookie_from_our_own_origin_only(
    connection: asyncpg.Connection, settings: Settings, tmp_path: Path
) -> None:
    world = await build_world(connection)
    people = await add_people(connection, world)
    session_token = "pss_" + "w" * 43
    await connection.execute(
        "INSERT INTO person_sessions (token_hash, contact_person_id, expires_at) VALUES ($1, $2, now() + interval '1 hour')",
        hashlib.sha256(session_token.encode()).digest(),
        people["cem"],
    )
    api, url = start_api(settings, tmp_path / "api.log")
    ws_url = url.replace("http", "ws") + "/graphql"
    cookie = {"cookie": f"pp_session={session_token}"}
    try:
        # another site's page: refused at the handshake (strawberry's origin check; ours would close with 4403)
        with pytest.raises(websockets.InvalidStatus) as refused:
            await websockets.connect(
                ws_url,
                subprotocols=["graphql-transport-ws"],
                additional_headers={**cookie, "origin": "https://evil.example"},
            )
        assert refused.value.response.status_code == 403
        socket = await websockets.connect(
            ws_url, subprotocols=["graphql-transport-ws"], additional_headers={**cookie, "origin": url}
        )
        await socket.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(await asyncio.wait_for(socket.recv(), 5))["type"] == "connection_ack"
        query = "query Me { viewer { organization { name } } }"
        await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        answer = json.loads(await asyncio.wait_for(socket.recv(), 5))
        assert answer["payload"]["data"]["viewer"]["organization"]["name"] == "Quantivo GmbH"
        await socket.close()
        # a session that ended: refused at connection_init
        await connection.execute("UPDATE person_sessions SET revoked_at = now()")
        socket = await websockets.connect(
            ws_url, subprotocols=["graphql-transport-ws"], additional_headers={**cookie, "origin": url}
        )
        await socket.send(json.dumps({"type": "connection_init", "payload": {}}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), 5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
    finally:
        api.stop()
