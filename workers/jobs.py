"""arq jobs: idempotent full recomputation of one project, the reconciler, and the cron jobs."""

import asyncio
import logging
import random
from typing import Any

import asyncpg
from arq import Retry
from redis.exceptions import RedisError

from db import portfolio
from db import recompute as recompute_sql
from domain import events
from domain.jobs import enqueue_recompute
from domain.vocabulary import FINAL_PHASES, PHASES_BEFORE_ACTIVE
from partnerpulse.waiting import postgres_unreachable
from workers.batching import Batcher
from workers.portfolio import publish_closed_months
from workers.recompute import Recomputed, recompute, recompute_many, thresholds

log = logging.getLogger(__name__)

CRON_CLAIM_SECONDS = 3600
COMPUTED = "recomputed"  # (project id, version) a finished job leaves in its ctx for look_again


async def enqueue_many(ctx: dict[str, Any], project_ids: list[int]) -> int:
    enqueued = 0
    for project_id in project_ids:
        enqueued += await enqueue_recompute(ctx["redis"], ctx["settings"].redis_namespace, project_id)
    return enqueued


# A recomputation that meets a concurrent write (SerializationError) or a deadlock is rolled back whole and
# idempotent: it runs again at once, with a short backoff, instead of failing and leaving the statistics
# stale until the reconciler's next run. After these attempts arq runs the job again later (max_tries).
RECOMPUTE_ATTEMPTS = 8
RECOMPUTE_BACKOFF_SECONDS = 0.05  # doubled per attempt: 0.05 … 3.2 s (about 6 s in all), with jitter
RECOMPUTE_RETRY_DEFER_SECONDS = 5


BATCHER = "recompute batcher"  # the worker's Batcher of recomputations, in its ctx (see `batchers`)
VERSIONS = "version batcher"  # and of the data-version reads of look_again
BATCH_LIMIT = 100  # projects in one batch


def batchers(ctx: dict[str, Any]) -> None:
    """The worker process's batchers (on startup): its concurrent recomputation jobs share statements. A batch
    recomputes each project as it would alone; a batch that fails for another reason than a conflict is done
    again project by project, so that one project's failure is its own job's only."""
    pool, rules = ctx["pool"], thresholds(ctx["settings"])

    async def run(project_ids: list[int]) -> dict[int, Recomputed | BaseException | None]:
        try:
            async with pool.acquire() as connection:
                return dict(await recompute_many(connection, project_ids, rules))
        except asyncpg.TransactionRollbackError:
            raise  # every job of the batch backs off and asks again
        except Exception:
            if len(project_ids) == 1:
                raise
        results: dict[int, Recomputed | BaseException | None] = {}
        for project_id in project_ids:
            try:
                async with pool.acquire() as connection:
                    results[project_id] = await recompute(connection, project_id, rules)
            except Exception as error:
                results[project_id] = error
        return results

    async def versions(project_ids: list[int]) -> dict[int, int | BaseException | None]:
        async with pool.acquire() as connection:
            found = await recompute_sql.data_versions(connection, project_ids)
        return {project_id: found.get(project_id) for project_id in project_ids}

    ctx[BATCHER] = Batcher(run, limit=BATCH_LIMIT)
    ctx[VERSIONS] = Batcher(versions, limit=BATCH_LIMIT)


async def _recompute(ctx: dict[str, Any], project_id: int) -> Recomputed | None:
    batcher = ctx.get(BATCHER)
    if batcher is not None:
        return await batcher(project_id)
    async with ctx["pool"].acquire() as connection:
        return await recompute(connection, project_id, thresholds(ctx["settings"]))


async def recompute_project(ctx: dict[str, Any], project_id: int) -> int | None:
    """Recompute everything derived from one project's data; return the data version computed from."""
    for attempt in range(1, RECOMPUTE_ATTEMPTS + 1):
        try:
            result = await _recompute(ctx, project_id)
            break
        except asyncpg.TransactionRollbackError as error:  # serialization failure, deadlock
            extra = {"project_id": project_id, "attempt": attempt, "error": type(error).__name__}
            if attempt == RECOMPUTE_ATTEMPTS:
                log.warning("recomputation conflicted every time; arq runs it again later", extra=extra)
                raise Retry(defer=RECOMPUTE_RETRY_DEFER_SECONDS) from error
            log.info("recomputation met a concurrent write; retrying", extra=extra)
            await asyncio.sleep(RECOMPUTE_BACKOFF_SECONDS * 2 ** (attempt - 1) * random.uniform(0.5, 1.5))
    if result is None:
        return None  # the project was deleted
    ctx[COMPUTED] = (project_id, result.version)
    await events.publish(ctx["redis"], ctx["settings"].events_channel, result.events)
    return result.version


