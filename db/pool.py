"""The asyncpg pool: JSON codecs and timeouts from the settings."""

import json
from contextvars import ContextVar
from typing import Any

import asyncpg
import orjson
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


def decode_json(text: str) -> Any:
    """What json.loads gives, mostly from orjson (several times faster: a dashboard decodes every open flag's
    explanations and evidence). orjson refuses NaN, Infinity and lone surrogates, and reads an integer
    beyond 64 bits as a float; json.loads decodes those texts, and any whose value holds a float that large
    (|x| >= 2**63, rare: the values here are means, counts and slopes). Floats are correctly rounded by both."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
    return value if _within_int64(value) else json.loads(text)


def _within_int64(value: Any) -> bool:
    kind = type(value)
    if kind is float:
        return -_INT64_BOUND < value < _INT64_BOUND
    if kind is list:
        return all(map(_within_int64, value))
    if kind is dict:
        return all(map(_within_int64, value.values()))
    return True


_INT64_BOUND = 9.2e18  # below 2**63: orjson's floats from integers it could not hold are beyond it


async def init_connection(connection: asyncpg.Connection) -> None:
    for type_name in ("json", "jsonb"):
        await connection.set_type_codec(type_name, encoder=json.dumps, decoder=decode_json, schema="pg_catalog")
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
