"""arq WorkerSettings: `partnerpulse worker` runs these."""

import logging
from typing import Any, ClassVar

from arq import cron
from arq.connections import RedisSettings

from db.pool import create_pool
from partnerpulse.settings import get_settings
from workers.jobs import recompute_project, reconcile

log = logging.getLogger(__name__)


def redis_settings(url: str) -> RedisSettings:
    settings = RedisSettings.from_dsn(url)
    # keep retrying while Redis restarts instead of exiting the worker
    settings.conn_retries = 30
    settings.conn_retry_delay = 1
    settings.retry_on_timeout = True
    return settings


async def startup(ctx: dict[str, Any]) -> None:
    settings = ctx.setdefault("settings", get_settings())  # tests pass their own
    ctx["pool"] = await create_pool(settings, settings.database_url, "partnerpulse-worker")
    log.info("worker started")


async def shutdown(ctx: dict[str, Any]) -> None:
    pool = ctx.get("pool")
    if pool is not None:
        await pool.close()
    log.info("worker stopped")


class WorkerSettings:
    functions: ClassVar = [recompute_project]
    # unique=True: with several workers, each cron run happens once (its job id is derived from the time)
    cron_jobs: ClassVar = [cron(reconcile, second={0, 30}, run_at_startup=True, unique=True, timeout=60)]
    on_startup = startup
    on_shutdown = shutdown
    # no stored results: a finished job's id must be free for the next enqueue at once
    keep_result = 0
    job_timeout = 120
    max_tries = 5
    health_check_interval = 10
    # redis_settings: given by `partnerpulse worker` from REDIS_URL
