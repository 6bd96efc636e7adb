"""The asyncpg pool: JSON codecs and timeouts from the settings."""

import json

import asyncpg

from partnerpulse.settings import Settings


async def init_connection(connection: asyncpg.Connection) -> None:
    for type_name in ("json", "jsonb"):
        await connection.set_type_codec(type_name, encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def create_pool(settings: Settings, dsn: str, application_name: str = "partnerpulse") -> asyncpg.Pool:
    return await asyncpg.create_pool(
        dsn,
        min_size=settings.db_pool_min_size,
        max_size=settings.db_pool_max_size,
        command_timeout=settings.db_command_timeout,
        timeout=settings.db_connect_timeout,
        init=init_connection,
        server_settings={
            "application_name": application_name,
            "statement_timeout": str(settings.db_statement_timeout_ms),
            # a transaction left open by a crashed request must not hold locks forever
            "idle_in_transaction_session_timeout": "60000",
        },
    )