async def look_again(ctx: dict[str, Any]) -> None:
    """arq's after_job_end, run once the job id is free again. Data that arrived while the job ran had its
    enqueue dropped (the id was busy); checking only now leaves no gap: an answer committed after this check
    was enqueued after the id became free, so its own enqueue went through."""
    computed = ctx.get(COMPUTED)
    if computed is None:
        return
    project_id, version = computed
    # arq re-raises this hook's errors in its poll loop, which ends the worker: PostgreSQL or Redis going
    # away just after a job must not. The reconciler finds whatever this check would have found.
    try:
        if (versions := ctx.get(VERSIONS)) is not None:
            newer = await versions(project_id)
        else:
            async with ctx["pool"].acquire() as connection:
                newer = await recompute_sql.data_version(connection, project_id)
        if newer is not None and newer > version:
            await enqueue_recompute(ctx["redis"], ctx["settings"].redis_namespace, project_id)
    except Exception as error:
        if not (postgres_unreachable(error) or isinstance(error, asyncpg.PostgresError | RedisError)):
            raise
        log.warning("could not look again after a job", extra={"project_id": project_id, "error": repr(error)})


async def claim_cron_run(ctx: dict[str, Any], name: str) -> bool:
    """arq may start the same cron run on several workers (and again after a fast one finished, as no
    result is kept): the first to claim the run in Redis does it, the others skip."""
    key = f"{ctx['settings'].redis_namespace}:cron:{name}:{ctx.get('job_id', '')}"
    return bool(await ctx["redis"].set(key, "1", nx=True, ex=CRON_CLAIM_SECONDS))


async def reconcile(ctx: dict[str, Any]) -> int:
    """Enqueue every project whose data is newer than its statistics; return how many were enqueued."""
    async with ctx["pool"].acquire() as connection:
        stale = await recompute_sql.stale_projects(connection)
    enqueued = await enqueue_many(ctx, stale)
    if stale:
        log.info("reconciled", extra={"stale": len(stale), "enqueued": enqueued})
    return enqueued


async def time_rules(ctx: dict[str, Any]) -> int:
    """Time passes without data changing: enqueue projects where NO_EXIT_PLAN, STALLED or an overdue goal
    now holds but its flag is not open yet."""
    if not await claim_cron_run(ctx, "time_rules"):
        return 0
    settings = ctx["settings"]
    async with ctx["pool"].acquire() as connection:
        due = await recompute_sql.projects_needing_time_rules(
            connection, (settings.rule_no_exit_plan_days, settings.rule_stalled_days), PHASES_BEFORE_ACTIVE
        )
    return await enqueue_many(ctx, due)


async def daily_sweep(ctx: dict[str, Any]) -> int:
    """Once a day every open project: severities that grow with time (days without an exit plan, days
    stalled, days overdue) are brought up to date."""
    if not await claim_cron_run(ctx, "daily_sweep"):
        return 0
    async with ctx["pool"].acquire() as connection:
        return await enqueue_many(ctx, await recompute_sql.open_project_ids(connection, FINAL_PHASES))


# the longest a portfolio is trusted without a refresh (a fingerprint is not a proof: a deleted and an added
# answer whose ids sum alike at the same moment would go unnoticed until then)
PORTFOLIO_INPUTS_SECONDS = 24 * 3600


async def refresh_portfolio(ctx: dict[str, Any]) -> int:
    """Monthly means per organization kind and industry, within a minute of a change; return the rows written.
    Unchanged inputs skip the work (seconds of PostgreSQL at millions of answers, every minute); when only the
    current month changed, as new answers do, only that month is recomputed."""
    if not await claim_cron_run(ctx, "portfolio"):
        return 0
    key = f"{ctx['settings'].redis_namespace}:portfolio:inputs"
    async with ctx["pool"].acquire() as connection:
        # read before the refresh: a change that lands during it alters the next fingerprint
        inputs = await portfolio.portfolio_inputs(connection)
        before = portfolio.PortfolioInputs.decode((await ctx["redis"].get(key) or b"").decode())
        if inputs == before:
            await publish_closed_months(connection, ctx["settings"].min_group_size)
            return 0
        only_this_month = before is not None and (before.month, before.history) == (inputs.month, inputs.history)
        rows = await portfolio.refresh_portfolio(connection, since=inputs.month if only_this_month else None)
        await publish_closed_months(connection, ctx["settings"].min_group_size)
    await ctx["redis"].set(key, inputs.encode(), ex=PORTFOLIO_INPUTS_SECONDS)
    return rows
