from datetime import date

import asyncpg
from arq.connections import create_pool as create_arq_pool
from arq.worker import Worker

from bench.generator import plan_network
from db import statistics
from db.seed import load_network
from partnerpulse.settings import Settings
from workers.jobs import reconcile
from workers.settings import WorkerSettings, redis_settings


async def run_worker_until_idle(settings: Settings) -> Worker:
    worker = Worker(
        functions=WorkerSettings.functions,
        redis_settings=redis_settings(settings.redis_url or ""),
        on_startup=WorkerSettings.on_startup,
        on_shutdown=WorkerSettings.on_shutdown,
        keep_result=WorkerSettings.keep_result,
        queue_name=settings.queue_name,
        ctx={"settings": settings},
        burst=True,
        poll_delay=0.05,
        handle_signals=False,
    )
    try:
        await worker.main()
    finally:
        await worker.close()
    return worker


async def test_reconciler_and_worker_compute_every_stale_project(
    settings: Settings, pool: asyncpg.Pool, connection: asyncpg.Connection, redis
) -> None:
    await load_network(connection, plan_network(seed=3, today=date(2026, 11, 26)))
    arq_redis = await create_arq_pool(redis_settings(settings.redis_url or ""), default_queue_name=settings.queue_name)
    try:
        ctx = {"pool": pool, "redis": arq_redis, "settings": settings}
        assert await reconcile(ctx) == 80
        assert await reconcile(ctx) == 0  # all 80 are still queued: nothing is enqueued twice
        worker = await run_worker_until_idle(settings)
        assert worker.jobs_complete == 80 and worker.jobs_failed == 0

        assert await statistics.stale_projects(connection) == []
        assert await connection.fetchval("SELECT count(*) FROM round_statistics") == await connection.fetchval(
            "SELECT count(*) FROM survey_rounds"
        )
        mismatches = await connection.fetchval(
            """
            SELECT count(*) FROM round_statistics s
            JOIN (SELECT round_id, count(*) n, avg(overall) m FROM survey_responses GROUP BY round_id) a
              ON a.round_id = s.round_id
            WHERE s.response_count <> a.n OR abs(s.mean_overall - a.m) > 1e-9
            """
        )
        assert mismatches == 0

        # new data on one project: exactly that one is stale and gets recomputed
        project_id = await connection.fetchval("SELECT min(id) FROM cooperation_projects WHERE phase = 'ACTIVE'")
        await connection.execute(
            "UPDATE cooperation_projects SET data_version = data_version + 1 WHERE id = $1", project_id
        )
        assert await statistics.stale_projects(connection) == [project_id]
        assert await reconcile(ctx) == 1
        await run_worker_until_idle(settings)
        assert await statistics.stale_projects(connection) == []
    finally:
        await arq_redis.aclose()


async def test_a_cron_run_is_claimed_once_across_workers(settings: Settings, redis) -> None:
    """Several workers may start the same cron run (arq keeps no result of it): only one does the work."""
    from workers.jobs import claim_cron_run

    arq_redis = await create_arq_pool(redis_settings(settings.redis_url or ""), default_queue_name=settings.queue_name)
    try:
        first_worker = {"redis": arq_redis, "settings": settings, "job_id": "cron:refresh_portfolio:1764150000000"}
        second_worker = dict(first_worker)
        assert await claim_cron_run(first_worker, "portfolio") is True
        assert await claim_cron_run(second_worker, "portfolio") is False
        # the next run (another job id) is claimed afresh
        assert await claim_cron_run({**first_worker, "job_id": "cron:refresh_portfolio:1764150060000"}, "portfolio")
    finally:
        await arq_redis.aclose()
