import asyncio
import hashlib
import os
import subprocess
import sys
import time

import asyncpg
import httpx
import pytest

from api.auth import Principal, Role, TokenCache
from db.tokens import create_token, find_token, record_token_use, revoke_token
from partnerpulse.settings import Settings
from schema.ids import organization_global_id
from tests.helpers import graphql

VIEWER = "{ viewer { role } }"


async def test_only_the_hash_is_stored(connection: asyncpg.Connection) -> None:
    token_id, token = await create_token(connection, organization_id=None, label="ops")
    row = await connection.fetchrow("SELECT * FROM api_tokens WHERE id = $1", token_id)
    assert bytes(row["token_hash"]) == hashlib.sha256(token.encode()).digest()
    stored_text = " ".join(str(value) for value in row.values())
    assert token not in stored_text and token[3:] not in stored_text


async def test_a_revoked_or_unknown_token_does_not_authenticate(connection: asyncpg.Connection) -> None:
    token_id, token = await create_token(connection, organization_id=None)
    assert (await find_token(connection, token)).id == token_id
    assert await find_token(connection, token + "x") is None
    assert await find_token(connection, "not-a-token") is None
    assert await revoke_token(connection, token_id)
    assert await find_token(connection, token) is None
    assert not await revoke_token(connection, token_id)


def run_cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": settings.database_url or "", "REDIS_URL": settings.redis_url or ""}
    return subprocess.run(
        [sys.executable, "-m", "partnerpulse", *args], env=env, capture_output=True, text=True, timeout=60
    )


async def test_cli_admin_token_authenticates_until_revoked(settings: Settings, client: httpx.AsyncClient) -> None:
    created = run_cli(settings, "token", "create", "--admin", "--label", "test")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    response = await graphql(client, VIEWER, token=token)
    assert response.json()["data"] == {"viewer": {"role": "ADMIN"}}

    token_id = created.stderr.split("token ", 1)[1].split(" ", 1)[0]
    revoked = run_cli(settings, "token", "revoke", token_id)
    assert revoked.returncode == 0, revoked.stderr
    revoked_at = time.monotonic()
    # the API trusted the token it just checked for token_cache_seconds; then the revocation holds
    while (await graphql(client, VIEWER, token=token)).status_code != 401:
        assert time.monotonic() - revoked_at < settings.token_cache_seconds + 1, "the revoked token still works"
        await asyncio.sleep(0.1)
    assert (await graphql(client, VIEWER, token=token)).status_code == 401


async def test_cli_member_token_for_an_organization(
    settings: Settings, connection: asyncpg.Connection, client: httpx.AsyncClient
) -> None:
    organization_id = await connection.fetchval(
        "INSERT INTO organizations (kind, name, industry, city, country) "
        "VALUES ('STARTUP', 'Quantivo GmbH', 'Software & IT', 'Berlin', 'DE') RETURNING id"
    )
    created = run_cli(settings, "token", "create", "--organization", organization_global_id("STARTUP", organization_id))
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    assert (await graphql(client, VIEWER, token=token)).json()["data"] == {"viewer": {"role": "MEMBER"}}
    stored = await connection.fetchrow("SELECT organization_id, is_admin FROM api_tokens")
    assert (stored["organization_id"], stored["is_admin"]) == (organization_id, False)


@pytest.mark.parametrize(
    "args",
    [
        ["token", "create"],
        ["token", "create", "--admin", "--organization", organization_global_id("SME", 1)],
        ["token", "create", "--organization", "not-a-global-id"],
        ["token", "create", "--organization", organization_global_id("SME", 987654)],
    ],
    ids=["neither", "both", "malformed id", "unknown organization"],
)
async def test_cli_refuses_bad_token_requests(settings: Settings, connection: asyncpg.Connection, args) -> None:
    result = run_cli(settings, *args)
    assert result.returncode != 0
    assert await connection.fetchval("SELECT count(*) FROM api_tokens") == 0


def test_the_token_cache_expires_and_stays_bounded() -> None:
    principal = Principal(Role.ADMIN, token_id=1)
    cache = TokenCache(seconds=0.2, max_entries=3)
    cache.put(b"a", principal)
    assert cache.get(b"a") == principal
    time.sleep(0.25)
    assert cache.get(b"a") is None
    for digest in (b"1", b"2", b"3", b"4"):
        cache.put(digest, principal)
    assert len(cache._entries) <= 3 and cache.get(b"4") == principal
    switched_off = TokenCache(seconds=0)
    switched_off.put(b"a", principal)
    assert switched_off.get(b"a") is None


async def test_cli_lists_tokens_with_their_use_and_revocation(
    settings: Settings, connection: asyncpg.Connection
) -> None:
    organization_id = await connection.fetchval(
        "INSERT INTO organizations (kind, name, industry, city, country) "
        "VALUES ('SME', 'Brandt Maschinenbau GmbH', 'Manufacturing', 'Köln', 'DE') RETURNING id"
    )
    admin_id, _ = await create_token(connection, organization_id=None, label="reporting")
    member_id, _ = await create_token(connection, organization_id=organization_id, label="dashboard")
    await record_token_use(connection, [admin_id])
    assert run_cli(settings, "token", "revoke", str(member_id)).returncode == 0

    listed = run_cli(settings, "token", "list")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["id", "label", "organization", "created", "last", "used", "revoked"]
    assert [line.split()[0] for line in lines[1:]] == [str(admin_id)]  # revoked ones only with --all
    assert "reporting" in lines[1] and "admin (whole network)" in lines[1] and "never" not in lines[1]
    assert lines[1].count(" UTC") == 2  # created and last used, not revoked

    everything = run_cli(settings, "token", "list", "--all").stdout.splitlines()
    member = next(line for line in everything if line.startswith(f"{member_id} "))
    sme_id = organization_global_id("SME", organization_id)
    assert f"Brandt Maschinenbau GmbH ({sme_id})" in member and "never" in member and member.count(" UTC") == 2
    assert await connection.fetchval("SELECT count(*) FROM api_tokens WHERE revoked_at IS NULL") == 1

    again = run_cli(settings, "token", "revoke", str(member_id))
    assert again.returncode == 1 and f"no live token {member_id}" in again.stderr
