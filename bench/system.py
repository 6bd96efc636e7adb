"""What every benchmark needs: a fresh migrated database and Redis, then the API and a worker.

The servers named by DATABASE_URL / REDIS_URL, or embedded ones under .data/bench (they stop with the
benchmark's process); logs of the API and worker go to .data/bench too.
"""

import asyncio
import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.processes import start_api, start_worker
from db.admin import create_database, drop_database
from db.migrate import migrate
from partnerpulse.embedded import RedisServer, start_postgres
from partnerpulse.settings import Settings

WORK = Path(".data/bench")


@contextlib.contextmanager
def fresh_database(prefix: str) -> Iterator[tuple[str, str]]:
    """(DSN of a new migrated database, Redis URL); the database is dropped afterwards."""
    WORK.mkdir(parents=True, exist_ok=True)
    admin_dsn = os.environ.get("DATABASE_URL") or start_postgres(WORK, database="postgres")
    redis_server = None
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        redis_server = RedisServer(WORK)
        redis_url = redis_server.start()
    dsn = asyncio.run(create_database(admin_dsn, prefix=prefix))
    try:
        asyncio.run(migrate(dsn))
        yield dsn, redis_url
    finally:
        asyncio.run(drop_database(admin_dsn, dsn))
        if redis_server:
            redis_server.stop()


@dataclass(frozen=True)
class Running:
    url: str  # the API's base URL
    api_pid: int
    worker_pid: int


@contextlib.contextmanager
def api_and_worker(settings: Settings, name: str, api_workers: int = 1) -> Iterator[Running]:
    """`partnerpulse serve` and `partnerpulse worker` on `settings`."""
    api = worker = None
    try:
        api, url = start_api(settings, WORK / f"{name}-api.log", workers=api_workers)
        worker = start_worker(settings, WORK / f"{name}-worker.log")
        yield Running(url, api.process.pid, worker.process.pid)
    finally:
        for process in (worker, api):
            if process:
                process.stop()
