"""arq WorkerSettings: `partnerpulse worker` runs these."""

import logging
from typing import Any, ClassVar

from arq import cron
from arq.connections import RedisSettings
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError, TimeoutError

from db.pool import create_pool
from partnerpulse.settings import Settings, get_settings
from partnerpulse.waiting import postgres_unreachable, wait_for
from workers.jobs import (
    BATCHER,
    VERSIONS,
    batchers,
    daily_sweep,
    look_again,
    recompute_project,
    reconcile,
    refresh_portfolio,
    time_rules,
)
from workers.mail import remind, send_mails
from workers.metrics import measured
from workers.schedule import run_schedules

log = logging.getLogger(__name__)
REDIS_COMMAND_RETRIES = 150  # at most 2 s apart


def redis_settings(url: str) -> RedisSettings:
    settings = RedisSettings.from_dsn(url)
    # Redis away or restarting: the first connection is retried for 30 s, and every later command — arq's
    # poll loop included, which otherwise ends the worker on the first ConnectionError — for about five
    # minutes with backoff. Jobs missed meanwhile are found again by the reconciler.
    settings.conn_retries = 30
    settings.conn_retry_delay = 1
    settings.retry_on_timeout = True
    # OSError: a refused reconnect (ConnectionRefusedError) is not a redis ConnectionError, and redis-py 5
    # retries connecting only for the error types listed here
    settings.retry_on_error = [ConnectionError, TimeoutError, OSError]
    settings.retry = Retry(ExponentialBackoff(cap=2, base=0.05), retries=REDIS_COMMAND_RETRIES)
    return settings


async def startup(ctx: dict[str, Any]) -> None:
    settings = ctx.setdefault("settings", get_settings())  # tests pass their own
    # PostgreSQL not reachable yet (starting, restarting): wait for it rather than exit, for a bounded time;
    # jobs wait in the queue meanwhile
    ctx["pool"] = await wait_for(
        "PostgreSQL",
        lambda: create_pool(settings, settings.database_url or "", "partnerpulse-worker"),
        settings.startup_wait_seconds,
        postgres_unreachable,
    )
    batchers(ctx)
    log.info("worker started")


async def shutdown(ctx: dict[str, Any]) -> None:
    pool = ctx.get("pool")
    if pool is not None:
        await pool.close()
    batches = {name: (b.batches, b.keys) for name in (BATCHER, VERSIONS) if (b := ctx.get(name)) is not None}
    log.info("worker stopped", extra={f"{name}: batches, projects": runs for name, runs in batches.items()})


def cron_jobs(timeout: int, namespace: str) -> list:
    """Cron runs are idempotent; the costly ones claim their run in Redis so that one of several workers
    does it (arq's unique=True alone does not stop a second run once the first finished). Their timeouts
    stay at the job timeout: arq keeps a killed job's "in progress" mark for the longest timeout + 10 s.
    arq derives a cron run's job id from the cron job's name (`cron:<function>:<time>`), and an enqueue
    whose id exists is dropped: named without the namespace, two deployments on one Redis took each other's
    runs, so the names carry it."""

    def named(job: Any, unique: bool = True, **schedule: Any) -> Any:
        return cron(job, name=f"{namespace}:cron:{job.__qualname__}", unique=unique, timeout=timeout, **schedule)

    return [
        named(measured(reconcile), second={0, 30}, run_at_startup=True),
        named(measured(refresh_portfolio), second=15, run_at_startup=True),
        named(measured(time_rules), minute={5, 35}, second=45, run_at_startup=True),
        named(measured(daily_sweep), hour=3, minute=30, second=0),
        # retries of mails and anything whose enqueue was dropped; safe to run on several workers at once
        named(measured(send_mails), second=set(range(0, 60, 5)), run_at_startup=True, unique=False),
        named(measured(remind), second=20, run_at_startup=True, unique=False),
        named(measured(run_schedules), second=40, run_at_startup=True, unique=False),
    ]


class WorkerSettings:
    """Defaults; `partnerpulse worker` passes redis_settings, job_timeout and cron_jobs from the settings."""

    functions: ClassVar = [measured(recompute_project), measured(send_mails)]
    cron_jobs: ClassVar = cron_jobs(60, Settings.model_fields["redis_namespace"].default)
    on_startup = startup
    on_shutdown = shutdown
    after_job_end = look_again
    # no stored results: a finished job's id must be free for the next enqueue at once
    keep_result = 0
    job_timeout = 60
    max_tries = 5
    # how long a worker waits between polls when no enqueue wakes it (workers/waking.py): a missed wake-up, a
    # cron run, a retry. Enqueues wake it at once, so this bounds only those waits
    poll_delay = 0.1
    # after a wake-up, wait this long for jobs asked for with it (one poll, one batch). Measured 2026-12-05 at
    # 50 answers a second: 0.01 s gathered nothing (1.0 answers a job either way) and doubled p95 (17 -> 33 ms)
    wake_gather = 0.0
    # recomputation jobs running at once share their statements (workers/batching.py): a batch is as large
    # as the jobs waiting while the one before ran, up to this many (arq's default is 10)
    max_jobs = 100
    health_check_interval = 10
