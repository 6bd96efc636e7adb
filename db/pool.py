"""The asyncpg pool: JSON codecs and timeouts from the settings."""

import json
from contextvars import ContextVar

import asyncpg
from asyncpg import introspection

from partnerpulse.settings import Settings

# Statements sent by the current request: set a fresh list per request, read it when it ends.
request_statements: ContextVar[list[str] | None] = ContextVar("request_statements", default=None)


# asyncpg's own housekeeping: type introspection on a fresh connection, the reset on release
_HOUSEKEEPING = (
    introspection.INTRO_LOOKUP_TYPES_13,
    introspection.INTRO_LOOKUP_TYPES,
    introspection.TYPE_BY_NAME,
)


def is_housekeeping(query: str) -> bool:
    return query in _HOUSEKEEPING or "set_config('jit'" in query or query.startswith("SELECT pg_advisory_unlock_all();")


def _record_statement(record: asyncpg.connection.LoggedQuery) -> None:
    statements = request_statements.get()
    if statements is not None and not is_housekeeping(record.query):
        statements.append(record.query)


async def init_connection(connection: asyncpg.Connection) -> None:
    for type_name in ("json", "jsonb"):
        await connection.set_type_codec(type_name, encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    # asyncpg calls query loggers in the context of the task that ran the query
    connection.add_query_logger(_record_statement)


async def _keep_session(connection: asyncpg.Connection) -> None:
    """A release that only ends the transaction (asyncpg always does that): no `RESET ALL; UNLISTEN *;
    …` round trip. For pools whose users keep no session state (the API: no LISTEN, no session locks)."""


async def create_pool(
    settings: Settings, dsn: str, application_name: str = "partnerpulse", *, stateless: bool = False
) -> asyncpg.Pool:
    return await asyncpg.create_pool(
        dsn,
        min_size=settings.db_pool_min_size,
        max_size=settings.db_pool_max_size,
        command_timeout=settings.db_command_timeout,
        timeout=settings.db_connect_timeout,
        init=init_connection,
        reset=_keep_session if stateless else None,
        server_settings={
            "application_name": application_name,
            "statement_timeout": str(settings.db_statement_timeout_ms),
            # a transaction left open by a crashed request must not hold locks forever
            "idle_in_transaction_session_timeout": "60000",
        },
    )
