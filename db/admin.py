"""Creating and dropping whole databases (tests and benchmarks get a fresh one each)."""

import uuid
from urllib.parse import urlsplit

import asyncpg

from partnerpulse.embedded import with_database


async def create_database(admin_dsn: str, prefix: str) -> str:
    """A new empty database on the server of `admin_dsn`; returns its DSN."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    connection = await asyncpg.connect(admin_dsn)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return with_database(admin_dsn, name)


async def drop_database(admin_dsn: str, dsn: str) -> None:
    name = urlsplit(dsn).path.lstrip("/")
    connection = await asyncpg.connect(admin_dsn)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()
