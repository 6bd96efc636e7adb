"""Real PostgreSQL and Redis for every test.

The servers named by TEST_DATABASE_URL / TEST_REDIS_URL when set, otherwise embedded ones under
.data/test. Each test session gets a fresh database with the migrations applied and a Redis namespace of its
own; each test starts from empty tables and without any Redis key of the session (an empty queue).
"""

import os
import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import httpx
import pytest
from redis.asyncio import Redis
from starlette.applications import Starlette

from api.app import create_app
from db.admin import create_database, drop_database
from db.migrate import migrate
from db.pool import create_pool
from db.seed import truncate_all
from partnerpulse.embedded import RedisServer, start_postgres
from partnerpulse.settings import Settings
from tests.helpers.browser import browser  # noqa: F401 (a fixture for the page tests)
from tests.helpers.mail import inbox, mail_settings  # noqa: F401 (fixtures for the mail tests)
from tests.helpers.paths import ROOT

TEST_DATA_DIR = ROOT / ".data" / "test"


@pytest.fixture(scope="session")
def admin_dsn() -> str:
    """A DSN with the right to create databases."""
    return os.environ.get("TEST_DATABASE_URL") or start_postgres(TEST_DATA_DIR, database="postgres")


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    url = os.environ.get("TEST_REDIS_URL")
    if url:
        yield url
        return
    server = RedisServer(TEST_DATA_DIR)
    yield server.start()
    server.stop()


@pytest.fixture(scope="session")
async def database_url(admin_dsn: str) -> AsyncIterator[str]:
    dsn = await create_database(admin_dsn, prefix="pp_test")
    await migrate(dsn)
    yield dsn
    await drop_database(admin_dsn, dsn)


@pytest.fixture
async def fresh_database(admin_dsn: str) -> AsyncIterator[str]:
    """An empty database without migrations, for the migration tests."""
    dsn = await create_database(admin_dsn, prefix="pp_fresh")
    yield dsn
    await drop_database(admin_dsn, dsn)


@pytest.fixture(scope="session")
def settings(database_url: str, redis_url: str) -> Settings:
    # a namespace of its own: test runs sharing a Redis never see each other's jobs and events
    return Settings(
        database_url=database_url,
        redis_url=redis_url,
        log_format="console",
        db_pool_min_size=1,
        redis_namespace=f"pptest-{uuid.uuid4().hex[:8]}",
        # token ids restart with every test: budgets would carry over; tests/api/test_rate_limits.py turns them on
        rate_limits=False,
    )


@pytest.fixture(scope="session")
async def pool(settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(settings, settings.database_url or "", "partnerpulse-tests")
    yield pool
    await pool.close()


@pytest.fixture(autouse=True)
async def clean_state(request: pytest.FixtureRequest) -> None:
    """Empty tables before each test that uses them, and no Redis key of the test session (queued jobs, their
    results, budgets, cron claims) before each test that can reach Redis: through `redis`, the settings, the
    app, the client or a worker started from the settings, all of which need `redis_url`."""
    if "pool" in request.fixturenames:
        pool: asyncpg.Pool = request.getfixturevalue("pool")
        async with pool.acquire() as connection:
            await truncate_all(connection)
    if "redis_url" in request.fixturenames:
        settings: Settings = request.getfixturevalue("settings")
        # a client of its own: an async fixture cannot be set up from inside another one
        client = Redis.from_url(settings.redis_url or "")
        try:
            await delete_session_keys(client, settings.redis_namespace)
        finally:
            await client.aclose()


async def delete_session_keys(redis: Redis, namespace: str) -> None:
    """Every key of this test session: its namespace's own and arq's keys of its jobs (whose ids carry the
    namespace). Other sessions sharing the Redis database keep theirs."""
    keys = [key async for key in redis.scan_iter(match=f"*{namespace}*", count=1000)]
    if keys:
        await redis.unlink(*keys)


@pytest.fixture
async def connection(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    async with pool.acquire() as connection:
        yield connection


@pytest.fixture(scope="session")
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[Starlette]:
    """The real ASGI app with its lifespan (pool and Redis) running."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: Starlette, pool: asyncpg.Pool) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
