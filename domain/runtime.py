"""What the services need from the running system: the database pool, the job queue, the Redis that flag
events are published on, and the settings."""

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
from redis.asyncio import Redis

from domain.jobs import JobQueue
from partnerpulse.settings import Settings


@dataclass(frozen=True)
class Runtime:
    pool: asyncpg.Pool
    jobs: JobQueue
    publisher: Redis
    settings: Settings

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[asyncpg.Connection]:
        """One transaction: a `Refusal` (or any error) raised inside rolls everything back."""
        async with self.pool.acquire() as connection, connection.transaction():
            yield connection
