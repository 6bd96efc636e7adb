import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg
from arq.connections import create_pool as create_arq_pool
from arq.worker import Worker, func

from bench.processes import start_worker
from db import portfolio
from db import recompute as recompute_sql
from db.admin import create_database, drop_database
from db.demo import plan_network
from db.migrate import migrate
from db.seed import load_network
from domain.jobs import RECOMPUTE, enqueue_recompute
from partnerpulse.settings import Settings
from tests.helpers.waiting import eventually
from tests.world import build_world
from workers.jobs import recompute_project, reconcile, refresh_portfolio
from workers.metrics import job_samples, jobs_key
from workers.settings import WorkerSettings, cron_jobs, redis_settings


async def run_worker_until_idle(settings: Settings, functions: list | None = None) -> Worker:
    worker = Worker(
        functions=functions or WorkerSettings.functions,
        redis_settings=redis_settings(settings.redis_url or ""),
        on_startup=WorkerSettings.on_startup,
        on_shutdown=WorkerSettings.on_shutdown,
        after_job_end=WorkerSettings.after_job_end,
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

        assert await recompute_sql.stale_projects(connection) == []
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
        assert await recompute_sql.stale_projects(connection) == [project_id]
        assert await reconcile(ctx) == 1
        await run_worker_until_idle(settings)
        assert await recompute_sql.stale_projects(connection) == []
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


async def test_data_arriving_at_the_end_of_a_recomputation_is_recomputed_without_the_reconciler(
    settings: Settings, connection: asyncpg.Connection, redis
) -> None:
    """The narrowest gap: an answer commits after the job read its data and before arq freed the job id, so the
    answer's own enqueue is dropped. The worker must look again once the id is free."""
    world = await build_world(connection)
    project_id = world.projects["pilot"]
    arq_redis = await create_arq_pool(redis_settings(settings.redis_url or ""), default_queue_name=settings.queue_name)
    dropped: list[bool] = []

    async def recompute_then_an_answer_arrives(ctx: dict, project_id: int) -> int | None:
        version = await recompute_project(ctx, project_id)
        if not dropped:  # the first run only: an answer commits, and the API's enqueue finds the id busy
            await connection.execute(
                "UPDATE cooperation_projects SET data_version = data_version + 1 WHERE id = $1", project_id
            )
            dropped.append(not await enqueue_recompute(arq_redis, settings.redis_namespace, project_id))
        return version

    try:
        assert await enqueue_recompute(arq_redis, settings.redis_namespace, project_id)
        complete = 0
        # a burst worker may stop between the end of a job and its after_job_end's enqueue (it saw an empty
        # queue): then the next burst takes the job look_again enqueued. A worker that is not bursting waits.
        for _ in range(3):
            worker = await run_worker_until_idle(settings, [func(recompute_then_an_answer_arrives, name=RECOMPUTE)])
            complete += worker.jobs_complete
            if not await arq_redis.zcard(settings.queue_name):
                break
        assert dropped == [True]
        assert complete == 2  # the dropped enqueue was made good by a second run
        assert project_id not in await recompute_sql.stale_projects(connection)
    finally:
        await arq_redis.aclose()


PORTFOLIO = "SELECT grouping, key, dimension, period, mean, response_count FROM portfolio_trends ORDER BY 1, 2, 3, 4"


async def test_the_portfolio_is_refreshed_only_when_what_it_is_computed_from_changed(
    settings: Settings, pool: asyncpg.Pool, connection: asyncpg.Connection, redis
) -> None:
    await load_network(connection, plan_network(seed=3, today=date(2026, 11, 26)))
    arq_redis = await create_arq_pool(redis_settings(settings.redis_url or ""), default_queue_name=settings.queue_name)
    runs = iter(range(100))

    async def refresh() -> int:  # a cron run of its own each time (a run is claimed once)
        job_id = f"cron:refresh_portfolio:{next(runs)}"
        return await refresh_portfolio({"pool": pool, "redis": arq_redis, "settings": settings, "job_id": job_id})

    async def computed_at() -> object:
        return await connection.fetchval("SELECT max(computed_at) FROM portfolio_trends")

    try:
        assert await refresh() > 0
        first = await computed_at()
        assert await refresh() == 0  # nothing changed: no work, the portfolio stays as it is
        assert await computed_at() == first

        # a new answer (this month): only this month's rows are computed again
        await connection.execute(
            """
            INSERT INTO survey_responses (round_id, organization_id, overall, expectations_met, mutual_benefit,
                                          decision_speed, communication_trust, continue_likelihood)
            SELECT r.id, o.id, 1, 1, 1, 1, 1, 0 FROM survey_rounds r, organizations o
            WHERE NOT EXISTS (SELECT 1 FROM survey_responses s WHERE s.round_id = r.id AND s.organization_id = o.id)
            LIMIT 1
            """
        )
        this_month = "date_trunc('month', now() AT TIME ZONE 'UTC')::date"
        older = f"SELECT count(*) FROM portfolio_trends WHERE period < {this_month} AND computed_at = $1"
        untouched = await connection.fetchval(older, first)
        assert untouched > 0
        assert 0 < await refresh() < untouched
        assert await connection.fetchval(older, first) == untouched  # the history was not recomputed
        assert await connection.fetchval(
            f"SELECT bool_and(computed_at > $1) FROM portfolio_trends WHERE period >= {this_month}", first
        )
        kept = await connection.fetch(PORTFOLIO)
        await portfolio.refresh_portfolio(connection)
        assert await connection.fetch(PORTFOLIO) == kept  # the same as a full refresh
        assert await refresh() == 0

        # an organization changes industry: every month regroups
        await connection.execute(
            "UPDATE organizations SET industry = 'Textiles', updated_at = now() "
            "WHERE id = (SELECT organization_id FROM survey_responses LIMIT 1)"
        )
        assert await refresh() > 0
        assert await connection.fetchval(older, first) == 0
        await connection.execute("DELETE FROM survey_responses WHERE id = (SELECT min(id) FROM survey_responses)")
        assert await refresh() > 0
        assert await refresh() == 0
        assert await computed_at() > first
        # what the skipping job left is what a full refresh computes from the changed data
        kept = await connection.fetch(PORTFOLIO)
        await portfolio.refresh_portfolio(connection)
        assert await connection.fetch(PORTFOLIO) == kept
    finally:
        await arq_redis.aclose()


async def test_two_deployments_sharing_one_redis_each_run_their_own_cron_jobs(
    settings: Settings, admin_dsn: str, connection: asyncpg.Connection, redis
) -> None:
    """arq names a cron run's job by the cron job's name and the scheduled time, and drops an enqueue whose
    id exists: two deployments whose names lacked the namespace took each other's scheduled runs."""
    other_dsn = await create_database(admin_dsn, prefix="pp_test_other")
    await migrate(other_dsn)
    other = settings.model_copy(update={"database_url": other_dsn, "redis_namespace": f"{settings.redis_namespace}-b"})
    other_connection = await asyncpg.connect(other_dsn)
    arq_redis = await create_arq_pool(redis_settings(settings.redis_url or ""))
    try:
        network = plan_network(seed=3, today=date(2026, 11, 26))
        await load_network(connection, network)
        await load_network(other_connection, network)
        deployments = []
        for deployment in (settings, other):
            [refresh] = [j for j in cron_jobs(60, deployment.redis_namespace) if "refresh_portfolio" in j.name]
            worker = Worker(
                functions=WorkerSettings.functions,
                cron_jobs=[refresh],
                redis_pool=arq_redis,
                on_startup=WorkerSettings.on_startup,
                on_shutdown=WorkerSettings.on_shutdown,
                keep_result=WorkerSettings.keep_result,
                queue_name=deployment.queue_name,
                ctx={"settings": deployment},
                burst=True,
                poll_delay=0.05,
                handle_signals=False,
            )
            deployments.append((deployment, worker, refresh))
        # both deployments reach the same scheduled second (as every minute at :15): each enqueues its run
        scheduled = datetime.now(tz=UTC) + timedelta(seconds=0.3)
        for _, worker, refresh in deployments:
            refresh.next_run = scheduled
            await worker.run_cron(scheduled - timedelta(seconds=0.2), 0.5)
        assert [await redis.zcard(d.queue_name) for d, _, _ in deployments] == [1, 1]
        for _, worker, _ in deployments:
            await worker.main()
            assert worker.jobs_complete >= 1 and worker.jobs_failed == 0
        assert await connection.fetchval("SELECT count(*) FROM portfolio_trends") > 0
        assert await other_connection.fetchval("SELECT count(*) FROM portfolio_trends") > 0
    finally:
        await arq_redis.aclose()
        await other_connection.close()
        await drop_database(admin_dsn, other_dsn)


async def test_recomputations_meeting_concurrent_writes_are_retried_and_no_job_fails(
    settings: Settings, connection: asyncpg.Connection, redis, tmp_path: Path
) -> None:
    """Under load, recomputations met SerializationError (concurrent update) and failed: the statistics
    stayed stale until the reconciler came by. Here a real worker recomputes five projects over and over
    while their data changes and another session keeps writing the rows the jobs write."""
    await load_network(connection, plan_network(seed=3, today=date(2026, 11, 26)))
    projects = [r["id"] for r in await connection.fetch("SELECT id FROM cooperation_projects ORDER BY id LIMIT 5")]
    arq_redis = await create_arq_pool(redis_settings(settings.redis_url or ""), default_queue_name=settings.queue_name)
    worker = start_worker(settings, tmp_path / "worker.log")
    writer = await asyncpg.connect(settings.database_url)
    loop = asyncio.get_running_loop()
    try:
        deadline = loop.time() + 6
        while loop.time() < deadline:
            for project_id in projects:
                await connection.execute(
                    "UPDATE cooperation_projects SET data_version = data_version + 1 WHERE id = $1", project_id
                )
                await enqueue_recompute(arq_redis, settings.redis_namespace, project_id)
            # every 50 ms, all five projects' trend rows: most jobs overlap one such write
            await writer.execute(
                "UPDATE project_trends SET computed_at = now() WHERE project_id = ANY($1::bigint[])", projects
            )
            await asyncio.sleep(0.05)

        async def caught_up() -> bool:
            stale = set(await recompute_sql.stale_projects(connection)) & set(projects)
            return not stale and await redis.zcard(settings.queue_name) == 0

        await eventually(caught_up, within=60, what="the recomputations to catch up")
    finally:
        await writer.close()
        worker.stop()
        await arq_redis.aclose()
    outcomes = job_samples(await redis.hgetall(jobs_key(settings.redis_namespace)))["recompute_project"]["outcomes"]
    retried = worker.output().count("recomputation met a concurrent write; retrying")
    assert outcomes["failed"] == 0, outcomes
    assert outcomes["succeeded"] > 20 and retried > 0, (outcomes, retried)
