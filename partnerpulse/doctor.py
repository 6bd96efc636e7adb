"""`partnerpulse doctor`: is this installation healthy? Each check says what is wrong in plain words and
what to do about it."""

import asyncio
from dataclasses import dataclass
from urllib.parse import urlsplit

import asyncpg
from redis.asyncio import Redis

from db import recompute as recompute_sql
from db.migrate import migration_status
from partnerpulse.settings import Settings

TIMEOUT = 5.0
BACKLOG_WARNING = 1000  # projects behind their data: more than a worker catches up with in a few seconds


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def where(url: str) -> str:
    """host:port/database of a URL, without credentials."""
    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or ''}{parts.path}"


async def diagnose(settings: Settings) -> list[Check]:
    checks = [configuration(settings)]
    if settings.database_url:
        checks += await database_checks(settings.database_url)
    if settings.redis_url:
        checks += await redis_checks(settings)
    return checks


def configuration(settings: Settings) -> Check:
    missing = [
        name
        for name, value in (("DATABASE_URL", settings.database_url), ("REDIS_URL", settings.redis_url))
        if not value
    ]
    if missing:
        return Check(
            "configuration",
            False,
            f"{' and '.join(missing)} not set, and PartnerPulse is not running from this folder: start it with "
            f"`python3 run.py start` (commands run here then use its servers), or point "
            f"{'them' if len(missing) > 1 else 'it'} at your servers.",
        )
    return Check(
        "configuration",
        True,
        f"PostgreSQL at {where(settings.database_url or '')}, "
        f"Redis at {where(settings.redis_url or '')}, namespace {settings.redis_namespace!r}",
    )


async def database_checks(url: str) -> list[Check]:
    try:
        connection = await asyncio.wait_for(asyncpg.connect(url, timeout=TIMEOUT), TIMEOUT)
    except Exception as error:  # every failure to connect is the answer to this check
        return [
            Check(
                "database",
                False,
                f"cannot connect to PostgreSQL at {where(url)}: {describe(error)}. "
                "Is the server running, and are host, port, user and password in DATABASE_URL right?",
            )
        ]
    try:
        version = await connection.fetchval("SHOW server_version")
        checks = [Check("database", True, f"PostgreSQL {version} at {where(url)}")]
        pending, problem = await migration_status(connection)
        if problem:
            checks.append(Check("migrations", False, problem))
        elif pending:
            checks.append(
                Check(
                    "migrations",
                    False,
                    f"{len(pending)} not applied ({', '.join(pending)}): run "
                    "`partnerpulse migrate` (the API refuses readiness until then).",
                )
            )
        else:
            checks.append(Check("migrations", True, "all applied"))
            behind = await recompute_sql.stale_project_count(connection)
            checks.append(
                Check(
                    "statistics",
                    behind < BACKLOG_WARNING,
                    f"{behind} project(s) wait for a recomputation"
                    + ("" if behind < BACKLOG_WARNING else ": is a worker running and keeping up?"),
                )
            )
        return checks
    finally:
        await connection.close()


async def redis_checks(settings: Settings) -> list[Check]:
    url = settings.redis_url or ""
    redis = Redis.from_url(url, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT)
    try:
        info = await redis.info("server")
        checks = [Check("redis", True, f"Redis {info.get('redis_version', '?')} at {where(url)}")]
        heartbeat = await redis.get(settings.queue_name + ":health-check")  # arq's worker heartbeat
        depth = await redis.zcard(settings.queue_name)
    except Exception as error:
        return [
            Check(
                "redis",
                False,
                f"cannot reach Redis at {where(url)}: {describe(error)}. Is the server running and REDIS_URL right?",
            )
        ]
    finally:
        await redis.aclose()
    if heartbeat is None:
        checks.append(
            Check(
                "worker",
                False,
                "no worker has reported in the last minute: start `partnerpulse "
                "worker` (answers are kept and counted once it runs).",
            )
        )
    else:
        checks.append(Check("worker", True, f"alive ({heartbeat.decode(errors='replace')}); {depth} job(s) queued"))
    return checks


def describe(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
