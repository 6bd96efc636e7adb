"""API tokens. A token is shown once when created; the database keeps only its SHA-256 hash."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass

import asyncpg

TOKEN_PREFIX = "pp_"


@dataclass(frozen=True)
class TokenRecord:
    id: int
    organization_id: int | None
    is_admin: bool


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def create_token(
    connection: asyncpg.Connection, *, organization_id: int | None, label: str | None = None
) -> tuple[int, str]:
    """Create an admin token (organization_id None) or a member token; return (id, token)."""
    token = new_token()
    token_id = await connection.fetchval(
        "INSERT INTO api_tokens (token_hash, organization_id, is_admin, label) VALUES ($1, $2, $3, $4) RETURNING id",
        hash_token(token),
        organization_id,
        organization_id is None,
        label,
    )
    return token_id, token


async def create_member_tokens(connection: asyncpg.Connection, organization_ids: list[int]) -> list[str]:
    """One member token per organization, in one statement (benchmarks give thousands of partners tokens)."""
    tokens = [new_token() for _ in organization_ids]
    await connection.execute(
        "INSERT INTO api_tokens (token_hash, organization_id, is_admin) SELECT h, o, false FROM unnest($1::bytea[], "
        "$2::bigint[]) AS t(h, o)",
        [hash_token(token) for token in tokens],
        organization_ids,
    )
    return tokens


async def find_token(connection: asyncpg.Connection, token: str) -> TokenRecord | None:
    """The live (not revoked) token record for a presented token, or None."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    digest = hash_token(token)
    row = await connection.fetchrow(
        "SELECT id, token_hash, organization_id, is_admin FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
        digest,
    )
    # the lookup is by a hash the client cannot choose, so its timing reveals nothing; compare anyway
    if row is None or not hmac.compare_digest(bytes(row["token_hash"]), digest):
        return None
    return TokenRecord(row["id"], row["organization_id"], row["is_admin"])


async def revoke_token(connection: asyncpg.Connection, token_id: int) -> bool:
    status = await connection.execute(
        "UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL", token_id
    )
    return status == "UPDATE 1"


async def record_token_use(connection: asyncpg.Connection, token_ids: list[int]) -> None:
    """Batched last-use update, so that authenticating a request costs no write."""
    await connection.execute("UPDATE api_tokens SET last_used_at = now() WHERE id = ANY($1::bigint[])", token_ids)


async def list_tokens(connection: asyncpg.Connection, include_revoked: bool) -> list[asyncpg.Record]:
    """Every token (never its hash) with its organization's name, oldest first."""
    return await connection.fetch(
        "SELECT t.id, t.label, t.is_admin, o.name AS organization, o.kind AS organization_kind, t.organization_id, "
        "t.created_at, t.last_used_at, t.revoked_at FROM api_tokens t LEFT JOIN organizations o "
        "ON o.id = t.organization_id WHERE $1 OR t.revoked_at IS NULL ORDER BY t.id",
        include_revoked,
    )
