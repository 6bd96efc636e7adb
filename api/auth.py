"""Authentication: `Authorization: Bearer <token>` (HTTP header or graphql-transport-ws connection_init)."""

import time
from dataclasses import dataclass
from enum import StrEnum

import asyncpg

from db import invitations, tokens


class Role(StrEnum):
    ADMIN = "ADMIN"
    MEMBER = "MEMBER"
    ANONYMOUS = "ANONYMOUS"
    # an e-mailed answer link: one round, one organization, while the round is open (schema/answer_link.py)
    ANSWER_LINK = "ANSWER_LINK"


@dataclass(frozen=True)
class Principal:
    """Who is asking: an admin, a member organization, an answer link, or nobody. An answer link's
    organization is kept apart from `organization_id`, so that no member check ever grants it a right."""

    role: Role
    organization_id: int | None = None
    token_id: int | None = None
    answer_round_id: int | None = None
    answer_organization_id: int | None = None
    # a person signed in with an e-mailed link (api/sessions.py): a member of their organization
    session_id: int | None = None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def is_authenticated(self) -> bool:
        return self.role is not Role.ANONYMOUS


ANONYMOUS = Principal(Role.ANONYMOUS)


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


class TokenCache:
    """Principals of tokens seen in the last `seconds`, so that a request needs no token lookup. Revocation
    happens in another process (`partnerpulse token revoke`): a revoked token keeps working for at most
    `seconds` (setting `token_cache_seconds`). Only valid tokens are kept, by hash; bounded in size."""

    def __init__(self, seconds: float, max_entries: int = 10_000) -> None:
        self.seconds = seconds
        self.max_entries = max_entries
        self._entries: dict[bytes, tuple[float, Principal]] = {}

    def get(self, digest: bytes) -> Principal | None:
        entry = self._entries.get(digest)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, digest: bytes, principal: Principal) -> None:
        if self.seconds <= 0:
            return
        if len(self._entries) >= self.max_entries:
            now = time.monotonic()
            self._entries = {k: v for k, v in self._entries.items() if v[0] >= now}
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
        self._entries[digest] = (time.monotonic() + self.seconds, principal)


async def authenticate(
    pool: asyncpg.Pool, authorization: str | None, cache: TokenCache | None = None
) -> Principal | None:
    """The principal of an Authorization value: ANONYMOUS when there is none, None when it is invalid."""
    token = bearer_token(authorization)
    if token is None:
        return ANONYMOUS if not authorization else None
    if token.startswith(invitations.ANSWER_TOKEN_PREFIX):
        return await answer_link_principal(pool, token)
    digest = tokens.hash_token(token)
    if cache is not None and (known := cache.get(digest)) is not None:
        return known
    async with pool.acquire() as connection:
        record = await tokens.find_token(connection, token)
    if record is None:
        return None
    if record.is_admin:
        principal = Principal(Role.ADMIN, token_id=record.id)
    else:
        principal = Principal(Role.MEMBER, organization_id=record.organization_id, token_id=record.id)
    if cache is not None:
        cache.put(digest, principal)
    return principal


async def answer_link_principal(pool: asyncpg.Pool, token: str) -> Principal | None:
    """Not cached: the link must stop working the moment its round closes."""
    async with pool.acquire() as connection:
        scope = await invitations.answer_scope(connection, token)
    if scope is None:
        return None
    return Principal(
        Role.ANSWER_LINK, answer_round_id=scope["round_id"], answer_organization_id=scope["organization_id"]
    )
