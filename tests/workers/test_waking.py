"""A worker woken by enqueues (workers/waking.py): prompt without polling, and still correct when the wake-up is
lost, refused by Redis, or Redis is not there at all."""

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator

import asyncpg
import pytest
from arq.connections import ArqRedis, RedisSettings
from arq.connections import create_pool as create_arq_pool

from db.seed import insert_small_projects
from domain.jobs import RECOMPUTE, enqueue_recompute, recompute_job_id, wake_key
from partnerpulse.settings import Settings
from tests.helpers.waiting import eventually
from workers.settings import WorkerSettings, redis_settings
from workers.waking import WakingWorker


def waking_worker(settings: Settings, poll_delay: float) -> WakingWorker:
    return WakingWorker(
        functions=WorkerSettings.functions,
        redis_settings=redis_settings(settings.redis_url or ""),
        on_startup=WorkerSettings.on_startup,
        on_shutdown=WorkerSettings.on_shutdown,
        after_job_end=WorkerSettings.after_job_end,
        keep_result=WorkerSettings.keep_result,
        queue_name=settings.queue_name,
        ctx={"settings": settings},
        poll_delay=poll_delay,
        handle_signals=False,
        wake_key=wake_key(settings.redis_namespace),
    )


@contextlib.asynccontextmanager
async def running(worker: WakingWorker) -> AsyncIterator[WakingWorker]:
    task = asyncio.create_task(worker.async_run())
    try:
        # started, and its first poll (which finds nothing) is over: from now on it waits between polls
        async def started() -> bool:
            return "pool" in worker.ctx

        await eventually(started, within=30, what="the worker to start")
        await asyncio.sleep(0.2)
        yield worker
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await worker.close()


@pytest.fixture
async def queue(settings: Settings) -> AsyncIterator[ArqRedis]:
    arq_redis = await create_arq_pool(redis_settings(settings.redis_url or ""), default_queue_name=settings.queue_name)
    yield arq_redis
    await arq_redis.aclose()


async def a_project(connection: asyncpg.Connection) -> int:
    [[project_id, *_]] = await insert_small_projects(connection, 1, partners=3)
    return project_id


async def computed(connection: asyncpg.Connection, project_id: int) -> bool:
    return bool(
        await connection.fetchval(
            """SELECT s.computed_version = p.data_version FROM cooperation_projects p
               JOIN project_recompute_state s ON s.project_id = p.id WHERE p.id = $1""",
            project_id,
        )
    )


async def test_an_enqueued_job_is_picked_up_at_once_not_at_the_next_poll(
    settings: Settings, connection: asyncpg.Connection, queue: ArqRedis
) -> None:
    project_id = await a_project(connection)
    async with running(waking_worker(settings, poll_delay=30)) as worker:
        enqueued = time.monotonic()
        assert await enqueue_recompute(queue, settings.redis_namespace, project_id)
        await eventually(lambda: computed(connection, project_id), within=10, what="the recomputation")
        took = time.monotonic() - enqueued
        assert worker.wake_ups >= 1
    assert took < 2, f"{took:.2f} s: it waited for a poll 30 s apart"


async def test_many_enqueues_leave_one_wake_up(settings: Settings, connection: asyncpg.Connection, redis) -> None:
    arq_redis = await create_arq_pool(redis_settings(settings.redis_url or ""), default_queue_name=settings.queue_name)
    try:
        for project_id in range(1, 51):
            assert await enqueue_recompute(arq_redis, settings.redis_namespace, project_id)
    finally:
        await arq_redis.aclose()
    assert await redis.zcard(settings.queue_name) == 50
    assert await redis.zcard(wake_key(settings.redis_namespace)) == 1  # bounded, whether or not a worker runs


async def test_a_job_without_its_wake_up_is_found_by_the_poll(
    settings: Settings, connection: asyncpg.Connection, queue: ArqRedis
) -> None:
    """The wake-up lost (another worker took it, or its command failed): the job is in the queue all the same."""
    project_id = await a_project(connection)
    async with running(waking_worker(settings, poll_delay=0.5)) as worker:
        await queue.enqueue_job(RECOMPUTE, project_id, _job_id=recompute_job_id(settings.redis_namespace, project_id))
        await eventually(lambda: computed(connection, project_id), within=10, what="the recomputation")
        assert worker.wake_ups == 0


async def test_a_refused_wake_up_loses_no_job(
    settings: Settings, connection: asyncpg.Connection, queue: ArqRedis, redis, caplog: pytest.LogCaptureFixture
) -> None:
    """The wake-up's key is not a sorted set (Redis answers WRONGTYPE to both sides): the enqueue still counts,
    the worker polls."""
    await redis.set(wake_key(settings.redis_namespace), "not a sorted set")
    project_id = await a_project(connection)
    async with running(waking_worker(settings, poll_delay=0.3)) as worker:
        with caplog.at_level(logging.WARNING):
            assert await enqueue_recompute(queue, settings.redis_namespace, project_id)
        await eventually(lambda: computed(connection, project_id), within=10, what="the recomputation")
        assert worker.wake_ups == 0
    assert "could not wake a worker" in caplog.text
    assert "could not wait for a wake-up; polling" in caplog.text


async def test_redis_down_the_wait_between_polls_falls_back_to_the_poll_delay(settings: Settings) -> None:
    nowhere = RedisSettings(host="127.0.0.1", port=8139, conn_retries=0, conn_timeout=1)  # nothing listens there
    worker = WakingWorker(
        functions=WorkerSettings.functions,
        redis_settings=nowhere,
        queue_name=settings.queue_name,
        poll_delay=0.2,
        handle_signals=False,
        wake_key=wake_key(settings.redis_namespace),
    )
    worker._pool = ArqRedis(host="127.0.0.1", port=8139, socket_connect_timeout=1)
    try:
        started = time.monotonic()
        await worker.wait_between_polls()  # neither raises nor spins
        assert 0.2 <= time.monotonic() - started < 3
        assert worker.wake_ups == 0
    finally:
        await worker._pool.aclose()
