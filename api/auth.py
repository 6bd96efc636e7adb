"""Authentication: `Authorization: Bearer <token>` (HTTP header or graphql-transport-ws connection_init)."""

from dataclasses import dataclass
from enum import StrEnum

import asyncpg

from db import tokens


class Role(StrEnum):
    ADMIN = "ADMIN"
    MEMBER = "MEMBER"
    ANONYMOUS = "ANONYMOUS"


@dataclass(frozen=True)
class Principal:
    """Who is asking: an admin, a member organization, or nobody."""

    role: Role
    organization_id: int | None = None
    token_id: int | None = None

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


async def authenticate(pool: asyncpg.Pool, authorization: str | None) -> Principal | None:
    """The principal of an Authorization value: ANONYMOUS when there is none, None when it is invalid."""
    token = bearer_token(authorization)
    if token is None:
        return ANONYMOUS if not authorization else None
    async with pool.acquire() as connection:
        record = await tokens.find_token(connection, token)
    if record is None:
        return None
    if record.is_admin:
        return Principal(Role.ADMIN, token_id=record.id)
    return Principal(Role.MEMBER, organization_id=record.organization_id, token_id=record.id)
